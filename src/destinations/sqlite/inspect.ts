import type Database from "better-sqlite3";
import { UsageError } from "../../util/errors.js";
import { exactRow } from "../../util/exact.js";
import { DELETED, GENERATION, q, SYNCED } from "./warehouse.js";

import type { CheckpointRecord } from "../destination.js";
import type { CheckpointSummary, ColumnSummary, RowPage, RowPageOptions, TableSummary, WarehouseReader } from "../reader.js";
import { openReadOnly, readCheckpoints } from "./warehouse.js";

/** A reader over a warehouse file, opened read-only (a read-only folder works too). */
export function sqliteReader(file: string): WarehouseReader {
  const db = openReadOnly(file);
  return readerOver(db, () => db.close());
}

/** A reader over an open connection: a file's read-only one, or the connection of a warehouse in memory, closed by `close`. */
export function readerOver(db: Database.Database, close: () => void): WarehouseReader {
  return {
    tables: async () => summarize(db),
    rows: async (table) => allRows(db, table),
    latestRows: async (table, limit) => latestRows(db, table, limit),
    rowPage: async (table, options) => rowPage(db, table, options),
    checkpoints: async () => readCheckpoints(db) as CheckpointRecord[],
    eachCheckpoint: (options = {}) => eachCheckpoint(db, options),
    checkpoint: async (seq) => db.prepare("SELECT seq, run, time, state, operations FROM _connector_checkpoints WHERE seq = ?").get(seq) as CheckpointRecord | undefined,
    checkpointRange: async () => {
      const r = db.prepare("SELECT min(seq) AS first, max(seq) AS last FROM _connector_checkpoints").get() as { first: number | null; last: number | null };
      return r.first === null || r.last === null ? undefined : { first: r.first, last: r.last };
    },
    close: async () => close(),
  };
}

/** The checkpoints one row at a time (a statement iterator): the states only when asked for. */
async function* eachCheckpoint(db: Database.Database, options: { states?: boolean; after?: number }): AsyncIterable<CheckpointSummary> {
  const state = options.states ? ", state" : "";
  const rows = db
    .prepare(`SELECT seq, run, time, length(CAST(state AS BLOB)) AS stateBytes, operations${state} FROM _connector_checkpoints WHERE seq > ? ORDER BY seq`)
    .iterate(options.after ?? -1) as IterableIterator<CheckpointSummary>;
  yield* rows;
}

/** Every row of a table ordered by primary key, exact; without _connector_generation, which is bookkeeping. */
export function allRows(db: Database.Database, table: string): Record<string, unknown>[] {
  const pk = (db.prepare("SELECT column_name AS c FROM _connector_columns WHERE table_name = ? AND primary_key = 1 ORDER BY position").all(table) as { c: string }[]).map((r) => q(r.c));
  if (pk.length === 0) throw new Error(`no table ${JSON.stringify(table)} in the warehouse`);
  const rows = db.prepare(`SELECT * FROM ${q(table)} ORDER BY ${pk.join(", ")}`).safeIntegers(true).all() as Record<string, unknown>[];
  for (const row of rows) {
    delete row[GENERATION];
    exactRow(row);
  }
  return rows;
}

