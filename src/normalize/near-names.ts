/**
 * Whether a table name looks like a misspelling of another: a typo in `op.upsert("ordres", …)`
 * would otherwise create a second table silently. Close means one edit apart (a letter added,
 * removed, replaced, or two neighbours swapped), or two for names of 8 characters or more.
 * Short names (under 4 characters) and names that differ only in their numbers
 * (events_2023, events_2024) are different tables on purpose, and never close.
 */
export function isNearName(a: string, b: string): boolean {
  if (a === b) return false;
  const shorter = Math.min(a.length, b.length);
  if (shorter < 4) return false;
  if (a.replace(/\d+/g, "0") === b.replace(/\d+/g, "0")) return false;
  const limit = shorter >= 8 ? 2 : 1;
  if (Math.abs(a.length - b.length) > limit) return false;
  return editDistance(a, b, limit) <= limit;
}

/** The optimal string alignment distance (Levenshtein plus swaps of neighbours), stopping early once past `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    let best = row[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
      if (d < best) best = d;
    }
    if (best > limit) return best;
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}
