/** Reads one connector's tables and checkpoints from a PostgreSQL schema, in the canonical stored form (inspect, state, verify). */
import { parseType, type LogicalType } from "../../normalize/types.js";
import { UsageError } from "../../util/errors.js";
import type { CheckpointRecord } from "../destination.js";
import type { ColumnSummary, TableSummary, WarehouseReader } from "../reader.js";
import { connect, locationOf, type PostgresOptions } from "./connection.js";
import { DELETED, META, q, SYNCED } from "./schema.js";
import { isoUtc, toCanonical } from "./values.js";

export interface PostgresReader extends WarehouseReader {
  /** The state the last checkpoint committed; {} text when there is none yet. */
  state(): Promise<{ state: string | null; seq: number }>;
}

export async function postgresReader(o: PostgresOptions): Promise<PostgresReader> {
  const client = await connect(o, "inspect");
  const where = locationOf(o.connection, o.schema);
  const ref = (table: string): string => `${q(o.schema)}.${q(table)}`;
  const all = async <T extends Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T[]> => (await client.query<T>(sql, values)).rows;
  try {
    const found = await all("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2", [o.schema, META.columns]);
    if (found.length === 0) throw new UsageError(`Nothing in ${where} yet: no connector has run there (no ${META.columns} table). Run \`connector run\` first.`);
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }

  const columnsOf = async (): Promise<Map<string, ColumnSummary[]>> => {
    const byTable = new Map<string, ColumnSummary[]>();
    const rows = await all<{ table_name: string; column_name: string; type: string | null; declared: boolean; primary_key: boolean }>(
      `SELECT table_name, column_name, type, declared, primary_key FROM ${ref(META.columns)} WHERE connector = $1 ORDER BY table_name, position`,
      [o.connector],
    );
    for (const r of rows) {
      const list = byTable.get(r.table_name) ?? [];
      list.push({ name: r.column_name, type: r.type, declared: r.declared, primaryKey: r.primary_key });
      byTable.set(r.table_name, list);
    }
    return byTable;
  };
  const known = async (table: string): Promise<ColumnSummary[]> => {
    const tables = await columnsOf();
    const columns = tables.get(table);
    if (!columns) throw new UsageError(`No table "${table}" of connector "${o.connector}" in ${where}. Tables: ${[...tables.keys()].join(", ") || "(none)"}`);
    return columns;
  };
  const typesOf = (columns: ColumnSummary[]): Map<string, LogicalType | null> => new Map(columns.map((c) => [c.name, c.type ? parseType(c.type) : null]));
  const canonical = (row: Record<string, unknown>, types: Map<string, LogicalType | null>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) out[k] = k === SYNCED ? (v === null ? null : isoUtc(v)) : k === DELETED ? (v === null ? null : v ? 1 : 0) : toCanonical(types.get(k) ?? null, v);
    return out;
  };

  return {
    async tables(): Promise<TableSummary[]> {
      const out: TableSummary[] = [];
      for (const [table, columns] of await columnsOf()) {
        const pk = columns.filter((c) => c.primaryKey).map((c) => c.name);
        const [stats] = await all<{ n: string; d: string; last: string | null }>(
          `SELECT count(*) AS n, count(*) FILTER (WHERE ${q(DELETED)}) AS d, max(${q(SYNCED)}) AS last FROM ${ref(table)}`,
        );
        const nulls = await all<{ n: string }>(`SELECT count(*) AS n FROM ${ref(table)} WHERE ${pk.map((k) => `${q(k)} IS NULL`).join(" OR ")}`);
        const problems: string[] = [];
        if (Number(nulls[0]!.n)) problems.push(`${nulls[0]!.n} row(s) of ${table} have a NULL primary key (${pk.join(", ")})`);
        out.push({ table, primaryKey: pk, rows: Number(stats!.n), deleted: Number(stats!.d), lastSynced: stats!.last === null ? null : isoUtc(stats!.last), columns, problems });
      }
      return out.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
    },
    async rows(table) {
      const columns = await known(table);
      const names = [...columns.map((c) => c.name), SYNCED, DELETED];
      const pk = columns.filter((c) => c.primaryKey).map((c) => q(c.name));
      const rows = await all(`SELECT ${names.map(q).join(", ")} FROM ${ref(table)} ORDER BY ${pk.join(", ")}`);
      const types = typesOf(columns);
      return rows.map((r) => canonical(r, types));
    },
    async latestRows(table, limit) {
      const columns = await known(table);
      const names = [...columns.map((c) => c.name), SYNCED, DELETED];
      const rows = await all(`SELECT ${names.map(q).join(", ")} FROM ${ref(table)} ORDER BY ${q(SYNCED)} DESC, ctid DESC LIMIT ${Math.floor(limit)}`);
      const types = typesOf(columns);
      return { columns: names, rows: rows.map((r) => canonical(r, types)) };
    },
    async rowPage(table, { limit, after, key }) {
      const columns = await known(table);
      const names = [...columns.map((c) => c.name), SYNCED, DELETED];
      const where: string[] = [];
      const values: unknown[] = [];
      const us = `(extract(epoch from ${q(SYNCED)}) * 1000000)::bigint`;
      if (after !== undefined) {
        const [at, ctid] = JSON.parse(Buffer.from(after, "base64url").toString("utf8")) as [string, string];
        values.push(at, ctid);
        where.push(`(${us} < $1::bigint OR (${us} = $1::bigint AND ctid < $2::tid))`);
      }
      const pk = columns.find((c) => c.primaryKey);
      if (key !== undefined && pk) {
        values.push(key);
        where.push(`${q(pk.name)}::text = $${values.length}`);
      }
      const rows = await all(
        `SELECT ctid::text AS "__ctid", ${us}::text AS "__us", ${names.map(q).join(", ")} FROM ${ref(table)}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${q(SYNCED)} DESC, ctid DESC LIMIT ${Math.floor(limit) + 1}`,
        values,
      );
      const more = rows.length > limit;
      if (more) rows.pop();
      const last = rows[rows.length - 1];
      const next = more && last ? Buffer.from(JSON.stringify([String(last.__us), String(last.__ctid)])).toString("base64url") : undefined;
      const types = typesOf(columns);
      const page = { columns: names, rows: rows.map(({ __ctid, __us, ...r }) => canonical(r, types)), next };
      if (after !== undefined) return { ...page, summary: { columns } };
      const [counts] = await all<{ n: string; d: string }>(`SELECT count(*) AS n, count(*) FILTER (WHERE ${q(DELETED)}) AS d FROM ${ref(table)}`);
      return { ...page, summary: { columns, counts: { rows: Number(counts!.n), deleted: Number(counts!.d) } } };
    },
    async checkpoints(): Promise<CheckpointRecord[]> {
      const rows = await all<{ seq: string; run: string; time: string; state: string; operations: string }>(
        `SELECT seq, run, time, state::text AS state, operations::text AS operations FROM ${ref(META.checkpoints)} WHERE connector = $1 ORDER BY seq`,
        [o.connector],
      );
      return rows.map((r) => ({ seq: Number(r.seq), run: Number(r.run), time: isoUtc(r.time), state: r.state, operations: r.operations }));
    },
    async *eachCheckpoint(options = {}) {
      // A page at a time, by seq: a long history is never held whole.
      const page = 500;
      let after = options.after ?? -1;
      for (;;) {
        const rows = await all<{ seq: string; run: string; time: string; bytes: number; operations: string; state?: string }>(
          `SELECT seq, run, time, octet_length(state::text) AS bytes, operations::text AS operations${options.states ? ", state::text AS state" : ""}
           FROM ${ref(META.checkpoints)} WHERE connector = $1 AND seq > $2 ORDER BY seq LIMIT ${page}`,
          [o.connector, after],
        );
        for (const r of rows) {
          yield { seq: Number(r.seq), run: Number(r.run), time: isoUtc(r.time), stateBytes: Number(r.bytes), operations: r.operations, ...(r.state !== undefined ? { state: r.state } : {}) };
        }
        if (rows.length < page) return;
        after = Number(rows[rows.length - 1]!.seq);
      }
    },
    async checkpoint(seq) {
      const [r] = await all<{ seq: string; run: string; time: string; state: string; operations: string }>(
        `SELECT seq, run, time, state::text AS state, operations::text AS operations FROM ${ref(META.checkpoints)} WHERE connector = $1 AND seq = $2`,
        [o.connector, seq],
      );
      return r ? { seq: Number(r.seq), run: Number(r.run), time: isoUtc(r.time), state: r.state, operations: r.operations } : undefined;
    },
    async checkpointRange() {
      const [r] = await all<{ first: string | null; last: string | null }>(`SELECT min(seq) AS first, max(seq) AS last FROM ${ref(META.checkpoints)} WHERE connector = $1`, [o.connector]);
      return r?.first == null ? undefined : { first: Number(r.first), last: Number(r.last) };
    },
    async state() {
      const rows = await all<{ state: string | null; seq: string }>(`SELECT state::text AS state, seq FROM ${ref(META.state)} WHERE connector = $1`, [o.connector]);
      return { state: rows[0]?.state ?? null, seq: Number(rows[0]?.seq ?? 0) };
    },
    async close() {
      await client.end().catch(() => {});
    },
  } satisfies PostgresReader;
}
