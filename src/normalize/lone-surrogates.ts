/**
 * Lone UTF-16 surrogates: half of a character beyond U+FFFF, which a JavaScript string can hold
 * (one cut in the middle of an emoji by slice() or a byte limit) but UTF-8 cannot encode. DuckDB
 * and PostgreSQL store UTF-8: DuckDB turns each one into U+FFFD, so "a\ud800" and "a\ud801" become
 * one key and a row is lost, PostgreSQL fails or does the same, and even SQLite gives back three
 * U+FFFD in its place. Such a value or name is refused here, before any destination sees it, so
 * every destination ends the same way, with a message that says where it is.
 */
import { spell } from "../util/describe.js";
import { CoercionError } from "./types.js";

const WHY = "which UTF-8 cannot encode, so DuckDB and PostgreSQL cannot store it";

/** The index of the first lone surrogate in `s`, or -1. */
export function loneSurrogateAt(s: string): number {
  // Node 20 has String.prototype.isWellFormed (ES2024), which V8 answers at once for a one-byte string.
  if ((s as unknown as { isWellFormed(): boolean }).isWellFormed()) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = s.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    else return i;
  }
  return -1;
}

/** "a lone UTF-16 surrogate (\ud800) at index 1". */
function where(s: string, at: number): string {
  return `a lone UTF-16 surrogate (\\u${s.charCodeAt(at).toString(16)}) at index ${at}`;
}

/** Why a table or column name as the connector sent it cannot be used, or undefined. */
export function loneSurrogateInName(name: string): string | undefined {
  const at = loneSurrogateAt(name);
  return at < 0 ? undefined : `contains ${where(name, at)}, ${WHY}; fix the name in the connector`;
}

/** Refuses text (a STRING or XML value) that holds a lone surrogate. */
export function checkText(s: string): string {
  const at = loneSurrogateAt(s);
  if (at >= 0) throw new CoercionError(`the value holds ${where(s, at)}, ${WHY}; a string cut in the middle of a character leaves one: cut it elsewhere, or send value.toWellFormed() to store U+FFFD in its place`);
  return s;
}

/**
 * Refuses JSON text made by JSON.stringify whose strings or keys hold a lone surrogate, naming its path. JSON.stringify
 * writes a lone surrogate as an escape (\udxxx) and every other character beyond U+FFFF as itself, so text without
 * "\ud" has none; a literal backslash before "ud" only sends it the slow way, which finds nothing.
 */
export function checkJsonText(text: string): void {
  if (!text.includes("\\ud")) return;
  const found = find(JSON.parse(text) as unknown, []);
  if (found) throw new CoercionError(`${found}, ${WHY}; a string cut in the middle of a character leaves one: cut it elsewhere, or send toWellFormed() of that string`);
}

function find(value: unknown, keys: (string | number)[]): string | undefined {
  if (typeof value === "string") {
    const at = loneSurrogateAt(value);
    return at < 0 ? undefined : `${spell(keys)} holds ${where(value, at)}`;
  }
  if (value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = find(value[i], [...keys, i]);
      if (found) return found;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const at = loneSurrogateAt(k);
    if (at >= 0) return `the key ${JSON.stringify(k)} in ${spell(keys)} holds ${where(k, at)}`;
    const found = find(v, [...keys, k]);
    if (found) return found;
  }
  return undefined;
}
