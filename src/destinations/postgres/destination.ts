/**
 * The PostgreSQL destination, run in the writer thread. User tables and the `_connector_*`
 * bookkeeping share the URL's schema; each bookkeeping row names its connector, so several
 * connectors can share a schema. A session-level advisory lock per connector refuses a
 * second concurrent run. The connector's state is written in the same transaction as the
 * checkpoint's rows, so the data and the state can never disagree.
 *
 * Rows reach the tables through staging.ts; schema changes are in schema-changes.ts.
 *
 * Truncates are deferred (Fivetran 3.1): a truncate records the table's current generation
 * in `_connector_truncates`; `finish()`, after update() succeeded, soft-deletes the rows last
 * written at or before that generation. A failed sync leaves the rows live.
 */
import type pg from "pg";
import type { AsyncDestination, CheckpointRecord, CommitResult, SchemaChange, StoredCatalog, TableSpec, WriteOp } from "../destination.js";
import { connect, connectionError, describeQueryError, locationOf, lostConnection, type PostgresOptions } from "./connection.js";
import { addGeneration, applySchemaChange, generatedTables, type SchemaContext } from "./schema-changes.js";
import { DELETED, ensureMetadata, GENERATION, GENERATION_SHIFT, lockConnector, META, q, readCatalog, recordCheckpoint } from "./schema.js";
import { describeTable, Stager, type StagingContext, type Table } from "./staging.js";
import { recordSecrets, storedSecrets } from "./secrets.js";

export function createDestination(o: PostgresOptions): AsyncDestination {
  return new PostgresDestination(o);
}

export class PostgresDestination implements AsyncDestination {
  readonly kind = "postgres";
  readonly location: string;
  private client: pg.Client | undefined;
  private readonly schema: string;
  private readonly name: string;
  private tables = new Map<string, Table>();
  private readonly stager: Stager;
  /** What staging and schema changes use of this destination. */
  private readonly cx: SchemaContext & StagingContext;
  /** Temporary tables and cursors made in this session. */
  private made = 0;
  private run = 0;
  /** Truncates so far in this run: the low bits of the generation. */
  private truncates = 0;
  private unmatched: Record<string, number> = {};

  constructor(private readonly o: PostgresOptions) {
    this.schema = o.schema;
    this.name = o.connector;
    this.location = locationOf(o.connection, o.schema);
    const destination = this;
    this.cx = {
      // Each use of the connection checks that it is still there.
      get db() {
        return destination.db;
      },
      name: this.name,
      schema: this.schema,
      location: this.location,
      ref: (table) => this.ref(table),
      meta: (table) => this.meta(table),
      tables: this.tables,
      table: (name) => this.table(name),
      remember: (spec) => this.remember(spec),
      tempName: (prefix) => `${prefix}_${++this.made}`,
      generation: () => this.generation,
      unmatched: (table, n) => {
        this.unmatched[table] = (this.unmatched[table] ?? 0) + n;
      },
    };
    this.stager = new Stager(this.cx);
  }

  describeError(e: unknown): unknown {
    return describeQueryError(e, this.o.connection);
  }

  private get db(): pg.Client {
    if (!this.client) throw new Error(`the PostgreSQL destination ${this.location} is not open`);
    const lost = lostConnection(this.client, this.o.connection);
    if (lost) throw lost;
    return this.client;
  }

  private ref(table: string): string {
    return `${q(this.schema)}.${q(table)}`;
  }

  private meta(table: keyof typeof META): string {
    return this.ref(META[table]);
  }

  private get generation(): string {
    return String(this.run * GENERATION_SHIFT + this.truncates);
  }

  async open(): Promise<StoredCatalog> {
    this.client = await connect(this.o, "run");
    try {
      await lockConnector(this.db, this.schema, this.name, this.location);
      await ensureMetadata(this.db, this.schema);
      // The run number is taken, and committed, before anything else: generations never repeat, even after a failed run.
      const started = await this.db.query<{ runs: string; state: string | null }>(
        `INSERT INTO ${this.meta("state")} AS s (connector, runs) VALUES ($1, 1)
         ON CONFLICT (connector) DO UPDATE SET runs = s.runs + 1 RETURNING runs, state::text AS state`,
        [this.name],
      );
      const row = started.rows[0]!;
      this.run = Number(row.runs);
      // The history decides the next seq, even if someone edited _connector_state by hand.
      const last = await this.db.query<{ seq: string }>(`SELECT coalesce(max(seq), 0) AS seq FROM ${this.meta("checkpoints")} WHERE connector = $1`, [this.name]);
      await this.loadCatalog();
      const sources: Record<string, string[]> = {};
      const found = await this.db.query<{ table_name: string; source_name: string }>(`SELECT table_name, source_name FROM ${this.meta("sources")} WHERE connector = $1`, [this.name]);
      for (const r of found.rows) (sources[r.table_name] ??= []).push(r.source_name);
      const secrets = await storedSecrets(this.db, this.schema, this.name);
      await this.db.query("BEGIN");
      return { tables: [...this.tables.values()].map((t) => t.spec), sources, lastSeq: Number(last.rows[0]!.seq), run: this.run, state: row.state, secrets };
    } catch (e) {
      const code = (e as { code?: string }).code;
      const failure = code === "42501" || code === "3D000" || code === "28P01" ? connectionError(e, this.o.connection, this.schema) : e;
      await this.client.end().catch(() => {});
      this.client = undefined;
      throw failure;
    }
  }

