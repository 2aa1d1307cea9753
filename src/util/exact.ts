/**
 * Exact 64-bit integers from the warehouse to the user. Reads use better-sqlite3's safeIntegers, so every INTEGER
 * arrives as a bigint; exactRow turns the ones a number holds exactly back into numbers. Output keeps the digits:
 * stringifyExact prints a bigint as a JSON number literal, and jsonSafe makes a stored value printable.
 */

const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** A bigint read from SQLite as a number when a number holds it exactly, else as the bigint. */
function exactInteger(v: bigint): number | bigint {
  return v >= SAFE_MIN && v <= SAFE_MAX ? Number(v) : v;
}

/** Turns the bigints of a row read with safeIntegers into numbers where that is exact; changes the row in place. */
export function exactRow<T extends Record<string, unknown>>(row: T): T {
  for (const k in row) {
    const v = row[k];
    if (typeof v === "bigint") (row as Record<string, unknown>)[k] = exactInteger(v);
  }
  return row;
}

/** A stored value as JSON can show it: bytes as { base64 }, bigints kept for stringifyExact, ±Infinity as text (JSON.stringify would print null, which is another value). */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return Buffer.isBuffer(v) ? { base64: v.toString("base64") } : v;
}

/** JSON.stringify that prints a bigint as its exact digits, a JSON number. */
export function stringifyExact(value: unknown, space?: number): string {
  // A replacer slows every value down, so it is used only when there is a bigint to print.
  try {
    return JSON.stringify(value, null, space);
  } catch (e) {
    if (!(e instanceof TypeError) || !/BigInt/i.test(e.message)) throw e;
  }
  let found = false;
  const marker = `\u0000bigint:${Math.random().toString(36).slice(2)}:`;
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v !== "bigint") return v;
      found = true;
      return marker + v.toString();
    },
    space,
  );
  if (!found || text === undefined) return text;
  const escaped = JSON.stringify(marker).slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return text.replace(new RegExp(`"${escaped}(-?\\d+)"`, "g"), "$1");
}

/**
 * JSON.parse that keeps integers beyond ±(2^53 - 1) exact, as bigints; everything else parses as JSON.parse does.
 * Node 20 has no access to a number's source text, so those integers are found first and passed as marked strings.
 */
export function parseJsonExact(text: string): unknown {
  let out = "";
  let from = 0;
  const marker = `\u0000bigint:${Math.random().toString(36).slice(2)}:`;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // Skip a string, with its escapes.
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      let j = i + 1;
      while (j < text.length && /[\d.eE+-]/.test(text[j]!)) j++;
      const token = text.slice(i, j);
      if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += text.slice(from, i) + JSON.stringify(marker + token);
        from = j;
      }
      i = j - 1;
    }
  }
  if (from === 0) return JSON.parse(text);
  try {
    return JSON.parse(out + text.slice(from), (_k, v: unknown) => (typeof v === "string" && v.startsWith(marker) ? BigInt(v.slice(marker.length)) : v));
  } catch {
    // Report the error where it is in the text the user wrote.
    return JSON.parse(text);
  }
}
