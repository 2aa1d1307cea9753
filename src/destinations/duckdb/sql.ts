/** The DuckDB layout: user tables in schema `tester`, as Fivetran's local tester writes them, and the bookkeeping in schema `_connector`. */
import type { TableSpec } from "../destination.js";
import { duckType } from "./types.js";

export const DATA_SCHEMA = "tester";
export const META_SCHEMA = "_connector";
export const SYNCED = "_fivetran_synced";
export const DELETED = "_fivetran_deleted";
export const GENERATION = "_connector_generation";

export const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const tableRef = (name: string): string => `${DATA_SCHEMA}.${q(name)}`;

/** The bookkeeping tables, made when missing. */
export const META_TABLES = [
  `CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.columns (
    table_name VARCHAR NOT NULL, column_name VARCHAR NOT NULL, type VARCHAR, declared BOOLEAN NOT NULL,
    primary_key BOOLEAN NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (table_name, column_name))`,
  `CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.table_sources (
    table_name VARCHAR NOT NULL, source_name VARCHAR NOT NULL, PRIMARY KEY (table_name, source_name))`,
  `CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.checkpoints (
    seq BIGINT PRIMARY KEY, run BIGINT NOT NULL, time TIMESTAMPTZ NOT NULL, state JSON NOT NULL, operations JSON NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.truncates (table_name VARCHAR NOT NULL, generation BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.runs (run BIGINT PRIMARY KEY, time TIMESTAMPTZ NOT NULL)`,
];

/** A table with Fivetran's system columns, and `_connector_generation` when `generated` (a truncate added it). */
export function createTableSql(spec: TableSpec, generated: boolean): string {
  const cols = spec.columns.map((c) => `${q(c.name)} ${duckType(c.type)}${c.pk ? " NOT NULL" : ""}`);
  cols.push(`${q(SYNCED)} TIMESTAMPTZ NOT NULL`, `${q(DELETED)} BOOLEAN NOT NULL DEFAULT false`);
  if (generated) cols.push(`${q(GENERATION)} BIGINT NOT NULL DEFAULT 0`);
  cols.push(`PRIMARY KEY (${spec.columns.filter((c) => c.pk).map((c) => q(c.name)).join(", ")})`);
  return `CREATE TABLE ${tableRef(spec.name)} (${cols.join(", ")})`;
}