/** Every user table with its key, row counts, columns and last sync time, and any duplicate or NULL primary keys. */
function summarize(db: Database.Database): TableSummary[] {
  const cols = db.prepare("SELECT table_name, column_name, type, declared, primary_key FROM _connector_columns ORDER BY table_name, position").all() as {
    table_name: string;
    column_name: string;
    type: string | null;
    declared: number;
    primary_key: number;
  }[];
  const byTable = new Map<string, ColumnSummary[]>();
  for (const c of cols) {
    const list = byTable.get(c.table_name) ?? [];
    list.push({ name: c.column_name, type: c.type, declared: c.declared === 1, primaryKey: c.primary_key === 1 });
    byTable.set(c.table_name, list);
  }
  return [...byTable].map(([table, columns]) => {
    const pk = columns.filter((c) => c.primaryKey).map((c) => c.name);
    const stats = db.prepare(`SELECT count(*) AS rows, coalesce(sum(${q(DELETED)}), 0) AS deleted, max(${q(SYNCED)}) AS last FROM ${q(table)}`).get() as {
      rows: number;
      deleted: number;
      last: string | null;
    };
    const keys = pk.map(q).join(", ");
    const duplicates = (db.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM ${q(table)} GROUP BY ${keys} HAVING count(*) > 1)`).get() as { n: number }).n;
    const nulls = (db.prepare(`SELECT count(*) AS n FROM ${q(table)} WHERE ${pk.map((k) => `${q(k)} IS NULL`).join(" OR ")}`).get() as { n: number }).n;
    const problems: string[] = [];
    if (duplicates) problems.push(`${duplicates} primary key value(s) of ${table} (${pk.join(", ")}) appear on more than one row`);
    if (nulls) problems.push(`${nulls} row(s) of ${table} have a NULL primary key (${pk.join(", ")})`);
    return { table, primaryKey: pk, rows: stats.rows, deleted: stats.deleted, lastSynced: stats.last, columns, problems };
  });
}

/** The N most recently synced rows of a table. */
export function latestRows(db: Database.Database, table: string, limit: number): { columns: string[]; rows: Record<string, unknown>[] } {
  const exists = db.prepare("SELECT 1 FROM _connector_columns WHERE table_name = ? LIMIT 1").get(table);
  if (!exists) {
    const names = (db.prepare("SELECT DISTINCT table_name AS t FROM _connector_columns ORDER BY t").all() as { t: string }[]).map((r) => r.t);
    throw new UsageError(`No table "${table}" in the warehouse. Tables: ${names.join(", ") || "(none)"}`);
  }
  const data = (db.prepare("SELECT column_name AS c FROM _connector_columns WHERE table_name = ? ORDER BY position").all(table) as { c: string }[]).map((r) => r.c);
  const columns = [...data, SYNCED, DELETED];
  const rows = db.prepare(`SELECT ${columns.map(q).join(", ")} FROM ${q(table)} ORDER BY ${q(SYNCED)} DESC, rowid DESC LIMIT ?`).safeIntegers(true).all(limit) as Record<string, unknown>[];
  for (const row of rows) exactRow(row);
  return { columns, rows };
}

/** A page newest first: keyset on (_fivetran_synced, rowid), so page n costs what page 1 costs. */
export function rowPage(db: Database.Database, table: string, { limit, after, key }: RowPageOptions): RowPage {
  const { columns } = latestRows(db, table, 0);
  const pk = db.prepare("SELECT column_name AS c FROM _connector_columns WHERE table_name = ? AND primary_key = 1 ORDER BY position LIMIT 1").get(table) as { c: string } | undefined;
  const where: string[] = [];
  const params: unknown[] = [];
  if (after !== undefined) {
    const [synced, rowid] = JSON.parse(Buffer.from(after, "base64url").toString("utf8")) as [string, number];
    where.push(`(${q(SYNCED)} < ? OR (${q(SYNCED)} = ? AND rowid < ?))`);
    params.push(synced, synced, rowid);
  }
  if (key !== undefined && pk) {
    // The column's affinity converts the text for the comparison, so the primary key's index serves it.
    where.push(`${q(pk.c)} = ?`);
    params.push(key);
  }
  // The sort reads two columns per row; only the page's rows are then read whole, by rowid.
  const sql = `SELECT rowid AS r, ${q(SYNCED)} AS s FROM ${q(table)}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${q(SYNCED)} DESC, rowid DESC LIMIT ?`;
  const order = db.prepare(sql).all(...params, limit + 1) as { r: number; s: string }[];
  const more = order.length > limit;
  if (more) order.pop();
  const last = order[order.length - 1];
  const next = more && last ? Buffer.from(JSON.stringify([last.s, last.r])).toString("base64url") : undefined;
  const byRowid = new Map<number, Record<string, unknown>>();
  const read = db.prepare(`SELECT rowid AS "__rowid", ${columns.map(q).join(", ")} FROM ${q(table)} WHERE rowid = ?`).safeIntegers(true);
  for (const { r } of order) byRowid.set(r, read.get(r) as Record<string, unknown>);
  const rows = order.map(({ r }) => byRowid.get(r)!);
  for (const row of rows) {
    delete row.__rowid;
    exactRow(row);
  }
  const described = (db.prepare("SELECT column_name AS name, type, declared, primary_key FROM _connector_columns WHERE table_name = ? ORDER BY position").all(table) as { name: string; type: string | null; declared: number; primary_key: number }[]).map(
    (c): ColumnSummary => ({ name: c.name, type: c.type, declared: c.declared === 1, primaryKey: c.primary_key === 1 }),
  );
  if (after !== undefined) return { columns, rows, next, summary: { columns: described } };
  const counts = db.prepare(`SELECT count(*) AS rows, coalesce(sum(${q(DELETED)}), 0) AS deleted FROM ${q(table)}`).get() as { rows: number; deleted: number };
  return { columns, rows, next, summary: { columns: described, counts } };
}
