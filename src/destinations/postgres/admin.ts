/**
 * What the maintenance commands do to a connector in a PostgreSQL schema, each under the
 * connector's advisory lock, so never while it runs: `connector reset` (all of it, or some
 * tables), `connector state set/unset/rewind` (the stored state), and the scratch schemas
 * of `connector verify`.
 */
import type pg from "pg";
import { UsageError } from "../../util/errors.js";
import { connect, locationOf, type PgConnection, type PostgresOptions } from "./connection.js";
import { connectorLockKey, lockHolder, META, q } from "./schema.js";

/** Runs `fn` holding the connector's advisory lock; refused (exit 2) while a run holds it. */
export async function withConnectorLock<T>(o: PostgresOptions, purpose: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(o, purpose);
  try {
    const key = connectorLockKey(o.schema, o.connector);
    const locked = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", [key]);
    if (!locked.rows[0]?.ok) {
      const holder = await lockHolder(client, key);
      throw new UsageError(`Connector "${o.connector}" is running in ${locationOf(o.connection, o.schema)}: ${holder.who} holds its lock. Wait for the run to finish, then try again.${holder.gone}`);
    }
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function hasMetadata(client: pg.Client, schema: string): Promise<boolean> {
  const r = await client.query("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2", [schema, META.state]);
  return (r.rowCount ?? 0) > 0;
}

/** The connector's tables, by name. */
export async function connectorTables(client: pg.Client, o: PostgresOptions): Promise<string[]> {
  if (!(await hasMetadata(client, o.schema))) return [];
  const r = await client.query<{ t: string }>(`SELECT DISTINCT table_name AS t FROM ${q(o.schema)}.${q(META.columns)} WHERE connector = $1 ORDER BY 1`, [o.connector]);
  return r.rows.map((x) => x.t);
}

/**
 * Drops the connector's tables and their metadata in one transaction. With `tables`, only
 * those, and the state stays; without, everything the connector has, state and history too.
 */
export async function dropConnector(client: pg.Client, o: PostgresOptions, tables?: string[]): Promise<void> {
  const s = q(o.schema);
  const all = tables === undefined;
  const names = tables ?? (await connectorTables(client, o));
  await client.query("BEGIN");
  try {
    for (const t of names) {
      await client.query(`DROP TABLE IF EXISTS ${s}.${q(t)}`);
      for (const m of [META.columns, META.sources, META.truncates]) await client.query(`DELETE FROM ${s}.${q(m)} WHERE connector = $1 AND table_name = $2`, [o.connector, t]);
    }
    if (all && (await hasMetadata(client, o.schema))) {
      for (const m of [META.checkpoints, META.state, META.truncates, META.sources, META.columns]) await client.query(`DELETE FROM ${s}.${q(m)} WHERE connector = $1`, [o.connector]);
    }
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  }
}

/** Replaces the state the next run starts from; the checkpoint history stays as it is. */
export async function writeStoredState(client: pg.Client, o: PostgresOptions, state: string): Promise<void> {
  if (!(await hasMetadata(client, o.schema))) throw new UsageError(`Nothing in ${locationOf(o.connection, o.schema)} yet: no connector has run there. Run \`connector run\` first, or seed a first run with --state.`);
  // A mistyped --name would otherwise start a state of its own, which no run of the real connector reads.
  const names = (await client.query<{ connector: string }>(`SELECT connector FROM ${q(o.schema)}.${q(META.state)} ORDER BY connector`)).rows.map((r) => r.connector);
  if (!names.includes(o.connector)) {
    const held = names.length > 0 ? `it holds the state of ${names.map((n) => JSON.stringify(n)).join(", ")}` : "no connector has committed a checkpoint there";
    throw new UsageError(
      `No state for connector ${JSON.stringify(o.connector)} in ${locationOf(o.connection, o.schema)}: ${held}. Check --name (the default is the project folder's name), or seed a first run with \`connector run --state <file>\`.`,
    );
  }
  await client.query(
    `INSERT INTO ${q(o.schema)}.${q(META.state)} AS s (connector, state, time) VALUES ($1, $2, now())
     ON CONFLICT (connector) DO UPDATE SET state = EXCLUDED.state, time = EXCLUDED.time`,
    [o.connector, state],
  );
}

/** Drops every schema whose name starts with `prefix` (verify's scratch schemas). */
export async function dropSchemas(connection: PgConnection, prefix: string): Promise<void> {
  const o: PostgresOptions = { connection, schema: "public", connector: "verify" };
  const client = await connect(o, "verify");
  try {
    const r = await client.query<{ name: string }>("SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)", [prefix]);
    for (const { name } of r.rows) await client.query(`DROP SCHEMA IF EXISTS ${q(name)} CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The state the next run of the connector starts from, serialised; null before its first checkpoint. */
export async function readStoredState(client: pg.Client, o: PostgresOptions): Promise<string | null> {
  if (!(await hasMetadata(client, o.schema))) return null;
  const r = await client.query<{ state: string | null }>(`SELECT state::text AS state FROM ${q(o.schema)}.${q(META.state)} WHERE connector = $1`, [o.connector]);
  return r.rows[0]?.state ?? null;
}
