/** Fivetran's DuckDB type mapping, and how each canonical stored value is appended. */
import type { DuckDBAppender } from "@duckdb/node-api";
import type { LogicalType, Stored } from "../destination.js";

/** DuckDB's widest DECIMAL; a wider declared DECIMAL is kept as exact text in a VARCHAR. */
export const MAX_DECIMAL_WIDTH = 38;

export function duckType(t: LogicalType | null): string {
  if (!t) return "VARCHAR";
  switch (t.type) {
    case "BOOLEAN":
      return "BOOLEAN";
    case "SHORT":
      return "SMALLINT";
    case "INT":
      return "INTEGER";
    case "LONG":
      return "BIGINT";
    case "DECIMAL":
      return (t.precision ?? 38) <= MAX_DECIMAL_WIDTH ? `DECIMAL(${t.precision ?? 38},${t.scale ?? 0})` : "VARCHAR";
    case "FLOAT":
      return "FLOAT";
    case "DOUBLE":
      return "DOUBLE";
    case "NAIVE_DATE":
      return "DATE";
    case "NAIVE_DATETIME":
      return "TIMESTAMP";
    case "UTC_DATETIME":
      return "TIMESTAMPTZ";
    case "BINARY":
      return "BLOB";
    case "JSON":
      return "JSON";
    case "XML":
    case "STRING":
      return "VARCHAR";
  }
}

export type Append = (a: DuckDBAppender, v: Stored) => void;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Canonical stored values are numbers, bigints, text and Buffers; DuckDB casts text to dates, timestamps and decimals exactly. */
export function appenderFor(t: LogicalType | null): Append {
  const type = t?.type;
  switch (type) {
    case "BOOLEAN":
      return (a, v) => (v === null ? a.appendNull() : a.appendBoolean(v === 1 || v === 1n));
    case "SHORT":
    case "INT":
    case "LONG":
      return (a, v) => {
        if (v === null) a.appendNull();
        else if (typeof v === "number" && v >= INT32_MIN && v <= INT32_MAX) a.appendInteger(v);
        else a.appendBigInt(BigInt(v as number | bigint));
      };
    case "FLOAT":
      return (a, v) => (v === null ? a.appendNull() : a.appendFloat(v as number));
    case "DOUBLE":
      return (a, v) => (v === null ? a.appendNull() : a.appendDouble(v as number));
    case "BINARY":
      return (a, v) => (v === null ? a.appendNull() : a.appendBlob(v as Buffer));
    default:
      return (a, v) => (v === null ? a.appendNull() : a.appendVarchar(typeof v === "string" ? v : String(v)));
  }
}
