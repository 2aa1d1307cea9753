/**
 * A warehouse read the same way whatever its destination, through each database's own client
 * (better-sqlite3, @duckdb/node-api, pg) and SQL, not through the product's readers, so a test
 * checks what was stored rather than what the product reads back. Every value comes back in
 * one form: integers as numbers (bigints beyond 2^53), booleans 0/1, DECIMAL and dates as
 * text, UTC date-times as ISO text with milliseconds, binary as a Buffer, JSON parsed.
 */
import Database from "better-sqlite3";
import pg from "pg";
import type { TestServer } from "./postgres.js";
import { createRequire } from "node:module";
// Through require(), as the product loads it (src/destinations/duckdb/driver.ts): imported, its ~50 CommonJS files are scanned for their export names first.
const { DuckDBInstance } = createRequire(import.meta.url)("@duckdb/node-api") as typeof import("@duckdb/node-api");

export type Row = Record<string, unknown>;

export interface Checkpoint {
  seq: number;
  state: unknown;
  operations: unknown;
}

export interface Warehouse {
  /** The connector's tables, as its column catalog records them. */
  tables(): Promise<string[]>;
  /** A table's columns and their logical types, as the column catalog records them. */
  logicalTypes(table: string): Promise<Record<string, string | null>>;
  /** A table's columns, as the database's own catalog has them. */
  columns(table: string): Promise<string[]>;
  /** A table's primary key, in key order, as the database's own catalog has it. */
  primaryKey(table: string): Promise<string[]>;
  /** A table's rows in primary key order, without _fivetran_synced and _connector_generation unless asked for `all` columns. */
  rows(table: string, options?: { all?: boolean }): Promise<Row[]>;
  checkpoints(): Promise<Checkpoint[]>;
  /** Truncates recorded and not yet carried out. */
  pendingTruncates(): Promise<number>;
  /** The destination's own SQL, for what only it has (its column types, a storage class); `table` names a table of the connector. */
  sql(build: (table: (name: string) => string) => string): Promise<Row[]>;
  /** The destination's own name for each column's type. */
  nativeTypes(table: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** A destination nothing was written to yet: no tables, no checkpoints. */
export const EMPTY: Warehouse = {
  tables: async () => [],
  checkpoints: async () => [],
  pendingTruncates: async () => 0,
  logicalTypes: nothing,
  columns: nothing,
  primaryKey: nothing,
  rows: nothing,
  sql: nothing,
  nativeTypes: nothing,
  close: async () => {},
};
function nothing(): never {
  throw new Error("nothing was written to this destination");
}

/** What differs between destinations: how to run SQL, and where the tables and the bookkeeping are. */
interface Dialect {
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  table(name: string): string;
  /** A bookkeeping table (columns, checkpoints, truncates), and the condition that picks this connector's rows. */
  meta(name: "columns" | "checkpoints" | "truncates"): { from: string; where: string };
  /** An SQL expression for a column's value as text, given its logical type. */
  text(column: string, type: string): string;
  columns(table: string): Promise<string[]>;
  primaryKey(table: string): Promise<string[]>;
  nativeTypes(table: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const lit = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** The bookkeeping columns, which the column catalog does not list. */
const SYSTEM: Record<string, string> = { _fivetran_deleted: "BOOLEAN", _fivetran_synced: "UTC_DATETIME", _connector_generation: "LONG" };

function fromText(type: string, text: unknown): unknown {
  if (text === null || text === undefined) return null;
  const s = String(text);
  const base = type.replace(/\(.*$/, "");
  switch (base) {
    case "BOOLEAN":
      return s === "1" || s === "true" ? 1 : 0;
    case "SHORT":
    case "INT":
    case "LONG":
      return Number.isSafeInteger(Number(s)) ? Number(s) : BigInt(s);
    case "FLOAT":
    case "DOUBLE":
      return Number(s);
    case "BINARY":
      return Buffer.from(s, "hex");
    case "JSON":
      return JSON.parse(s);
    default:
      return s;
  }
}

/** Asks once per table: a warehouse is read between two commands, never while one writes. */
function once<T>(ask: (table: string) => Promise<T>): (table: string) => Promise<T> {
  const seen = new Map<string, Promise<T>>();
  return (table) => seen.get(table) ?? seen.set(table, ask(table)).get(table)!;
}

function reader(dialect: Dialect): Warehouse {
  const d = { ...dialect, columns: once(dialect.columns), primaryKey: once(dialect.primaryKey) };
  const catalog = once(async (table: string): Promise<Record<string, string | null>> => {
    const { from, where } = d.meta("columns");
    const rows = await d.all(`SELECT column_name, type FROM ${from} WHERE ${where} table_name = ${lit(table)} ORDER BY position`);
    return Object.fromEntries(rows.map((r) => [String(r.column_name), r.type === null ? null : String(r.type)]));
  });
  return {
    async tables() {
      const { from, where } = d.meta("columns");
      return (await d.all(`SELECT DISTINCT table_name FROM ${from} WHERE ${where} true ORDER BY table_name`)).map((r) => String(r.table_name));
    },
    logicalTypes: catalog,
    columns: (table) => d.columns(table),
    primaryKey: (table) => d.primaryKey(table),
    async rows(table, options = {}) {
      const types = { ...SYSTEM, ...(await catalog(table)) };
      const columns = (await d.columns(table)).filter((c) => options.all || (c !== "_fivetran_synced" && c !== "_connector_generation"));
      const typeOf = (c: string): string => types[c] ?? "STRING";
      const order = (await d.primaryKey(table)).map(q).join(", ");
      const rows = await d.all(`SELECT ${columns.map((c) => `${d.text(q(c), typeOf(c))} AS ${q(c)}`).join(", ")} FROM ${d.table(table)} ORDER BY ${order}`);
      return rows.map((r) => Object.fromEntries(columns.map((c) => [c, fromText(typeOf(c), r[c])])));
    },
    async checkpoints() {
      const { from, where } = d.meta("checkpoints");
      const rows = await d.all(`SELECT seq, ${d.text("state", "STRING")} AS state, ${d.text("operations", "STRING")} AS operations FROM ${from} WHERE ${where} true ORDER BY seq`);
      return rows.map((r) => ({ seq: Number(r.seq), state: JSON.parse(String(r.state)), operations: JSON.parse(String(r.operations)) }));
    },
    async pendingTruncates() {
      const { from, where } = d.meta("truncates");
      return Number((await d.all(`SELECT count(*) AS n FROM ${from} WHERE ${where} true`))[0]!.n);
    },
    sql: (build) => d.all(build(d.table)),
    nativeTypes: (table) => d.nativeTypes(table),
    close: () => d.close(),
  };
}

/** A SQLite warehouse file: tables and bookkeeping side by side in the main schema. */
export function sqliteWarehouse(file: string): Warehouse {
  const db = new Database(file, { readonly: true });
  const all = async (sql: string, params: unknown[] = []): Promise<Row[]> => db.prepare(sql).all(...params) as Row[];
  const info = (table: string) => all(`SELECT name, type, pk FROM pragma_table_info(${lit(table)}) ORDER BY cid`);
  return reader({
    all,
    table: q,
    meta: (name) => ({ from: `_connector_${name}`, where: "" }),
    text: (c, type) => (type === "BINARY" ? `hex(${c})` : `CAST(${c} AS TEXT)`),
    columns: async (table) => (await info(table)).map((r) => String(r.name)),
    primaryKey: async (table) => (await info(table)).filter((r) => Number(r.pk) > 0).sort((a, b) => Number(a.pk) - Number(b.pk)).map((r) => String(r.name)),
    nativeTypes: async (table) => Object.fromEntries((await info(table)).map((r) => [String(r.name), String(r.type)])),
    close: async () => void db.close(),
  });
}

/** A DuckDB warehouse file in Fivetran's layout: tables in schema tester, bookkeeping in schema _connector. */
export async function duckdbWarehouse(file: string): Promise<Warehouse> {
  const instance = await DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
  const con = await instance.connect();
  const all = async (sql: string): Promise<Row[]> => (await con.runAndReadAll(sql)).getRowObjectsJS() as Row[];
  const types = async (table: string): Promise<Record<string, string>> =>
    Object.fromEntries(
      (await all(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'tester' AND table_name = ${lit(table)} ORDER BY ordinal_position`)).map((r) => [String(r.column_name), String(r.data_type)]),
    );
  return reader({
    all,
    table: (name) => `tester.${q(name)}`,
    meta: (name) => ({ from: `_connector.${name}`, where: "" }),
    text: (c, type) =>
      type === "BINARY"
        ? `lower(hex(${c}))`
        : type === "UTC_DATETIME"
          ? `strftime(make_timestamp(epoch_us(${c})), '%Y-%m-%dT%H:%M:%S.%gZ')`
          : type === "NAIVE_DATETIME"
            ? `replace(CAST(${c} AS VARCHAR), ' ', 'T')`
            : `CAST(${c} AS VARCHAR)`,
    columns: async (table) => Object.keys(await types(table)),
    nativeTypes: types,
    primaryKey: async (table) => {
      const [pk] = await all(`SELECT constraint_column_names AS c FROM duckdb_constraints() WHERE schema_name = 'tester' AND table_name = ${lit(table)} AND constraint_type = 'PRIMARY KEY'`);
      return ((pk?.c as string[] | undefined) ?? []).map(String);
    },
    close: async () => {
      con.closeSync();
      instance.closeSync();
    },
  });
}

/** One connector's tables in a PostgreSQL schema, and its rows of the shared bookkeeping tables, over one connection. */
export async function postgresWarehouse(server: TestServer, schema: string, connector: string): Promise<Warehouse> {
  const client = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: server.database });
  await client.connect();
  const all = async (sql: string): Promise<Row[]> => (await client.query(sql)).rows as Row[];
  const types = async (table: string): Promise<Record<string, string>> =>
    Object.fromEntries(
      (
        await all(
          `SELECT attname AS c, format_type(atttypid, atttypmod) AS t FROM pg_attribute
           WHERE attrelid = ${lit(`${q(schema)}.${q(table)}`)}::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        )
      ).map((r) => [String(r.c), String(r.t)]),
    );
  return reader({
    all,
    table: (name) => `${q(schema)}.${q(name)}`,
    meta: (name) => ({ from: `${q(schema)}.${q(`_connector_${name}`)}`, where: `connector = ${lit(connector)} AND ` }),
    text: (c, type) =>
      type === "BINARY"
        ? `encode(${c}, 'hex')`
        : type === "UTC_DATETIME"
          ? `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
          : type === "NAIVE_DATETIME"
            ? `replace(${c}::text, ' ', 'T')`
            : `${c}::text`,
    columns: async (table) => Object.keys(await types(table)),
    nativeTypes: types,
    primaryKey: async (table) =>
      (
        await all(
          `SELECT a.attname AS c FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
           WHERE i.indrelid = ${lit(`${q(schema)}.${q(table)}`)}::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
        )
      ).map((r) => String(r.c)),
    close: () => client.end(),
  });
}
