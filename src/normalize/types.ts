/** The 14 logical types of a Fivetran connector, plus DECIMAL's precision and scale. */
export const DATA_TYPES = [
  "BOOLEAN",
  "SHORT",
  "INT",
  "LONG",
  "DECIMAL",
  "FLOAT",
  "DOUBLE",
  "NAIVE_DATE",
  "NAIVE_DATETIME",
  "UTC_DATETIME",
  "BINARY",
  "XML",
  "STRING",
  "JSON",
] as const;

/** One of the 14 column types. */
export type DataType = (typeof DATA_TYPES)[number];

export interface LogicalType {
  type: DataType;
  precision?: number;
  scale?: number;
}

export type SqliteClass = "INTEGER" | "REAL" | "TEXT" | "BLOB";

export function sqliteClass(type: DataType): SqliteClass {
  switch (type) {
    case "BOOLEAN":
    case "SHORT":
    case "INT":
    case "LONG":
      return "INTEGER";
    case "FLOAT":
    case "DOUBLE":
      return "REAL";
    case "BINARY":
      return "BLOB";
    default:
      return "TEXT";
  }
}

export function formatType(t: LogicalType): string {
  return t.type === "DECIMAL" ? `DECIMAL(${t.precision},${t.scale})` : t.type;
}

const DECIMAL_RE = /^DECIMAL\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/i;

/** Parses a column type as written in schema(): "LONG", "decimal(10,2)" or { type: "DECIMAL", precision, scale }. */
export function parseType(spec: unknown): LogicalType {
  if (typeof spec === "string") {
    const m = DECIMAL_RE.exec(spec.trim());
    if (m) return decimal(Number(m[1]), Number(m[2]));
    const upper = spec.trim().toUpperCase();
    if (upper === "DECIMAL") throw new Error(`DECIMAL needs a precision and a scale: write "DECIMAL(p,s)" or { type: "DECIMAL", precision: p, scale: s }`);
    if ((DATA_TYPES as readonly string[]).includes(upper)) return { type: upper as DataType };
    throw new Error(`unknown type ${JSON.stringify(spec)}; the types are ${DATA_TYPES.join(", ")}`);
  }
  if (spec && typeof spec === "object" && !Array.isArray(spec)) {
    const o = spec as Record<string, unknown>;
    if (typeof o.type !== "string") throw new Error(`a column type object needs a "type" string, got ${JSON.stringify(spec)}`);
    const upper = o.type.toUpperCase();
    if (upper !== "DECIMAL") {
      if (o.precision !== undefined || o.scale !== undefined) throw new Error(`only DECIMAL takes a precision and scale, got ${JSON.stringify(spec)}`);
      return parseType(o.type);
    }
    if (typeof o.precision !== "number" || typeof o.scale !== "number") {
      throw new Error(`DECIMAL needs numeric "precision" and "scale", got ${JSON.stringify(spec)}`);
    }
    return decimal(o.precision, o.scale);
  }
  throw new Error(`a column type must be a string or { type, precision, scale }, got ${describe(spec)}`);
}

