/**
 * The tables a PostgreSQL destination keeps beside the data, in the same schema, each with
 * a `connector` column, so several connectors share one schema: their column catalog,
 * table sources, checkpoint history, last state (with the count of runs started), and the
 * truncates that wait for the sync to succeed.
 */
import type pg from "pg";
import { parseType } from "../../normalize/types.js";
import { UsageError } from "../../util/errors.js";
import type { CheckpointRecord, TableSpec } from "../destination.js";

export const SYNCED = "_fivetran_synced";
export const DELETED = "_fivetran_deleted";
/** The generation of the last write to a row: run × 2^20 + the truncates of that run before it. */
export const GENERATION = "_connector_generation";
export const GENERATION_SHIFT = 2 ** 20;

export const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export const META = {
  columns: "_connector_columns",
  sources: "_connector_table_sources",
  checkpoints: "_connector_checkpoints",
  state: "_connector_state",
  truncates: "_connector_truncates",
} as const;

const DDL: Record<keyof typeof META, string> = {
  columns: `(connector text NOT NULL, table_name text NOT NULL, column_name text NOT NULL, type text, declared boolean NOT NULL,
    primary_key boolean NOT NULL, position integer NOT NULL, PRIMARY KEY (table_name, column_name))`,
  sources: `(connector text NOT NULL, table_name text NOT NULL, source_name text NOT NULL, PRIMARY KEY (table_name, source_name))`,
  checkpoints: `(connector text NOT NULL, seq bigint NOT NULL, run bigint NOT NULL, time timestamptz NOT NULL, state json NOT NULL,
    operations json NOT NULL, PRIMARY KEY (connector, seq))`,
  state: `(connector text PRIMARY KEY, state json, seq bigint NOT NULL DEFAULT 0, run bigint NOT NULL DEFAULT 0, runs bigint NOT NULL DEFAULT 0,
    time timestamptz)`,
  truncates: `(connector text NOT NULL, table_name text NOT NULL, generation bigint NOT NULL)`,
};

/** The advisory lock of one connector in one schema (session level: held until the connection ends). */
export const connectorLockKey = (schema: string, connector: string): string => `connector-sdk/${schema}/${connector}`;

/**
 * Makes the schema and the metadata tables that are missing. Existence is checked first,
 * because CREATE … IF NOT EXISTS checks the CREATE privilege even when nothing is made.
 * A transaction-level lock on the schema keeps two connectors starting at once from racing.
 */
export async function ensureMetadata(client: pg.Client, schema: string): Promise<void> {
  const missing = async (): Promise<string[]> => {
    const found = await client.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = ANY($2)",
      [schema, Object.values(META)],
    );
    const have = new Set(found.rows.map((r) => r.name));
    return Object.values(META).filter((t) => !have.has(t));
  };
  if ((await missing()).length === 0) return;
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`connector-sdk/${schema}`]);
    const exists = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${q(schema)}`);
    const absent = new Set(await missing());
    for (const [key, name] of Object.entries(META) as [keyof typeof META, string][]) {
      if (absent.has(name)) await client.query(`CREATE TABLE ${q(schema)}.${q(name)} ${DDL[key]}`);
    }
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  }
}

/**
 * The holder of a connector's advisory lock, as far as this user may see it, and what to do
 * if that run is gone without closing its connection (a machine lost: PostgreSQL keeps the
 * session until TCP keepalive notices).
 */
export async function lockHolder(client: pg.Client, key: string): Promise<{ who: string; gone: string }> {
  const r = await client.query<{ pid: number; app: string | null; addr: string | null; since: string | null; usename: string | null }>(
    `SELECT a.pid, a.application_name AS app, host(a.client_addr) AS addr, a.backend_start::text AS since, a.usename
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)
      LIMIT 1`,
    [key],
  );
  const h = r.rows[0];
  if (!h) return { who: "another session", gone: "" };
  const bits = [`backend pid ${h.pid}`, h.usename ? `user "${h.usename}"` : "", h.app ? `"${h.app}"` : "", h.addr ? `from ${h.addr}` : "", h.since ? `connected since ${h.since}` : ""];
  return { who: `another session (${bits.filter(Boolean).join(", ")})`, gone: ` If that run's machine is gone, end its session: SELECT pg_terminate_backend(${h.pid});` };
}

/** Takes the connector's advisory lock for this session, or says who holds it. */
export async function lockConnector(client: pg.Client, schema: string, connector: string, location: string): Promise<void> {
  const key = connectorLockKey(schema, connector);
  const locked = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", [key]);
  if (locked.rows[0]?.ok) return;
  const holder = await lockHolder(client, key);
  throw new UsageError(
    `Another run of connector "${connector}" is writing to ${location}: ${holder.who} holds its lock. Wait for it to finish; two runs of one connector at once would interleave their checkpoints.${holder.gone}`,
  );
}

/** The connector's tables, as its rows in _connector_columns describe them. */
export async function readCatalog(client: pg.Client, schema: string, connector: string): Promise<TableSpec[]> {
  const rows = await client.query<{ table_name: string; column_name: string; type: string | null; declared: boolean; primary_key: boolean }>(
    `SELECT table_name, column_name, type, declared, primary_key FROM ${q(schema)}.${q(META.columns)} WHERE connector = $1 ORDER BY table_name, position`,
    [connector],
  );
  const specs = new Map<string, TableSpec>();
  for (const r of rows.rows) {
    let spec = specs.get(r.table_name);
    if (!spec) specs.set(r.table_name, (spec = { name: r.table_name, columns: [], keyless: false }));
    spec.columns.push({ name: r.column_name, type: r.type === null ? null : parseType(r.type), declared: r.declared, pk: r.primary_key });
    if (r.column_name === "_fivetran_id") spec.keyless = true;
  }
  return [...specs.values()];
}

/** Adds a checkpoint to the history and makes its state the connector's last. */
export async function recordCheckpoint(client: pg.Client, schema: string, connector: string, checkpoint: CheckpointRecord): Promise<void> {
  await client.query(`INSERT INTO ${q(schema)}.${q(META.checkpoints)} (connector, seq, run, time, state, operations) VALUES ($1, $2, $3, $4, $5, $6)`, [
    connector,
    checkpoint.seq,
    checkpoint.run,
    checkpoint.time,
    checkpoint.state,
    checkpoint.operations,
  ]);
  await client.query(`UPDATE ${q(schema)}.${q(META.state)} SET state = $2, seq = $3, run = $4, time = $5 WHERE connector = $1`, [
    connector,
    checkpoint.state,
    checkpoint.seq,
    checkpoint.run,
    checkpoint.time,
  ]);
}
