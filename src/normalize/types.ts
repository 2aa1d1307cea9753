/** The 14 logical types of a Fivetran connector, how they are written, and the stored form they share in every destination. */
import { describe } from "../util/describe.js";

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

export class CoercionError extends Error {}

/** A value as it is bound into SQLite. */
export type Stored = number | bigint | string | Buffer | null;

export type Coercer = (value: unknown) => Stored;

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

export { describe };
