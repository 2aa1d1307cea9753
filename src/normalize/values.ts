/**
 * What a connector's values are, before any column's type: bytes, a JSON container, an integer
 * beyond a double's exact range or the 64-bit bounds, and why a value has no faithful form.
 * Both inference (infer.ts) and coercion (coerce.ts) ask.
 */
import { withArticle } from "../util/describe.js";

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** A bigint beyond ±(2^53 - 1), which a double cannot hold exactly. */
export function isUnsafeInteger(value: unknown): boolean {
  return typeof value === "bigint" && (value < SAFE_MIN || value > SAFE_MAX);
}

/** An Array or an object literal: what JSON holds. */
export function isJsonContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Bytes: a Buffer, any typed array or DataView (its bytes), or an ArrayBuffer. */
export function isBytes(value: unknown): value is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

/** The bytes of a bytes value, without a copy. */
export function bytesOf(value: ArrayBufferView | ArrayBuffer): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Why a value has no faithful form in the warehouse, and what to pass instead. */
export function unsupported(value: unknown, at = "the value"): string {
  if (typeof value === "function") return `${at} is a function, which has no faithful form in the warehouse; call it, or leave the key out`;
  if (typeof value === "symbol") return `${at} is a symbol (${value.toString()}), which has no faithful form in the warehouse; pass a string`;
  if (typeof value === "number") return `${at} is ${value}, which JSON cannot hold; send null or a string instead`;
  if (value instanceof Map) return `${at} is a Map, which JSON would store as {}; pass Object.fromEntries(map) (or [...map] for keys that are not strings)`;
  if (value instanceof Set) return `${at} is a Set, which JSON would store as {}; pass [...set]`;
  if (value instanceof Promise) return `${at} is a Promise; await it before passing the value (a forgotten await?)`;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name || "class";
  const hint = typeof (value as { toJSON?: unknown }).toJSON === "function" ? "pass value.toJSON() to store what it returns" : "pass a plain object, a string or a number made from it";
  return `${at} is ${withArticle(name)} instance, which has no faithful form in the warehouse; ${hint}`;
}

