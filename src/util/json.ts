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

/**
 * The text of a JSON file that a person may have saved from any editor: UTF-8, with or without a byte-order mark,
 * or UTF-16 with one (PowerShell's Out-File and `>` write UTF-16 LE). A file with NUL bytes and no such mark is
 * UTF-16 without a mark, or no text at all: `undefined`, for the caller to say so with the file's name.
 */
export function decodeTextFile(bytes: Buffer): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  if (bytes.includes(0)) return undefined;
  const text = bytes.toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** What to say of a file decodeTextFile could not read. */
export const NOT_TEXT = "holds NUL bytes: it is not UTF-8 text (UTF-16 without a byte-order mark, or a binary file?). Save it as UTF-8";