  private async loadCatalog(): Promise<void> {
    this.tables.clear();
    this.stager.forgetStages();
    const generated = await generatedTables(this.db, this.schema);
    for (const spec of await readCatalog(this.db, this.schema, this.name)) this.tables.set(spec.name, describeTable(spec, generated.has(spec.name)));
  }

  private remember(spec: TableSpec): void {
    this.tables.set(spec.name, describeTable(spec, this.tables.get(spec.name)?.generated ?? false));
    this.stager.forgetStages(spec.name);
  }

  private table(name: string): Table {
    const t = this.tables.get(name);
    if (!t) throw new Error(`no table "${name}" in ${this.location}`);
    return t;
  }

  async write(batch: WriteOp[]): Promise<void> {
    for (const w of batch) {
      switch (w.op) {
        case "upsert":
          await this.stager.write(this.table(w.table), "upsert", [], w.row, w.synced);
          break;
        case "update":
          await this.stager.write(this.table(w.table), "update", w.columns, [...w.key, ...w.values], w.synced);
          break;
        case "delete":
          await this.stager.write(this.table(w.table), "delete", [], w.key, w.synced);
          break;
        case "truncate":
          await this.truncate(w.table);
          break;
        case "schema":
          await this.apply(w.change);
          break;
      }
    }
  }

  /** Records the truncate point; the rows are marked deleted by finish(), once the sync has succeeded. */
  private async truncate(table: string): Promise<void> {
    await this.stager.flush(table);
    const t = this.tables.get(table);
    if (!t) return;
    if (this.truncates + 1 >= GENERATION_SHIFT) throw new Error(`more than ${GENERATION_SHIFT - 1} truncates in one sync`);
    if (!t.generated) {
      await addGeneration(this.cx, t);
      this.stager.forgetStages(table);
    }
    await this.db.query(`INSERT INTO ${this.meta("truncates")} (connector, table_name, generation) VALUES ($1, $2, $3)`, [this.name, table, this.generation]);
    this.truncates++;
  }

  /** Carries out the pending truncates, this run's and those a failed run committed: every row last written at or before its point is soft-deleted. */
  async finish(): Promise<{ truncated: Record<string, number> }> {
    await this.stager.flushAll();
    const pending = await this.db.query<{ table_name: string; point: string }>(
      `SELECT table_name, max(generation)::text AS point FROM ${this.meta("truncates")} WHERE connector = $1 GROUP BY table_name ORDER BY table_name`,
      [this.name],
    );
    const truncated: Record<string, number> = {};
    for (const p of pending.rows) {
      // A table without the column did not exist at its truncate point: every row of it came later.
      if (!this.tables.get(p.table_name)?.generated) continue;
      const r = await this.db.query(`UPDATE ${this.ref(p.table_name)} SET ${q(DELETED)} = true WHERE ${q(GENERATION)} <= $1 AND NOT ${q(DELETED)}`, [p.point]);
      truncated[p.table_name] = r.rowCount ?? 0;
    }
    await this.db.query(`DELETE FROM ${this.meta("truncates")} WHERE connector = $1`, [this.name]);
    return { truncated };
  }

  private async apply(change: SchemaChange): Promise<void> {
    await this.stager.settle();
    if (change.kind !== "createTable" && change.kind !== "tableSource") await this.stager.flush(change.table);
    await applySchemaChange(this.cx, change);
  }

  async holdsUnsafeIntegers(table: string, name: string): Promise<boolean> {
    await this.stager.flush(table);
    const c = q(name);
    const r = await this.db.query(`SELECT 1 FROM ${this.ref(table)} WHERE ${c} > 9007199254740991 OR ${c} < -9007199254740991 LIMIT 1`);
    return (r.rowCount ?? 0) > 0;
  }

  async commit(checkpoint: CheckpointRecord | null): Promise<CommitResult> {
    await this.stager.flushAll();
    if (checkpoint) await recordCheckpoint(this.db, this.schema, this.name, checkpoint);
    if (checkpoint?.secrets) await recordSecrets(this.db, this.schema, this.name, checkpoint.secrets);
    await this.db.query("COMMIT");
    await this.db.query("BEGIN");
    const result = { unmatchedUpdates: this.unmatched };
    this.unmatched = {};
    return result;
  }

  async rollback(): Promise<void> {
    await this.stager.discard();
    this.unmatched = {};
    await this.db.query("ROLLBACK");
    await this.loadCatalog();
    await this.db.query("BEGIN");
  }

  async close(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    try {
      await this.stager.drain();
      await client.query("ROLLBACK");
    } catch {
      // The connection is already gone: the server rolled the transaction back.
    } finally {
      // Ending the session releases the advisory lock.
      await client.end().catch(() => {});
    }
  }
}
