/**
 * NUL characters (U+0000), which PostgreSQL's text and jsonb cannot hold, though SQLite and
 * DuckDB store them as sent. Such a value is refused with a message that says where the NUL
 * is and how to remove it, never altered silently and never left to the server's own error
 * ("unsupported Unicode escape sequence"), which names neither table nor column.
 */
import { spell } from "../../util/describe.js";

/** A NUL character in a value; the writer adds the table and the column to the message. */
export class NulCharacterError extends Error {}

export function checkNoNulInText(s: string): void {
  if (s.includes("\u0000")) throw new NulCharacterError(`the value holds a NUL character (\\u0000), which PostgreSQL cannot store in text; remove it in the connector (value.replaceAll("\\u0000", ""))`);
}

/** Refuses JSON text with a NUL in a string or a key, naming its path. */
export function checkNoNulInJson(text: string): void {
  // The fast path: no escaped NUL at all. A literal backslash before "u0000" is found below to be harmless.
  if (!text.includes("\\u0000")) return;
  const found = findNul(JSON.parse(text) as unknown, []);
  if (found) throw new NulCharacterError(found);
}

function findNul(value: unknown, keys: (string | number)[]): string | undefined {
  if (typeof value === "string") {
    return value.includes("\u0000") ? `${spell(keys)} holds a NUL character (\\u0000), which PostgreSQL cannot store in jsonb; remove it in the connector (replaceAll("\\u0000", "") on that string)` : undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], [...keys, i]);
      if (found) return found;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k.includes("\u0000")) return `the key ${JSON.stringify(k)} in ${spell(keys)} holds a NUL character (\\u0000), which PostgreSQL cannot store in jsonb; remove it from the key in the connector`;
    const found = findNul(v, [...keys, k]);
    if (found) return found;
  }
  return undefined;
}
