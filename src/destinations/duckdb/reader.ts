/** Reads a DuckDB warehouse back in the canonical stored form (inspect, state, verify, the testing API). */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import fs from "node:fs";
import { parseType, type LogicalType } from "../../normalize/types.js";
import { UsageError } from "../../util/errors.js";
import type { CheckpointRecord, TableRows } from "../destination.js";
import type { ColumnSummary, TableSummary, WarehouseReader } from "../reader.js";
import { duckdb } from "./driver.js";
import { cannotOpen } from "./in-use.js";
import { DATA_SCHEMA, META_SCHEMA, q } from "./sql.js";
import { toCanonical } from "./values.js";

const SYNCED = "_fivetran_synced";
const DELETED = "_fivetran_deleted";
const tableRef = (name: string): string => `${DATA_SCHEMA}.${q(name)}`;

type All = (sql: string, values?: (string | number)[]) => Promise<Record<string, unknown>[]>;
const over = (con: DuckDBConnection): All => async (sql, values = []) => (await con.runAndReadAll(sql, values)).getRowObjects();

/** Every table's columns, by table name in name order. */
async function columnsOf(all: All): Promise<Map<string, ColumnSummary[]>> {
  const byTable = new Map<string, ColumnSummary[]>();
  for (const r of await all(`SELECT table_name, column_name, type, declared, primary_key FROM ${META_SCHEMA}.columns ORDER BY table_name, position`)) {
    const list = byTable.get(String(r.table_name)) ?? [];
    list.push({ name: String(r.column_name), type: r.type === null ? null : String(r.type), declared: r.declared === true, primaryKey: r.primary_key === true });
    byTable.set(String(r.table_name), list);
  }
  return byTable;
}
const typesOf = (columns: ColumnSummary[]): Map<string, LogicalType | null> => new Map(columns.map((c) => [c.name, c.type ? parseType(c.type) : null]));
const canonical = (row: Record<string, unknown>, types: Map<string, LogicalType | null>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = toCanonical(types.get(k) ?? null, v as never);
  return out;
};
const primaryKey = (columns: ColumnSummary[]): string[] => columns.filter((c) => c.primaryKey).map((c) => c.name);

/** Every row of a table, ordered by primary key, with the system columns. */
async function rowsOf(all: All, table: string, columns: ColumnSummary[]): Promise<Record<string, unknown>[]> {
  const types = typesOf(columns);
  const names = [...columns.map((c) => c.name), SYNCED, DELETED];
  const rows = await all(`SELECT ${names.map(q).join(", ")} FROM ${tableRef(table)} ORDER BY ${primaryKey(columns).map(q).join(", ")}`);
  types.set(SYNCED, { type: "UTC_DATETIME" });
  return rows.map((r) => canonical(r, types));
}

/** Every table and its rows, as a reader's tables() and rows() give them, over a connection already open (the writer's: destination.ts snapshot). */
export async function heldTables(con: DuckDBConnection): Promise<TableRows[]> {
  const all = over(con);
  const out: TableRows[] = [];
  for (const [table, columns] of await columnsOf(all)) out.push({ table, primaryKey: primaryKey(columns), rows: await rowsOf(all, table, columns) });
  return out;
}