function decimal(precision: number, scale: number): LogicalType {
  if (!Number.isInteger(precision) || precision < 1 || precision > 1000) throw new Error(`DECIMAL precision must be an integer from 1 to 1000, got ${precision}`);
  if (!Number.isInteger(scale) || scale < 0 || scale > precision) throw new Error(`DECIMAL scale must be an integer from 0 to the precision (${precision}), got ${scale}`);
  return { type: "DECIMAL", precision, scale };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
/** The most digits an inferred DECIMAL keeps; a longer bigint is inferred STRING. */
const INFERRED_DECIMAL_DIGITS = 38;

const INFERRED = {
  BOOLEAN: Object.freeze({ type: "BOOLEAN" }),
  LONG: Object.freeze({ type: "LONG" }),
  DOUBLE: Object.freeze({ type: "DOUBLE" }),
  BIG: Object.freeze({ type: "DECIMAL", precision: INFERRED_DECIMAL_DIGITS, scale: 0 }),
  STRING: Object.freeze({ type: "STRING" }),
  UTC_DATETIME: Object.freeze({ type: "UTC_DATETIME" }),
  BINARY: Object.freeze({ type: "BINARY" }),
  JSON: Object.freeze({ type: "JSON" }),
} satisfies Record<string, LogicalType>;

/** Whether a value is an integer beyond ±(2^53 - 1), which a DOUBLE cannot hold exactly. */
export function isUnsafeInteger(value: unknown): boolean {
  return typeof value === "bigint" && (value < SAFE_MIN || value > SAFE_MAX);
}

/**
 * The type an undeclared column gets from a non-null value (DESIGN section 4, README "Types"); undefined
 * for null. A value with no faithful form (a Map, a function...) is a CoercionError. Shared objects: read, never change.
 */
export function inferType(value: unknown): LogicalType | undefined {
  switch (typeof value) {
    case "boolean":
      return INFERRED.BOOLEAN;
    case "number":
      // Only a safe integer is surely the integer that was meant; 1e20 or 2 ** 60 may already be rounded.
      return Number.isSafeInteger(value) ? INFERRED.LONG : INFERRED.DOUBLE;
    case "bigint":
      if (value >= INT64_MIN && value <= INT64_MAX) return INFERRED.LONG;
      return (value < 0n ? -value : value).toString().length <= INFERRED_DECIMAL_DIGITS ? INFERRED.BIG : INFERRED.STRING;
    case "string":
      return INFERRED.STRING;
    case "undefined":
      return undefined;
    case "object":
      if (value === null) return undefined;
      if (isJsonContainer(value)) return INFERRED.JSON;
      if (value instanceof Date) return INFERRED.UTC_DATETIME;
      if (isBytes(value)) return INFERRED.BINARY;
      throw new CoercionError(unsupported(value));
    default:
      throw new CoercionError(unsupported(value));
  }
}

/** Whether a value inferred as `from` can be stored in an undeclared column of type `into` without widening it. */
export function fitsInferred(from: LogicalType, into: LogicalType, value?: unknown): boolean {
  if (from.type === into.type) {
    return from.type !== "DECIMAL" || (from.scale ?? 0) <= (into.scale ?? 0);
  }
  if (into.type === "STRING") return true;
  // A DOUBLE holds every integer up to 2^53 exactly, and no integer beyond it for sure.
  if (from.type === "LONG") return into.type === "DECIMAL" || (into.type === "DOUBLE" && !isUnsafeInteger(value));
  return false;
}

/**
 * The widening of an undeclared column: LONG and DOUBLE to DOUBLE, LONG and DECIMAL to DECIMAL, anything else
 * that disagrees to STRING. The engine widens LONG and DOUBLE to STRING instead when an integer beyond 2^53 is involved.
 */
export function widen(current: LogicalType, incoming: LogicalType): LogicalType {
  const pair = new Set<DataType>([current.type, incoming.type]);
  if (pair.size === 2 && pair.has("LONG") && pair.has("DOUBLE")) return { type: "DOUBLE" };
  if (pair.size === 2 && pair.has("LONG") && pair.has("DECIMAL")) return current.type === "DECIMAL" ? { ...current } : { ...incoming };
  return { type: "STRING" };
}

export class CoercionError extends Error {}

/** A value as it is bound into SQLite. */
export type Stored = number | bigint | string | Buffer | null;

/** Converts a value into the exact stored form of a logical type, or throws a CoercionError saying why not. */
export function coerce(t: LogicalType, value: unknown): Stored {
  if (value === null || value === undefined) return null;
  return coercerFor(t)(value);
}

export type Coercer = (value: unknown) => Stored;

const COERCERS: Record<Exclude<DataType, "DECIMAL">, Coercer> = {
  BOOLEAN: (v) => coerceBoolean(v),
  SHORT: (v) => coerceInteger(v, -32768n, 32767n, "SHORT"),
  INT: (v) => coerceInteger(v, -2147483648n, 2147483647n, "INT"),
  LONG: (v) => coerceInteger(v, INT64_MIN, INT64_MAX, "LONG"),
  FLOAT: (v) => coerceFloat(v, "FLOAT"),
  DOUBLE: (v) => coerceFloat(v, "DOUBLE"),
  NAIVE_DATE: (v) => coerceNaiveDate(v),
  NAIVE_DATETIME: (v) => coerceNaiveDateTime(v),
  UTC_DATETIME: (v) => coerceUtcDateTime(v),
  BINARY: (v) => {
    if (isBytes(v)) return bytesOf(v);
    throw new CoercionError(`BINARY needs a Uint8Array or Buffer, got ${describe(v)}`);
  },
  XML: (v) => {
    if (typeof v === "string") return v;
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

function coerceFloat(value: unknown, name: string): number {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "bigint") {
    if (isUnsafeInteger(value)) throw new CoercionError(`${name} cannot hold ${value} exactly (it is beyond ±2^53) and would round it; declare the column LONG, DECIMAL(p,0) or STRING`);
    n = Number(value);
  } else if (typeof value === "string" && FLOAT_TEXT.test(value.trim())) n = Number(value);
  else throw new CoercionError(`${name} needs a number or a decimal numeric string, got ${describe(value)}`);
  if (Number.isNaN(n)) throw new CoercionError(`${name} got NaN, which SQLite cannot store; send null instead`);
  if (name === "FLOAT" && Number.isFinite(n) && Math.fround(n) !== n) return Math.fround(n);
  return n;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Canonical DECIMAL text: no leading zeros, exactly `scale` fraction digits, rejecting anything that would lose digits. */
export function coerceDecimal(value: unknown, precision: number, scale: number): string {
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

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function validDate(y: number, mo: number, d: number): boolean {
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

function checkClock(h: number, mi: number, s: number, raw: string, name: string): void {
  if (h > 23 || mi > 59 || s > 59) throw new CoercionError(`${name} got an impossible time ${JSON.stringify(raw)}`);
}

function isoDate(d: Date, name: string): string {
  if (Number.isNaN(d.getTime())) throw new CoercionError(`${name} got an invalid Date`);
  return d.toISOString();
}

function coerceNaiveDate(value: unknown): string {
  if (value instanceof Date) return isoDate(value, "NAIVE_DATE").slice(0, 10);
  if (typeof value === "string") {
    const m = DATE_RE.exec(value.trim());
    if (m && validDate(+m[1]!, +m[2]!, +m[3]!)) return m[0];
  }
  throw new CoercionError(`NAIVE_DATE needs "YYYY-MM-DD" or a Date, got ${describe(value)}`);
}

function fraction(f: string | undefined): string {
  if (!f) return "";
  return "." + (f.length <= 3 ? f.padEnd(3, "0") : f.length <= 6 ? f.padEnd(6, "0") : f.padEnd(9, "0"));
}

function coerceNaiveDateTime(value: unknown): string {
  if (value instanceof Date) return isoDate(value, "NAIVE_DATETIME").slice(0, -1);
  if (typeof value === "string") {
    const s = value.trim();
    const dm = DATE_RE.exec(s);
    if (dm && validDate(+dm[1]!, +dm[2]!, +dm[3]!)) return `${s}T00:00:00`;
    const m = DATETIME_RE.exec(s);
    if (m && !m[8] && validDate(+m[1]!, +m[2]!, +m[3]!)) {
      checkClock(+m[4]!, +m[5]!, +(m[6] ?? 0), s, "NAIVE_DATETIME");
      return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}${fraction(m[7])}`;
    }
    if (m && m[8]) throw new CoercionError(`NAIVE_DATETIME has no time zone, got ${JSON.stringify(s)}; declare the column UTC_DATETIME to keep the zone`);
  }
  throw new CoercionError(`NAIVE_DATETIME needs "YYYY-MM-DDTHH:MM:SS[.fff]" or a Date, got ${describe(value)}`);
}

/** Already canonical (what toISOString() prints): the common case, checked without parsing. */
const CANONICAL_UTC = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

function coerceUtcDateTime(value: unknown): string {
  if (value instanceof Date) return isoDate(value, "UTC_DATETIME");
  if (typeof value === "string") {
    if (CANONICAL_UTC.test(value) && (value.charCodeAt(8) < 0x32 || (value.charCodeAt(8) === 0x32 && value.charCodeAt(9) <= 0x38) || validDate(+value.slice(0, 4), +value.slice(5, 7), +value.slice(8, 10)))) {
      return value;
    }
    const s = value.trim();
    const dm = DATE_RE.exec(s);
    if (dm && validDate(+dm[1]!, +dm[2]!, +dm[3]!)) return `${s}T00:00:00.000Z`;
    const m = DATETIME_RE.exec(s);
    if (m && validDate(+m[1]!, +m[2]!, +m[3]!)) {
      if (!m[8]) throw new CoercionError(`UTC_DATETIME needs a zone ("Z" or "+HH:MM"), got ${JSON.stringify(s)}; declare the column NAIVE_DATETIME for local times`);
      checkClock(+m[4]!, +m[5]!, +(m[6] ?? 0), s, "UTC_DATETIME");
      let offsetMin = 0;
      if (m[8].toUpperCase() !== "Z") {
        const z = m[8].replace(":", "");
        const hours = Number(z.slice(1, 3));
        const minutes = Number(z.slice(3, 5));
        if (hours > 23 || minutes > 59) throw new CoercionError(`UTC_DATETIME got an impossible UTC offset ${m[8]} in ${JSON.stringify(s)}; offsets run from -23:59 to +23:59`);
        offsetMin = (z[0] === "-" ? -1 : 1) * (hours * 60 + minutes);
      }
      const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)) - offsetMin * 60_000;
      const whole = new Date(ms).toISOString().slice(0, 19);
      return `${whole}${fraction(m[7]) || ".000"}Z`;
    }
  }
  throw new CoercionError(`UTC_DATETIME needs an ISO-8601 string with a zone or a Date, got ${describe(value)}`);
}

function toText(value: unknown): string {
  if (typeof value === "string") return value;
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

/** An Array or an object literal: what JSON holds. */
function isJsonContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Bytes: a Buffer, any typed array or DataView (its bytes), or an ArrayBuffer. */
function isBytes(value: unknown): value is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

function bytesOf(value: ArrayBufferView | ArrayBuffer): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Why a value has no faithful form in the warehouse, and what to pass instead. */
function unsupported(value: unknown, at = "the value"): string {
  if (typeof value === "function") return `${at} is a function, which has no faithful form in the warehouse; call it, or leave the key out`;
  if (typeof value === "symbol") return `${at} is a symbol (${value.toString()}), which has no faithful form in the warehouse; pass a string`;
  if (typeof value === "number") return `${at} is ${value}, which JSON cannot hold; send null or a string instead`;
  if (value instanceof Map) return `${at} is a Map, which JSON would store as {}; pass Object.fromEntries(map) (or [...map] for keys that are not strings)`;
  if (value instanceof Set) return `${at} is a Set, which JSON would store as {}; pass [...set]`;
  if (value instanceof Promise) return `${at} is a Promise; await it before passing the value (a forgotten await?)`;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name || "class";
  const hint = typeof (value as { toJSON?: unknown }).toJSON === "function" ? "pass value.toJSON() to store what it returns" : "pass a plain object, a string or a number made from it";
  return `${at} is a ${name} instance, which has no faithful form in the warehouse; ${hint}`;
}

function pathOf(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

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

/** "the value", or a path into it such as value.items[2]. */
function spell(keys: (string | number)[]): string {
  return keys.length === 0 ? "the value" : keys.reduce<string>((at, k) => pathOf(at, k), "value");
}

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

function toJsonText(value: unknown): string {
  if (value === undefined) throw new CoercionError(`JSON cannot hold ${describe(value)}`);
  const quick = scanJson(value, 0);
  const replace = quick < 0 ? checkJson(value, [], []) : quick === 1;
  // A replacer slows every call several times over, so it is only used when a bigint or bytes need it.
  return replace ? JSON.stringify(value, jsonReplacer) : JSON.stringify(value);
}

/** Cuts a long text for an error message. */
function cut(text: string): string {
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return value.toString();
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? "invalid" : value.toISOString()})`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  return String(value);
}

const NUMERIC_RANK: Partial<Record<DataType, number>> = { SHORT: 1, INT: 2, LONG: 3, DOUBLE: 4 };

/** Whether existing values of type `from` keep their meaning in a column of type `to`. */
export function isWidening(from: LogicalType, to: LogicalType): boolean {
  if (to.type === "STRING") return true;
  if (from.type === "FLOAT" && to.type === "DOUBLE") return true;
  const a = NUMERIC_RANK[from.type];
  const b = NUMERIC_RANK[to.type];
  if (a !== undefined && b !== undefined) return a <= b;
  if (from.type === "DECIMAL" && to.type === "DECIMAL") {
    const fs = from.scale ?? 0;
    const ts = to.scale ?? 0;
    return ts >= fs && (to.precision ?? 38) - ts >= (from.precision ?? 38) - fs;
  }
  return false;
}

/**
 * Converts a value stored under one type into the form the other type stores, as if the column had had that type
 * from the start: BOOLEAN 1 becomes "true", LONG 1 becomes "1" or 1.0, BINARY becomes base64, DECIMAL text takes
 * the new scale. Integers arrive as bigints (the warehouse reads them with safeIntegers). Throws a CoercionError
 * when the value has no exact form in the new type. `from` null: an untyped column, whose values already fit.
 */
export function convertStored(value: unknown, from: LogicalType | null, to: LogicalType): Stored {
  if (value === null || value === undefined) return null;
  if (typeof value === "number" && Number.isInteger(value) && sqliteClass(from?.type ?? to.type) === "INTEGER") value = BigInt(value);
  if (to.type === "STRING") {
    if (Buffer.isBuffer(value)) return value.toString("base64");
    if (from?.type === "BOOLEAN" && typeof value === "bigint") return value === 0n ? "false" : "true";
    if (typeof value === "bigint" || typeof value === "number") return String(value);
    return value as string;
  }
  if (from === null || formatType(from) === formatType(to)) return value as Stored;
  switch (to.type) {
    case "DOUBLE":
    case "FLOAT":
      if (typeof value === "bigint") {
        if (isUnsafeInteger(value)) throw new CoercionError(`${value} is beyond ±2^53, so ${to.type} cannot hold it exactly`);
        return Number(value);
      }
      if (typeof value === "number") return value;
      break;
    case "SHORT":
    case "INT":
    case "LONG":
      if (typeof value === "bigint") return coercerFor(to)(value);
      break;
    case "DECIMAL":
      if (typeof value === "bigint" || typeof value === "string") return coercerFor(to)(value);
      break;
  }
  throw new CoercionError(`${describe(value)} stored as ${from.type} has no form in ${formatType(to)}`);
}
