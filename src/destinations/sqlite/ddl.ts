/** The SQL of the SQLite warehouse: its table model, identifiers, CREATE TABLE and the metadata tables. */
import type Database from "better-sqlite3";
import { DELETED, FIVETRAN_ID, GENERATION, SYNCED } from "../../normalize/catalog.js";
import { formatType, sqliteClass, type LogicalType } from "../../normalize/types.js";
import type { UpsertBatch } from "./upsert-batch.js";

export interface Column {
  name: string;
  /** null only for a declared primary-key column whose type comes from its first value. */
  type: LogicalType | null;
  declared: boolean;
  pk: boolean;
  /** Position among the table's data columns: the column's slot in a row. */
  index: number;
}

export interface Table {
  name: string;
  columns: Map<string, Column>;
  order: Column[];
  pk: Column[];
  keyless: boolean;
  /** Has `_connector_generation`: added by the table's first truncate (or by an earlier version to every table). */
  generated: boolean;
  /** Bumped on every schema change, so cached statements know they are stale. */
  version: number;
  /** Upserts not yet written, and the statements that write them (upsert-batch.ts). */
  batch?: UpsertBatch;
  updates: Map<string, Database.Statement>;
  remove?: Database.Statement;
}

export const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export const METADATA_SQL = `
CREATE TABLE IF NOT EXISTS _connector_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  type TEXT,
  declared INTEGER NOT NULL,
  primary_key INTEGER NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (table_name, column_name)
);
CREATE TABLE IF NOT EXISTS _connector_checkpoints (
  seq INTEGER PRIMARY KEY,
  run INTEGER NOT NULL,
  time TEXT NOT NULL,
  state TEXT NOT NULL,
  operations TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS _connector_truncates (
  table_name TEXT NOT NULL,
  generation INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS _connector_runs (
  run INTEGER PRIMARY KEY,
  time TEXT NOT NULL
);
`;

/**
 * Every system column a table may have, after its data columns, in this order. A table has
 * `_connector_generation` only once a truncate needs it; the column limit counts it anyway, so that
 * a truncate always has room for it.
 */
export const SYSTEM_COLUMNS = [SYNCED, DELETED, GENERATION];
/** The system columns this table has. */
export const systemColumns = (t: Table): string[] => (t.generated ? SYSTEM_COLUMNS : [SYNCED, DELETED]);
export const GENERATION_SQL = `${q(GENERATION)} INTEGER NOT NULL DEFAULT 0`;

/**
 * The version of what the warehouse stores, in PRAGMA user_version. 1: columns' SQL types match their logical
 * types, widened values are converted, and _fivetran_id hashes the values as sent. 2: one text per date-time
 * instant (the fraction's trailing zeros trimmed to 3, 6 or 9 digits).
 */
export const FORMAT_VERSION = 2;

export const STRING: LogicalType = { type: "STRING" };

/** SQL that recomputes _fivetran_id from the stored values (what sourceText() gives for the values as sent). */
export function rowIdSql(t: Table): string {
  const args = t.order.filter((c) => c.name !== FIVETRAN_ID).map((c) => `${sqlText(c.name)}, ${c.type ? sqlText(formatType(c.type)) : "NULL"}, ${q(c.name)}`);
  return args.length ? `connector_row_id(${args.join(", ")})` : `connector_row_id()`;
}

export const sqlText = (text: string): string => `'${text.replace(/'/g, "''")}'`;

export function newTable(name: string): Table {
  return { name, columns: new Map(), order: [], pk: [], keyless: false, generated: false, version: 0, updates: new Map() };
}

export function touch(t: Table): void {
  t.version++;
  t.batch = undefined;
  t.remove = undefined;
  t.updates.clear();
}

export function pkWhere(t: Table): string {
  return t.pk.map((c) => `${q(c.name)} = ?`).join(" AND ");
}

export function createTableSql(t: Table, as = t.name): string {
  const cols = t.order.map((c) => `${q(c.name)}${c.type ? " " + sqliteClass(c.type.type) : ""}${c.pk ? " NOT NULL" : ""}`);
  cols.push(`${q(SYNCED)} TEXT NOT NULL`, `${q(DELETED)} INTEGER NOT NULL DEFAULT 0`);
  if (t.generated) cols.push(GENERATION_SQL);
  cols.push(`PRIMARY KEY (${t.pk.map((c) => q(c.name)).join(", ")})`);
  return `CREATE TABLE ${q(as)} (\n  ${cols.join(",\n  ")}\n)`;
}

/**
 * A whole-row replace on the primary key for `rows` rows, each bound as [synced, ...data columns in order].
 * `_fivetran_deleted` and `_connector_generation` (when the table has it) are literals, one bind fewer per
 * row: the statement is made again when the generation moves, which only a truncate does.
 */
export function upsertSql(t: Table, generation: number, rows: number): string {
  const cols = [...systemColumns(t), ...t.order.map((c) => c.name)];
  const one = `(${["?", "0", ...(t.generated ? [String(generation)] : []), ...t.order.map(() => "?")].join(", ")})`;
  const pk = t.pk.map((c) => q(c.name)).join(", ");
  const set = cols.filter((c) => !t.pk.some((p) => p.name === c)).map((c) => `${q(c)} = excluded.${q(c)}`);
  return `INSERT INTO ${q(t.name)} (${cols.map(q).join(", ")}) VALUES ${Array(rows).fill(one).join(", ")} ON CONFLICT (${pk}) DO UPDATE SET ${set.join(", ")}`;
}
