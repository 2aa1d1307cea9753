/**
 * A JSON value as text, checked first: JSON.stringify silently turns a Map or Set into {}, NaN
 * into null and drops functions, so a value with such a part is refused, at its path. Bigints
 * and bytes are kept, as decimal and base64 strings.
 */
import { describe, spell } from "../util/describe.js";
import { checkJsonText } from "./lone-surrogates.js";
import { CoercionError } from "./types.js";
import { bytesOf, isBytes, unsupported } from "./values.js";

/**
 * Checks that JSON.stringify would keep every part of a value: it silently turns a Map or Set into {}, NaN and
 * Infinity into null, and drops functions and symbols. Returns whether a replacer is needed (bigints and bytes).
 * It runs when scanJson found something, to name the path.
 */
function checkJson(value: unknown, keys: (string | number)[], parents: object[]): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return false;
    case "number":
      if (value - value !== 0) throw new CoercionError(unsupported(value, spell(keys)));
      return false;
    case "bigint":
      return true;
    case "object":
      break;
    default:
      throw new CoercionError(unsupported(value, spell(keys)));
  }
  if (value === null) return false;
  const isArray = Array.isArray(value);
  const proto = isArray ? null : Object.getPrototypeOf(value);
  if (isArray || proto === Object.prototype || proto === null) {
    if (parents.length >= MAX_JSON_DEPTH) {
      const at = spell(keys.slice(0, 8));
      throw new CoercionError(
        `the value is nested more than ${MAX_JSON_DEPTH.toLocaleString("en-US")} levels deep (at ${at}…), which SQLite's JSON functions cannot read; store a flatter shape, or the deep part as a string`,
      );
    }
    if (parents.includes(value)) throw new CoercionError(`${spell(keys)} refers back to one of its parents (a cycle), which JSON cannot hold`);
    parents.push(value);
    let replace = false;
    if (isArray) {
      const a = value as unknown[];
      for (let i = 0; i < a.length; i++) {
        keys.push(i);
        if (checkJson(a[i], keys, parents)) replace = true;
        keys.pop();
      }
    } else {
      const o = value as Record<string, unknown>;
      for (const k in o) {
        keys.push(k);
        if (checkJson(o[k], keys, parents)) replace = true;
        keys.pop();
      }
    }
    parents.pop();
    return replace;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new CoercionError(`${spell(keys)} is an invalid Date, which JSON would store as null`);
    return false;
  }
  if (isBytes(value)) return true;
  throw new CoercionError(unsupported(value, spell(keys)));
}

/** The deepest nesting of objects and arrays that SQLite's JSON functions read (json_valid is 0 beyond it). */
const MAX_JSON_DEPTH = 1000;

/** Inside JSON: bigints as decimal strings, bytes as base64 strings (as a STRING column stores them). */
function jsonReplacer(this: unknown, key: string, v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  // JSON.stringify has already called Buffer's toJSON, so look at the original value.
  const original = (this as Record<string, unknown>)[key];
  if (isBytes(original)) return bytesOf(original).toString("base64");
  return v;
}

/**
 * The quick pass of checkJson, on every JSON value: 0 when JSON.stringify keeps it all, 1 when it needs the
 * replacer, -1 when something is wrong (or nests very deep, maybe a cycle), for checkJson to explain.
 */
function scanJson(value: unknown, depth: number): number {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return 0;
    case "number":
      return value - value === 0 ? 0 : -1;
    case "bigint":
      return 1;
    case "object":
      break;
    default:
      return -1;
  }
  if (value === null) return 0;
  if (depth > 100) return -1;
  let flags = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const f = scanJson(value[i], depth + 1);
      if (f < 0) return f;
      flags |= f;
    }
    return flags;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const o = value as Record<string, unknown>;
    for (const k in o) {
      const f = scanJson(o[k], depth + 1);
      if (f < 0) return f;
      flags |= f;
    }
    return flags;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? -1 : 0;
  return isBytes(value) ? 1 : -1;
}

/** A JSON value as the text a JSON column stores, or a CoercionError naming the part JSON.stringify would lose. */
export function toJsonText(value: unknown): string {
  if (value === undefined) throw new CoercionError(`JSON cannot hold ${describe(value)}`);
  const quick = scanJson(value, 0);
  const replace = quick < 0 ? checkJson(value, [], []) : quick === 1;
  // A replacer slows every call several times over, so it is only used when a bigint or bytes need it.
  const text = replace ? JSON.stringify(value, jsonReplacer) : JSON.stringify(value);
  checkJsonText(text);
  return text;
}