export async function duckdbReader(file: string): Promise<WarehouseReader> {
  if (!fs.existsSync(file)) throw new UsageError(`No warehouse at ${file} yet: run \`connector debug\` first.`);
  let client: ReturnType<typeof duckdb>;
  try {
    client = duckdb();
  } catch (e) {
    // A damaged install, not a damaged warehouse: cannotOpen's advice (move it away, reset) would lose good data.
    throw new UsageError(`Cannot load the DuckDB destination's database client: ${String((e as Error).message).split("\n")[0]}`);
  }
  let instance: DuckDBInstance;
  try {
    instance = await client.DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
  } catch (e) {
    throw cannotOpen(file, e);
  }
  const con = await instance.connect();
  const all = over(con);
  const ours = await all("SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = 'columns'", [META_SCHEMA]);
  if (ours.length === 0) {
    con.closeSync();
    instance.closeSync();
    throw new UsageError(`${file} is a DuckDB database that connector-sdk did not create (it has no ${META_SCHEMA}.columns table).`);
  }

  const known = async (table: string): Promise<ColumnSummary[]> => {
    const columns = (await columnsOf(all)).get(table);
    if (!columns) {
      const names = [...(await columnsOf(all)).keys()];
      throw new UsageError(`No table "${table}" in the warehouse. Tables: ${names.join(", ") || "(none)"}`);
    }
    return columns;
  };

  return {
    async tables(): Promise<TableSummary[]> {
      const out: TableSummary[] = [];
      for (const [table, columns] of await columnsOf(all)) {
        const pk = primaryKey(columns);
        const stats = (await all(`SELECT count(*) AS n, count(*) FILTER (WHERE ${q(DELETED)}) AS d, max(${q(SYNCED)}) AS last FROM ${tableRef(table)}`))[0]!;
        const keys = pk.map(q).join(", ");
        const duplicates = Number((await all(`SELECT count(*) AS n FROM (SELECT 1 FROM ${tableRef(table)} GROUP BY ${keys} HAVING count(*) > 1)`))[0]!.n);
        const nulls = Number((await all(`SELECT count(*) AS n FROM ${tableRef(table)} WHERE ${pk.map((k) => `${q(k)} IS NULL`).join(" OR ")}`))[0]!.n);
        const problems: string[] = [];
        if (duplicates) problems.push(`${duplicates} primary key value(s) of ${table} (${pk.join(", ")}) appear on more than one row`);
        if (nulls) problems.push(`${nulls} row(s) of ${table} have a NULL primary key (${pk.join(", ")})`);
        const last = stats.last === null ? null : (toCanonical({ type: "UTC_DATETIME" }, stats.last as never) as string);
        out.push({ table, primaryKey: pk, rows: Number(stats.n), deleted: Number(stats.d), lastSynced: last, columns, problems });
      }
      return out;
    },
    async rows(table) {
      return rowsOf(all, table, await known(table));
    },
    async latestRows(table, limit) {
      const columns = await known(table);
      const types = typesOf(columns);
      types.set(SYNCED, { type: "UTC_DATETIME" });
      const names = [...columns.map((c) => c.name), SYNCED, DELETED];
      const rows = await all(`SELECT ${names.map(q).join(", ")} FROM ${tableRef(table)} ORDER BY ${q(SYNCED)} DESC, rowid DESC LIMIT ${Math.floor(limit)}`);
      return { columns: names, rows: rows.map((r) => canonical(r, types)) };
    },
    async rowPage(table, { limit, after, key }) {
      const columns = await known(table);
      const types = typesOf(columns);
      types.set(SYNCED, { type: "UTC_DATETIME" });
      const names = [...columns.map((c) => c.name), SYNCED, DELETED];
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (after !== undefined) {
        const [us, rowid] = JSON.parse(Buffer.from(after, "base64url").toString("utf8")) as [string, number];
        where.push(`(epoch_us(${q(SYNCED)}) < ?::BIGINT OR (epoch_us(${q(SYNCED)}) = ?::BIGINT AND rowid < ?))`);
        params.push(us, us, rowid);
      }
      const pk = columns.find((c) => c.primaryKey);
      if (key !== undefined && pk) {
        where.push(`CAST(${q(pk.name)} AS VARCHAR) = ?`);
        params.push(key);
      }
      const rows = await all(
        `SELECT rowid AS "__rowid", epoch_us(${q(SYNCED)})::VARCHAR AS "__us", ${names.map(q).join(", ")} FROM ${tableRef(table)}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${q(SYNCED)} DESC, rowid DESC LIMIT ${Math.floor(limit) + 1}`,
        params,
      );
      const more = rows.length > limit;
      if (more) rows.pop();
      const last = rows[rows.length - 1];
      const next = more && last ? Buffer.from(JSON.stringify([String(last.__us), Number(last.__rowid)])).toString("base64url") : undefined;
      const page = { columns: names, rows: rows.map(({ __rowid, __us, ...r }) => canonical(r, types)), next };
      if (after !== undefined) return { ...page, summary: { columns } };
      const counts = (await all(`SELECT count(*) AS n, count(*) FILTER (WHERE ${q(DELETED)}) AS d FROM ${tableRef(table)}`))[0]!;
      return { ...page, summary: { columns, counts: { rows: Number(counts.n), deleted: Number(counts.d) } } };
    },
    async checkpoints(): Promise<CheckpointRecord[]> {
      const rows = await all(`SELECT seq, run, time, state::VARCHAR AS state, operations::VARCHAR AS operations FROM ${META_SCHEMA}.checkpoints ORDER BY seq`);
      return rows.map((r) => ({
        seq: Number(r.seq),
        run: Number(r.run),
        time: toCanonical({ type: "UTC_DATETIME" }, r.time as never) as string,
        state: String(r.state),
        operations: String(r.operations),
      }));
    },
    async *eachCheckpoint(options = {}) {
      const state = options.states ? ", state::VARCHAR AS state" : "";
      const sql = `SELECT seq, run, time, strlen(state::VARCHAR) AS bytes, operations::VARCHAR AS operations${state} FROM ${META_SCHEMA}.checkpoints WHERE seq > ? ORDER BY seq`;
      for await (const batch of (await con.stream(sql, [options.after ?? -1])).yieldRowObjects()) {
        for (const r of batch) {
          yield {
            seq: Number(r.seq),
            run: Number(r.run),
            time: toCanonical({ type: "UTC_DATETIME" }, r.time as never) as string,
            stateBytes: Number(r.bytes),
            operations: String(r.operations),
            ...(options.states ? { state: String(r.state) } : {}),
          };
        }
      }
    },
    async checkpoint(seq) {
      const [r] = await all(`SELECT seq, run, time, state::VARCHAR AS state, operations::VARCHAR AS operations FROM ${META_SCHEMA}.checkpoints WHERE seq = ?`, [seq]);
      if (!r) return undefined;
      return { seq: Number(r.seq), run: Number(r.run), time: toCanonical({ type: "UTC_DATETIME" }, r.time as never) as string, state: String(r.state), operations: String(r.operations) };
    },
    async checkpointRange() {
      const [r] = await all(`SELECT min(seq) AS first, max(seq) AS last FROM ${META_SCHEMA}.checkpoints`);
      return r?.first === null || r?.last === null || !r ? undefined : { first: Number(r.first), last: Number(r.last) };
    },
    async close() {
      con.closeSync();
      instance.closeSync();
    },
  };
}
