/**
 * A response body parsed as JSON without losing an integer: JSON.parse rounds any integer beyond ±(2^53 − 1)
 * (1234567890123456789 and …790 both become 1234567890123456800), which would merge two rows that have
 * distinct ids. Such integers come back as bigints, which the warehouse keeps exactly; every other number is
 * as JSON.parse gives it. Only a body that JSON.parse gave a number beyond that range takes the slower exact parse.
 */
import { createRequire } from "node:module";

type LosslessJson = typeof import("lossless-json");
// Loaded on the first such body only: its ES build costs about 14 ms to import, in every process that pages.
let lossless: LosslessJson | undefined;
const load = (): LosslessJson => (lossless ??= createRequire(import.meta.url)("lossless-json") as LosslessJson);

const SAFE_LIMIT = 2 ** 53;
const INTEGER = /^-?\d+$/;

/** Whether JSON.parse's value holds a number of ±2^53 or more: every such double is an integer, so a literal beyond the safe range shows here. */
function holdsUnsafeNumber(v: unknown): boolean {
  if (typeof v === "number") return v >= SAFE_LIMIT || v <= -SAFE_LIMIT;
  if (v === null || typeof v !== "object") return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (holdsUnsafeNumber(v[i])) return true;
    return false;
  }
  for (const k in v) if (holdsUnsafeNumber((v as Record<string, unknown>)[k])) return true;
  return false;
}

function exactNumber(literal: string): number | bigint {
  const n = Number(literal);
  return Number.isSafeInteger(n) || !INTEGER.test(literal) ? n : BigInt(literal);
}

/** `warn` is told when the body could only be read with its large integers rounded. */
export function parseJsonBody(text: string, warn: (why: string) => void): unknown {
  const value: unknown = JSON.parse(text);
  let unsafe: boolean;
  try {
    unsafe = holdsUnsafeNumber(value);
  } catch {
    // Nested deeper than this walk's stack: the exact parse is tried, and says so if it cannot either.
    unsafe = true;
  }
  if (!unsafe) return value;
  try {
    return load().parse(text, undefined, exactNumber);
  } catch (e) {
    // JSON.parse read it: what the exact parser refuses is a key given twice (JSON.parse keeps the last) or nesting too deep for it.
    warn(`${(e as Error).message}; read as JSON.parse reads it, so an integer beyond ±(2^53 − 1) in it may be rounded`);
    return value;
  }
}
