/**
 * Our 14 column types as JSON Schema, for Airbyte's discover and Singer's SCHEMA messages
 * (docs/engines.md, The mapping). Every column but a key column may be null; an undeclared
 * column may arrive at any time, so a stream's schema stays open (`additionalProperties`).
 */
import type { LogicalType } from "../normalize/types.js";
import type { TableSpec } from "../destinations/destination.js";
import type { DeclaredTable } from "../normalize/declared.js";

export type JsonSchema = Record<string, unknown>;

/** The schema of a value of one type; `airbyte_type` is Airbyte's hint, which other readers ignore. */
export function typeSchema(t: LogicalType | null): JsonSchema {
  if (!t) return {};
  switch (t.type) {
    case "BOOLEAN":
      return { type: "boolean" };
    case "SHORT":
    case "INT":
    case "LONG":
      return { type: "integer" };
    case "FLOAT":
    case "DOUBLE":
      return { type: "number" };
    // Written as a JSON number with its exact digits.
    case "DECIMAL":
      return { type: "number", ...(t.precision !== undefined ? { description: `DECIMAL(${t.precision},${t.scale})` } : {}) };
    case "NAIVE_DATE":
      return { type: "string", format: "date" };
    case "NAIVE_DATETIME":
      return { type: "string", format: "date-time", airbyte_type: "timestamp_without_timezone" };
    case "UTC_DATETIME":
      return { type: "string", format: "date-time", airbyte_type: "timestamp_with_timezone" };
    case "BINARY":
      return { type: "string", contentEncoding: "base64" };
    case "XML":
    case "STRING":
      return { type: "string" };
    case "JSON":
      return { type: ["object", "array", "string", "number", "boolean"] };
  }
}

/** A column's schema, nullable unless it is part of the key. */
export function columnSchema(t: LogicalType | null, nullable: boolean): JsonSchema {
  const s = typeSchema(t);
  if (!nullable || s.type === undefined) return s;
  return { ...s, type: ["null", ...(Array.isArray(s.type) ? s.type : [s.type])] };
}

export interface StreamShape {
  name: string;
  columns: { name: string; type: LogicalType | null; pk: boolean }[];
  /** The key columns, in catalog order; `_fivetran_id` for a table without a declared key. */
  key: string[];
}

export const FIVETRAN_ID = "_fivetran_id";

/** A declared table as a stream: a table without a key is keyed by `_fivetran_id`, as in the warehouse. */
export function declaredStream(t: DeclaredTable): StreamShape {
  const columns = t.columns.map((c) => ({ name: c.name, type: c.type, pk: c.pk }));
  if (!t.hasPk) columns.unshift({ name: FIVETRAN_ID, type: { type: "STRING" }, pk: true });
  return { name: t.name, columns, key: columns.filter((c) => c.pk).map((c) => c.name) };
}

/** A table as the catalog holds it, as a stream. */
export function tableStream(t: TableSpec): StreamShape {
  return { name: t.name, columns: t.columns.map((c) => ({ name: c.name, type: c.type, pk: c.pk })), key: t.columns.filter((c) => c.pk).map((c) => c.name) };
}

/** The stream's JSON Schema, with the protocol's delete marker column. */
export function streamSchema(s: StreamShape, deletedColumn: string): JsonSchema {
  const properties: JsonSchema = {};
  for (const c of s.columns) properties[c.name] = columnSchema(c.type, !c.pk);
  properties[deletedColumn] = { type: ["null", "string"], format: "date-time" };
  return { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties, required: s.key, additionalProperties: true };
}
