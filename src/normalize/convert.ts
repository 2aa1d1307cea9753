/** The conversion of stored values on a widening, the same for every destination. */
import { describe } from "../util/describe.js";
import { parseJsonExact, stringifyExact } from "../util/exact.js";
import { coercerFor } from "./coerce.js";
import { isUnsafeInteger } from "./values.js";
import { CoercionError, formatType, sqliteClass, type LogicalType, type Stored } from "./types.js";

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
    if (from?.type === "JSON" && typeof value === "string") return jsonOrderedText(parseJsonExact(value));
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


/**
 * A JSON value's text once its column holds STRING. PostgreSQL's jsonb keeps no text as sent, only its
 * own key order (shorter keys first, then by UTF-8 bytes), so every destination writes that order,
 * compact, and the old rows read the same everywhere.
 */
function jsonOrderedText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(jsonOrderedText).join(",")}]`;
  if (v === null || typeof v !== "object") return stringifyExact(v);
  const keys = Object.keys(v).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${jsonOrderedText((v as Record<string, unknown>)[k])}`).join(",")}}`;
}
