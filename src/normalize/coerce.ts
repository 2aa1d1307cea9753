/**
 * Coercion of a value into the exact stored form of a declared or inferred type, or a
 * CoercionError that says why not. About 340 lines: one coercer per logical type, a table
 * best read in one place (dates and times live in coerce-datetime.ts).
 */
import { describe } from "../util/describe.js";
import { coerceNaiveDate, coerceNaiveDateTime, coerceUtcDateTime, isoDate } from "./coerce-datetime.js";
import { checkText } from "./lone-surrogates.js";
import { bytesOf, INT64_MAX, INT64_MIN, isBytes, isJsonContainer, isUnsafeInteger, unsupported } from "./values.js";
import { toJsonText } from "./json-text.js";
import { CoercionError, type Coercer, type DataType, type LogicalType, type Stored } from "./types.js";

/** Converts a value into the exact stored form of a logical type, or throws a CoercionError saying why not. */
export function coerce(t: LogicalType, value: unknown): Stored {
  if (value === null || value === undefined) return null;
  return coercerFor(t)(value);
}


const COERCERS: Record<Exclude<DataType, "DECIMAL">, Coercer> = {
  BOOLEAN: (v) => coerceBoolean(v),
  // An integer number in range is the common case: checked first, without a BigInt.
  SHORT: (v) => (typeof v === "number" && Number.isInteger(v) && v >= -32768 && v <= 32767 ? v : coerceInteger(v, -32768n, 32767n, "SHORT")),
  INT: (v) => (typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? v : coerceInteger(v, -2147483648n, 2147483647n, "INT")),
  LONG: (v) => (typeof v === "number" && Number.isSafeInteger(v) ? v : coerceInteger(v, INT64_MIN, INT64_MAX, "LONG")),
  FLOAT: (v) => coerceFloat(v, "FLOAT"),
  DOUBLE: (v) => coerceFloat(v, "DOUBLE"),
  NAIVE_DATE: (v) => coerceNaiveDate(v),
  NAIVE_DATETIME: (v) => coerceNaiveDateTime(v),
  UTC_DATETIME: (v) => coerceUtcDateTime(v),
  BINARY: (v) => {
    // A copy: the connector may refill its buffer for the next row before the destination writes this one.
    if (isBytes(v)) return Buffer.from(bytesOf(v));
    throw new CoercionError(`BINARY needs a Uint8Array or Buffer, got ${describe(v)}`);
  },
  XML: (v) => {
    if (typeof v === "string") return checkText(v);
    throw new CoercionError(`XML needs a string, got ${describe(v)}`);
  },
  STRING: (v) => toText(v),
  JSON: (v) => toJsonText(v),
};

/** The converter of one logical type, chosen once per column rather than once per value. It expects a non-null value. */
export function coercerFor(t: LogicalType): Coercer {
  if (t.type !== "DECIMAL") return COERCERS[t.type];
  const precision = t.precision ?? 38;
  const scale = t.scale ?? 0;
  return (v) => coerceDecimal(v, precision, scale);
}

function coerceBoolean(value: unknown): number {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value === 0 || value === 1) return value;
  if (typeof value === "string") {
    const s = value.trim().toLowerCase();
    if (s === "true" || s === "1") return 1;
    if (s === "false" || s === "0") return 0;
  }
  throw new CoercionError(`BOOLEAN needs true/false (or 0/1, "true"/"false"), got ${describe(value)}`);
}

function coerceInteger(value: unknown, min: bigint, max: bigint, name: string): number | bigint {
  // Safe integers are the common case: compare them as numbers, without a BigInt per value.
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= Number(min) && value <= Number(max)) return value;
  let big: bigint;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new CoercionError(`${name} needs an integer, got ${value}`);
    if (!Number.isSafeInteger(value)) throw new CoercionError(`${name} got ${value}, beyond JavaScript's safe integers: pass it as a bigint or a string to keep it exact`);
    big = BigInt(value);
  } else if (typeof value === "bigint") {
    big = value;
  } else if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) {
    big = BigInt(value.trim());
  } else {
    throw new CoercionError(`${name} needs an integer, got ${describe(value)}`);
  }
  if (big < min || big > max) throw new CoercionError(`${name} holds ${min} to ${max}, got ${big}`);
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : big;
}

/** Decimal notation only: Number() would also read "0x10", "0b1" and "" as numbers. */
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?Infinity$/;

