/**
 * A response body parsed as JSON without losing an integer: JSON.parse rounds any integer beyond ±(2^53 − 1)
 * (1234567890123456789 and …790 both become 1234567890123456800), which would merge two rows that have
 * distinct ids. Such integers come back as bigints, which the warehouse keeps exactly; every other number is
 * as JSON.parse gives it. Only a body holding a run of 16 digits takes the slower exact parse.
 */
import { createRequire } from "node:module";

type LosslessJson = typeof import("lossless-json");
// Loaded on the first such body only: its ES build costs about 14 ms to import, in every process that pages.
let lossless: LosslessJson | undefined;
const load = (): LosslessJson => (lossless ??= createRequire(import.meta.url)("lossless-json") as LosslessJson);

const LONG_DIGITS = /\d{16}/;
const INTEGER = /^-?\d+$/;

function exactNumber(literal: string): number | bigint {
  const n = Number(literal);
  return Number.isSafeInteger(n) || !INTEGER.test(literal) ? n : BigInt(literal);
}

/** `warn` is told when the body could only be read with its large integers rounded. */
export function parseJsonBody(text: string, warn: (why: string) => void): unknown {
  const value: unknown = JSON.parse(text);
  if (!LONG_DIGITS.test(text)) return value;
  try {
    return load().parse(text, undefined, exactNumber);
  } catch (e) {
    // JSON.parse read it: a key given twice is the one thing the exact parser refuses that JSON.parse takes (the last one wins).
    warn(`${(e as Error).message}; read as JSON.parse reads it, so an integer beyond ±(2^53 − 1) in it may be rounded`);
    return value;
  }
}
