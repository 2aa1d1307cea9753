/**
 * Turns a JSON.parse error into "line L, column C: <reason>" so a user can find the mistake.
 * V8 quotes the text around the error, which may hold a secret: that excerpt is never kept.
 * With `showToken: false` (configuration files), the unexpected character is not named either.
 */
export function jsonErrorLocation(text: string, error: Error, { showToken = true } = {}): string {
  const reason = error.message
    .replace(/\s*in JSON at position \d+.*$/s, "")
    .replace(/, (?:\.\.\.)?".*$/s, "")
    .replace(/^Unexpected token '(.+?)'$/s, (m, token: string) =>
      showToken || /^[{}[\],:'"]$/.test(token) ? m : "Unexpected character (is a string missing its double quotes?)",
    );
  const m = /position (\d+)/.exec(error.message);
  const pos = m ? Number(m[1]) : firstBadOffset(text);
  const before = text.slice(0, Math.min(pos, text.length));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `line ${line}, column ${column}: ${reason}`;
}

/** Whether parsing a prefix of length k failed only because the prefix ended. */
function endedEarly(e: unknown, k: number): boolean {
  const message = (e as Error).message;
  if (/end of (JSON|data) input/i.test(message)) return true;
  const m = /position (\d+)/.exec(message);
  return m !== null && Number(m[1]) >= k;
}

/** V8 omits the position for some errors; find the shortest prefix that fails for a reason other than ending early. */
function firstBadOffset(text: string): number {
  let lo = 1;
  let hi = text.length;
  const bad = (k: number): boolean => {
    try {
      JSON.parse(text.slice(0, k));
      return false;
    } catch (e) {
      return !endedEarly(e, k);
    }
  };
  if (!bad(hi)) return text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bad(mid)) hi = mid;
    else lo = mid + 1;
  }
  return hi - 1;
}
