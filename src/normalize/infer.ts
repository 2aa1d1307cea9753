/** The type of an undeclared column, from its values (DESIGN section 4, README "Types"), and how it widens. */
import { CoercionError, type DataType, type LogicalType } from "./types.js";
import { INT64_MAX, INT64_MIN, isBytes, isJsonContainer, isUnsafeInteger, unsupported } from "./values.js";
import { inDateRange } from "./coerce-datetime.js";

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
      // NaN has no REAL form in SQLite (it would be NULL): a STRING holds "NaN", whichever value came first.
      return Number.isSafeInteger(value) ? INFERRED.LONG : Number.isNaN(value) ? INFERRED.STRING : INFERRED.DOUBLE;
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
      // A Date outside years 0001–9999 has no UTC_DATETIME text; a STRING holds its ISO text.
      if (value instanceof Date) return Number.isNaN(value.getTime()) || inDateRange(value) ? INFERRED.UTC_DATETIME : INFERRED.STRING;
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