function coerceFloat(value: unknown, name: "FLOAT" | "DOUBLE"): number {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "bigint") {
    if (isUnsafeInteger(value)) throw new CoercionError(`${name} cannot hold ${value} exactly (it is beyond ±2^53) and would round it; declare the column LONG, DECIMAL(p,0) or STRING`);
    n = Number(value);
  } else if (typeof value === "string" && FLOAT_TEXT.test(value.trim())) n = floatFromText(value.trim(), name);
  else throw new CoercionError(`${name} needs a number or a decimal numeric string, got ${describe(value)}`);
  if (Number.isNaN(n)) throw new CoercionError(`${name} got NaN, which SQLite cannot store; send null instead`);
  // -0 is 0: SQLite and PostgreSQL (through node-postgres) store 0, and DuckDB would keep -0 alone.
  if (n === 0) n = 0;
  if (name !== "FLOAT") return n;
  // FLOAT is 32-bit in Fivetran's protocol and in its destinations (DuckDB FLOAT, PostgreSQL REAL): the
  // warehouse stores what production will hold (the normalizer warns when that differs from what was
  // sent), but a value 32 bits turn into Infinity or 0 has no such form and is refused.
  const f = Math.fround(n);
  if ((f === 0 && n !== 0) || (!Number.isFinite(f) && Number.isFinite(n))) {
    throw new CoercionError(`FLOAT is a 32-bit float and would store ${n} as ${f}; declare the column DOUBLE`);
  }
  return f;
}

/**
 * A decimal string as the nearest double, which is what a DOUBLE means; but an integer string beyond ±2^53 (an id,
 * most likely) or a number too large or too small for a double to tell from Infinity or 0 is refused, not changed.
 */
function floatFromText(text: string, name: string): number {
  const n = Number(text);
  if (/^[+-]?\d+$/.test(text) && isUnsafeInteger(BigInt(text))) {
    throw new CoercionError(`${name} cannot hold ${JSON.stringify(cut(text))} exactly (it is beyond ±2^53) and would round it; declare the column LONG, DECIMAL(p,0) or STRING`);
  }
  if (!Number.isFinite(n) && !text.endsWith("Infinity")) {
    throw new CoercionError(`${name} cannot hold ${JSON.stringify(cut(text))}: it is beyond the largest double (about ±1.8e308) and would become ${n}; declare the column DECIMAL or STRING`);
  }
  if (n === 0 && /[1-9]/.test(text.split(/[eE]/)[0]!)) {
    throw new CoercionError(`${name} cannot hold ${JSON.stringify(cut(text))}: it is too close to zero for a double and would become 0; declare the column DECIMAL or STRING`);
  }
  return n;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Canonical DECIMAL text: no leading zeros, exactly `scale` fraction digits, rejecting anything that would lose digits. */
function coerceDecimal(value: unknown, precision: number, scale: number): string {
  let text: string;
  if (typeof value === "bigint") text = value.toString();
  else if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new CoercionError(`DECIMAL(${precision},${scale}) got ${value}`);
    text = String(value);
  } else if (typeof value === "string") text = value.trim();
  else throw new CoercionError(`DECIMAL(${precision},${scale}) needs a numeric string, number or bigint, got ${describe(value)}`);
  const m = DECIMAL_TEXT.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new CoercionError(`DECIMAL(${precision},${scale}) needs a number, got ${JSON.stringify(text)}`);
  const sign = m[1] === "-" ? "-" : "";
  let digits = (m[2] ?? "") + (m[3] ?? "");
  let point = (m[2] ?? "").length + Number(m[4] ?? 0);
  // An exponent far beyond the digits and the precision decides the answer without spelling out its zeros.
  if (Math.abs(point) > digits.length + precision + 1) {
    if (/^0*$/.test(digits)) return "0" + (scale > 0 ? "." + "0".repeat(scale) : "");
    if (point < 0) throw new CoercionError(`DECIMAL(${precision},${scale}) keeps ${scale} decimal places; ${JSON.stringify(cut(text))} would lose digits`);
    throw new CoercionError(`DECIMAL(${precision},${scale}) holds at most ${precision - scale} digits before the point, got ${JSON.stringify(cut(text))}`);
  }
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits = digits + "0".repeat(point - digits.length);
  let intPart = digits.slice(0, point).replace(/^0+/, "");
  let frac = digits.slice(point).replace(/0+$/, "");
  if (frac.length > scale) throw new CoercionError(`DECIMAL(${precision},${scale}) keeps ${scale} decimal places; ${JSON.stringify(text)} would lose digits`);
  if (intPart.length > precision - scale) throw new CoercionError(`DECIMAL(${precision},${scale}) holds at most ${precision - scale} digits before the point, got ${JSON.stringify(text)}`);
  frac = frac.padEnd(scale, "0");
  if (intPart === "") intPart = "0";
  const zero = /^0*$/.test(intPart + frac);
  return (zero ? "" : sign) + intPart + (scale > 0 ? "." + frac : "");
}

function toText(value: unknown): string {
  if (typeof value === "string") return checkText(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return isoDate(value, "STRING");
  if (isBytes(value)) return bytesOf(value).toString("base64");
  if (typeof value === "object" && value !== null && isJsonContainer(value)) return toJsonText(value);
  throw new CoercionError(unsupported(value));
}

/**
 * The value as the connector sent it, as text: what a STRING column stores for it. Strings as they are, numbers and
 * bigints in decimal (String()), booleans "true"/"false", Dates as ISO-8601 UTC, bytes as base64, objects and arrays
 * as their JSON text. It does not depend on any column's type, so keyless rows hash it.
 */
export const sourceText: (value: unknown) => string = toText;

/** Cuts a long text for an error message. */
function cut(text: string): string {
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

