/**
 * The PostgreSQL destination, run in the writer thread. User tables and the `_connector_*`
 * bookkeeping share the URL's schema; each bookkeeping row names its connector, so several
 * connectors can share a schema. A session-level advisory lock per connector refuses a
 * second concurrent run. The connector's state is written in the same transaction as the
 * checkpoint's rows, so the data and the state can never disagree.
 *
 * Writes are staged as DuckDB's are: consecutive writes of one kind to one table form a run,
 * kept last-per-key in memory and sent in chunks with COPY into a temporary table, then
 * merged with one statement (INSERT … ON CONFLICT for upserts, UPDATE … FROM for updates
 * and deletes). A run is sent when the kind changes, before a schema change or a truncate,
 * at every commit, and whenever it reaches CHUNK rows, so memory stays flat.
 *
 * Truncates are deferred (Fivetran 3.1): a truncate records the table's current generation
 * in `_connector_truncates`; `finish()`, after update() succeeded, soft-deletes the rows last
 * written at or before that generation. A failed sync leaves the rows live.
 */
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { convertStored } from "../../normalize/convert.js";
import { formatType, parseType } from "../../normalize/types.js";
import { UsageError } from "../../util/errors.js";
import type { AsyncDestination, CheckpointRecord, ColumnSpec, CommitResult, LogicalType, SchemaChange, Stored, StoredCatalog, TableSpec, WriteOp } from "../destination.js";
import { connect, connectionError, describeQueryError, locationOf, lostConnection, type PostgresOptions } from "./connection.js";
import { checkIdentifier, connectorLockKey, DELETED, ensureMetadata, GENERATION, GENERATION_SHIFT, lockHolder, META, q, SYNCED } from "./schema.js";
import { copyField, keyPart, NulCharacterError, pgType, type CopyField } from "./types.js";
import { toCanonical } from "./values.js";

/** Rows per COPY and merge: measured in bench/pg-strategies.mjs (docs/performance.md). */
const CHUNK = 4096;
/** Rows fetched at a time when a widening converts a column. */
const FETCH = 5000;

type Kind = "upsert" | "update" | "delete";

interface Table {
  spec: TableSpec;
  pk: ColumnSpec[];
  /** Where each key column sits in an upsert's row. */
  pkAt: number[];
}

/** A temporary table for one shape of run, and the statement that merges it. */
interface Stage {
  name: string;
  columns: ColumnSpec[];
  fields: CopyField[];
  merge: string;
}

interface Run {
  kind: Kind;
  columns: string[];
  stage: Stage;
  /** COPY lines, one per key: the last write to that key in this chunk. */
  lines: string[];
  /** How many writes each line stands for (updates count every write that matches no row). */
  counts: number[];
  index: Map<string, number>;
  keyTypes: (LogicalType | null)[];
  /** Where each key value sits among the staged values. */
  keyAt: number[];
}

export function createDestination(o: PostgresOptions): AsyncDestination {
  return new PostgresDestination(o);
}

export class PostgresDestination implements AsyncDestination {
  readonly kind = "postgres";
  readonly capabilities = { maxIdentifierLength: 63, maxColumns: 1597, caseInsensitiveNames: false, stateInDestination: true };
  readonly location: string;
  private client: pg.Client | undefined;
  private readonly schema: string;
  private readonly name: string;
  private tables = new Map<string, Table>();
  private runs = new Map<string, Run>();
  /** Temporary tables by table and shape; forgotten when the table's shape changes or a transaction rolls back. */
  private stages = new Map<string, Stage>();
  private made = 0;
  private run = 0;
  /** Truncates so far in this run: the low bits of the generation. */
  private truncates = 0;
  private unmatched: Record<string, number> = {};
  /** The chunk the server is still merging: the next one is built meanwhile. Awaited before anything else is asked of the server. */
  private inflight: Promise<void> | undefined;

  constructor(private readonly o: PostgresOptions) {
    this.schema = o.schema;
    this.name = o.connector;
    this.location = locationOf(o.connection, o.schema);
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
      const key = connectorLockKey(this.schema, this.name);
      const locked = await this.db.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", [key]);
      if (!locked.rows[0]?.ok) {
        const holder = await lockHolder(this.db, key);
        throw new UsageError(
          `Another run of connector "${this.name}" is writing to ${this.location}: ${holder.who} holds its lock. Wait for it to finish; two runs of one connector at once would interleave their checkpoints.${holder.gone}`,
        );
      }
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
      await this.db.query("BEGIN");
      return { tables: [...this.tables.values()].map((t) => t.spec), sources, lastSeq: Number(last.rows[0]!.seq), run: this.run, state: row.state };
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
    this.stages.clear();
    const rows = await this.db.query<{ table_name: string; column_name: string; type: string | null; declared: boolean; primary_key: boolean }>(
      `SELECT table_name, column_name, type, declared, primary_key FROM ${this.meta("columns")} WHERE connector = $1 ORDER BY table_name, position`,
      [this.name],
    );
    const specs = new Map<string, TableSpec>();
    for (const r of rows.rows) {
      let spec = specs.get(r.table_name);
      if (!spec) specs.set(r.table_name, (spec = { name: r.table_name, columns: [], keyless: false }));
      spec.columns.push({ name: r.column_name, type: r.type === null ? null : parseType(r.type), declared: r.declared, pk: r.primary_key });
      if (r.column_name === "_fivetran_id") spec.keyless = true;
    }
    for (const spec of specs.values()) this.remember(spec);
  }

  private remember(spec: TableSpec): void {
    const pk = spec.columns.filter((c) => c.pk);
    this.tables.set(spec.name, { spec, pk, pkAt: pk.map((c) => spec.columns.indexOf(c)) });
    for (const k of [...this.stages.keys()]) if (k.startsWith(`${spec.name}\u0000`)) this.stages.delete(k);
  }

  private table(name: string): Table {
    const t = this.tables.get(name);
    if (!t) throw new Error(`no table "${name}" in ${this.location}`);
    return t;
  }

  async write(batch: WriteOp[]): Promise<void> {
    for (const w of batch) {
      switch (w.op) {
        case "upsert": {
          const run = await this.runFor(w.table, "upsert", []);
          this.add(run, w.table, w.row, w.synced);
          if (run.lines.length >= CHUNK) await this.send(w.table, run);
          break;
        }
        case "update": {
          const run = await this.runFor(w.table, "update", w.columns);
          this.add(run, w.table, [...w.key, ...w.values], w.synced);
          if (run.lines.length >= CHUNK) await this.send(w.table, run);
          break;
        }
        case "delete": {
          const run = await this.runFor(w.table, "delete", []);
          this.add(run, w.table, w.key, w.synced);
          if (run.lines.length >= CHUNK) await this.send(w.table, run);
          break;
        }
        case "truncate":
          await this.truncate(w.table);
          break;
        case "schema":
          await this.apply(w.change);
          break;
      }
    }
  }

  /** Stages one write: its COPY line replaces any earlier write to the same key in this chunk. */
  private add(run: Run, table: string, values: Stored[], synced: string): void {
    const { fields, columns } = run.stage;
    let line = "";
    for (let i = 0; i < fields.length; i++) {
      try {
        line += fields[i]!(values[i] ?? null) + "\t";
      } catch (e) {
        if (e instanceof NulCharacterError) throw new Error(`table "${table}", column "${columns[i]!.name}"${columns[i]!.type?.type === "JSON" ? " (JSON)" : ""}: ${e.message}`);
        throw e;
      }
    }
    line += synced;
    let key = "";
    for (let i = 0; i < run.keyAt.length; i++) key += keyPart(run.keyTypes[i]!, values[run.keyAt[i]!] ?? null) + "\u0000";
    const at = run.index.get(key);
    if (at === undefined) {
      run.index.set(key, run.lines.length);
      run.lines.push(line);
      run.counts.push(1);
    } else {
      run.lines[at] = line;
      run.counts[at]!++;
    }
  }

  /** The open run for this table, kind and columns; any other run on the table is sent first. */
  private async runFor(table: string, kind: Kind, columns: string[]): Promise<Run> {
    const open = this.runs.get(table);
    if (open && open.kind === kind && sameColumns(open.columns, columns)) return open;
    if (open) await this.flush(table);
    const t = this.table(table);
    const stage = await this.stageFor(t, kind, columns);
    const keyTypes = t.pk.map((c) => c.type);
    const keyAt = kind === "upsert" ? t.pkAt : t.pk.map((_, i) => i);
    const run: Run = { kind, columns, stage, lines: [], counts: [], index: new Map(), keyTypes, keyAt };
    this.runs.set(table, run);
    return run;
  }

  private async stageFor(t: Table, kind: Kind, columns: string[]): Promise<Stage> {
    const id = `${t.spec.name}\u0000${kind}\u0000${columns.join("\u0000")}`;
    const known = this.stages.get(id);
    if (known) return known;
    const staged = kind === "upsert" ? t.spec.columns : [...t.pk, ...columns.map((c) => column(t, c))];
    const name = `_connector_stage_${++this.made}`;
    const defs = staged.map((c) => `${q(c.name)} ${pgType(c.type)}`);
    defs.push(`${q(SYNCED)} timestamptz`);
    // An update's line says how many writes it stands for, to count those that match no row.
    if (kind === "update") defs.push(`"_n" integer`);
    await this.settle();
    await this.db.query(`CREATE TEMP TABLE ${q(name)} (${defs.join(", ")})`);
    const stage: Stage = { name, columns: staged, fields: staged.map((c) => copyField(c.type)), merge: this.mergeSql(t, kind, name, columns) };
    this.stages.set(id, stage);
    return stage;
  }

  private mergeSql(t: Table, kind: Kind, stage: string, columns: string[]): string {
    const target = this.ref(t.spec.name);
    const s = `pg_temp.${q(stage)}`;
    if (kind === "upsert") {
      const cols = t.spec.columns.map((c) => q(c.name));
      const set = [...t.spec.columns.filter((c) => !c.pk).map((c) => `${q(c.name)} = EXCLUDED.${q(c.name)}`), `${q(SYNCED)} = EXCLUDED.${q(SYNCED)}`, `${q(DELETED)} = false`, `${q(GENERATION)} = EXCLUDED.${q(GENERATION)}`];
      return `INSERT INTO ${target} (${[...cols, q(SYNCED), q(DELETED), q(GENERATION)].join(", ")}) SELECT ${[...cols, q(SYNCED)].join(", ")}, false, $1 FROM ${s} ON CONFLICT (${t.pk.map((c) => q(c.name)).join(", ")}) DO UPDATE SET ${set.join(", ")}`;
    }
    const match = t.pk.map((c) => `t.${q(c.name)} = s.${q(c.name)}`).join(" AND ");
    if (kind === "update") {
      const set = [...columns.map((c) => `${q(c)} = s.${q(c)}`), `${q(SYNCED)} = s.${q(SYNCED)}`, `${q(GENERATION)} = $1`];
      return `WITH u AS (UPDATE ${target} AS t SET ${set.join(", ")} FROM ${s} AS s WHERE ${match} RETURNING s."_n") SELECT coalesce(sum("_n"), 0)::bigint AS matched FROM u`;
    }
    return `UPDATE ${target} AS t SET ${q(DELETED)} = true, ${q(SYNCED)} = s.${q(SYNCED)}, ${q(GENERATION)} = $1 FROM ${s} AS s WHERE ${match}`;
  }

  /**
   * Sends a run's staged chunk: COPY into its temporary table, one merge, and the table
   * emptied again. They run one after the other without being waited for here: the next
   * chunk is built while the server merges this one. Everything else asks settle() first.
   */
  private async send(table: string, run: Run): Promise<void> {
    if (run.lines.length === 0) return;
    let text: string;
    if (run.kind === "update") {
      text = "";
      for (let i = 0; i < run.lines.length; i++) text += `${run.lines[i]}\t${run.counts[i]}\n`;
    } else {
      text = run.lines.join("\n") + "\n";
    }
    const total = run.counts.reduce((n, c) => n + c, 0);
    run.lines = [];
    run.counts = [];
    run.index = new Map();
    // One chunk in flight at most, so memory stays flat.
    await this.settle();
    const generation = this.generation;
    const done = (async () => {
      await this.copy(run.stage.name, text);
      const merged = await this.db.query<{ matched: string }>(run.stage.merge, [generation]);
      await this.db.query(`TRUNCATE pg_temp.${q(run.stage.name)}`);
      if (run.kind === "update") {
        const missed = total - Number(merged.rows[0]?.matched ?? 0);
        if (missed > 0) this.unmatched[table] = (this.unmatched[table] ?? 0) + missed;
      }
    })();
    // Awaited by settle(); until then, a rejection must not count as unhandled.
    done.catch(() => {});
    this.inflight = done;
  }

  /** Waits for the chunk in flight; its failure is the failure of whatever comes next. */
  private async settle(): Promise<void> {
    const p = this.inflight;
    this.inflight = undefined;
    if (p) await p;
  }

  private copy(stage: string, text: string): Promise<void> {
    const stream = this.db.query(copyFrom(`COPY pg_temp.${q(stage)} FROM STDIN`));
    return new Promise<void>((resolve, reject) => {
      stream.on("error", reject);
      stream.on("finish", resolve);
      stream.end(Buffer.from(text));
    });
  }

  /** Merges a table's open run into the table, so that what follows sees it. */
  private async flush(table: string): Promise<void> {
    const run = this.runs.get(table);
    if (run) {
      this.runs.delete(table);
      await this.send(table, run);
    }
    await this.settle();
  }

  private async flushAll(): Promise<void> {
    for (const table of [...this.runs.keys()]) await this.flush(table);
    await this.settle();
  }

  /** Records the truncate point; the rows are marked deleted by finish(), once the sync has succeeded. */
  private async truncate(table: string): Promise<void> {
    await this.flush(table);
    if (!this.tables.has(table)) return;
    if (this.truncates + 1 >= GENERATION_SHIFT) throw new Error(`more than ${GENERATION_SHIFT - 1} truncates in one sync`);
    await this.db.query(`INSERT INTO ${this.meta("truncates")} (connector, table_name, generation) VALUES ($1, $2, $3)`, [this.name, table, this.generation]);
    this.truncates++;
  }

  /** Carries out the pending truncates, this run's and those a failed run committed: every row last written at or before its point is soft-deleted. */
  async finish(): Promise<{ truncated: Record<string, number> }> {
    await this.flushAll();
    const pending = await this.db.query<{ table_name: string; point: string }>(
      `SELECT table_name, max(generation)::text AS point FROM ${this.meta("truncates")} WHERE connector = $1 GROUP BY table_name ORDER BY table_name`,
      [this.name],
    );
    const truncated: Record<string, number> = {};
    for (const p of pending.rows) {
      if (!this.tables.has(p.table_name)) continue;
      const r = await this.db.query(`UPDATE ${this.ref(p.table_name)} SET ${q(DELETED)} = true WHERE ${q(GENERATION)} <= $1 AND NOT ${q(DELETED)}`, [p.point]);
      truncated[p.table_name] = r.rowCount ?? 0;
    }
    await this.db.query(`DELETE FROM ${this.meta("truncates")} WHERE connector = $1`, [this.name]);
    return { truncated };
  }

  private async apply(change: SchemaChange): Promise<void> {
    await this.settle();
    if (change.kind !== "createTable" && change.kind !== "tableSource") await this.flush(change.table);
    switch (change.kind) {
      case "createTable":
        await this.createTable(change.table);
        return;
      case "addColumn": {
        const t = this.table(change.table);
        checkIdentifier(change.column.name, "column", change.table);
        await this.db.query(`ALTER TABLE ${this.ref(change.table)} ADD COLUMN ${q(change.column.name)} ${pgType(change.column.type)}`);
        await this.insertColumn(change.table, change.column, t.spec.columns.length);
        this.remember({ ...t.spec, columns: [...t.spec.columns, { ...change.column }] });
        return;
      }
      case "setType": {
        const t = this.table(change.table);
        const col = column(t, change.column);
        // An untyped column is a declared key that no row has reached yet: the table is empty.
        if (col.type === null) await this.db.query(`ALTER TABLE ${this.ref(change.table)} ALTER COLUMN ${q(col.name)} TYPE ${pgType(change.type)} USING ${q(col.name)}::${pgType(change.type)}`);
        await this.setColumn(change.table, change.column, change.type, change.declared);
        this.remember({ ...t.spec, columns: t.spec.columns.map((c) => (c.name === change.column ? { ...c, type: change.type, declared: change.declared } : c)) });
        return;
      }
      case "changeType":
        await this.changeType(this.table(change.table), change.column, change.type, change.declared);
        return;
      case "tableSource":
        if (change.fresh) await this.db.query(`DELETE FROM ${this.meta("sources")} WHERE table_name = $1 AND connector = $2`, [change.table, this.name]);
        await this.db.query(`INSERT INTO ${this.meta("sources")} VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [this.name, change.table, change.source]);
        return;
      case "dropTable":
        this.runs.delete(change.table);
        await this.db.query(`DROP TABLE IF EXISTS ${this.ref(change.table)}`);
        for (const m of ["columns", "sources", "truncates"] as const) {
          await this.db.query(`DELETE FROM ${this.meta(m)} WHERE table_name = $1 AND connector = $2`, [change.table, this.name]);
        }
        this.tables.delete(change.table);
        return;
    }
  }

  private async createTable(spec: TableSpec): Promise<void> {
    checkIdentifier(spec.name, "table");
    for (const c of spec.columns) checkIdentifier(c.name, "column", spec.name);
    const owner = await this.db.query<{ connector: string }>(`SELECT connector FROM ${this.meta("columns")} WHERE table_name = $1 AND connector <> $2 LIMIT 1`, [spec.name, this.name]);
    if (owner.rows[0]) {
      throw new Error(
        `table "${spec.name}" in ${this.location} belongs to connector "${owner.rows[0].connector}". Connectors that share a schema need different table names; give this one its own schema (?schema=…).`,
      );
    }
    const exists = await this.db.query("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2", [this.schema, spec.name]);
    if (exists.rowCount) {
      throw new Error(`a table "${spec.name}" already exists in ${this.location}, and connector-sdk did not make it for connector "${this.name}". Drop or rename it, or write to another schema (?schema=…).`);
    }
    const copy: TableSpec = { name: spec.name, keyless: spec.keyless, columns: spec.columns.map((c) => ({ ...c })) };
    const cols = copy.columns.map((c) => `${q(c.name)} ${pgType(c.type)}${c.pk ? " NOT NULL" : ""}`);
    cols.push(`${q(SYNCED)} timestamptz NOT NULL`, `${q(DELETED)} boolean NOT NULL DEFAULT false`, `${q(GENERATION)} bigint NOT NULL DEFAULT 0`);
    cols.push(`PRIMARY KEY (${copy.columns.filter((c) => c.pk).map((c) => q(c.name)).join(", ")})`);
    try {
      await this.db.query(`CREATE TABLE ${this.ref(copy.name)} (${cols.join(", ")})`);
    } catch (e) {
      // Another session made a table of that name meanwhile, and committed first.
      const code = (e as { code?: string }).code;
      if (code === "42P07" || code === "23505") throw new Error(`a table "${spec.name}" was made in ${this.location} by another session while this one was making it (another connector writing the same table?). Connectors that share a schema need different table names.`);
      throw e;
    }
    for (const [i, c] of copy.columns.entries()) await this.insertColumn(copy.name, c, i);
    this.remember(copy);
  }

  private async insertColumn(table: string, c: ColumnSpec, position: number): Promise<void> {
    await this.db.query(`INSERT INTO ${this.meta("columns")} VALUES ($1, $2, $3, $4, $5, $6, $7)`, [this.name, table, c.name, c.type ? formatType(c.type) : null, c.declared, c.pk, position]);
  }

  private async setColumn(table: string, name: string, type: LogicalType, declared: boolean): Promise<void> {
    await this.db.query(`UPDATE ${this.meta("columns")} SET type = $1, declared = $2 WHERE table_name = $3 AND column_name = $4 AND connector = $5`, [
      formatType(type),
      declared,
      table,
      name,
      this.name,
    ]);
  }

  /**
   * A widening. PostgreSQL cannot run convertStored, so each stored value is read, converted
   * in JavaScript by the rules every destination shares, and written back: through a map
   * table keyed by the primary key, after the column has taken its new type.
   */
  private async changeType(t: Table, name: string, to: LogicalType, declared: boolean): Promise<void> {
    const from = column(t, name).type;
    const map = `_connector_convert_${++this.made}`;
    const keys = t.pk;
    await this.db.query(`CREATE TEMP TABLE ${q(map)} (${[...keys.map((c) => `${q(c.name)} ${pgType(c.type)}`), `v ${pgType(to)}`].join(", ")})`);
    const fields = [...keys.map((c) => copyField(c.type)), copyField(to)];
    const cursor = `_connector_cursor_${this.made}`;
    await this.db.query(`DECLARE ${q(cursor)} NO SCROLL CURSOR FOR SELECT ${[...keys.map((c) => q(c.name)), q(name)].join(", ")} FROM ${this.ref(t.spec.name)} WHERE ${q(name)} IS NOT NULL`);
    for (;;) {
      const chunk = await this.db.query<unknown[]>({ text: `FETCH ${FETCH} FROM ${q(cursor)}`, rowMode: "array" });
      if (chunk.rows.length === 0) break;
      let text = "";
      for (const r of chunk.rows) {
        const values = [...keys.map((c, i) => toCanonical(c.type, r[i])), convertStored(toCanonical(from, r[keys.length]), from, to)];
        text += values.map((v, i) => fields[i]!(v)).join("\t") + "\n";
      }
      await this.copy(map, text);
    }
    await this.db.query(`CLOSE ${q(cursor)}`);
    const target = this.ref(t.spec.name);
    await this.db.query(`ALTER TABLE ${target} ALTER COLUMN ${q(name)} TYPE ${pgType(to)} USING NULL`);
    await this.db.query(`UPDATE ${target} AS t SET ${q(name)} = m.v FROM pg_temp.${q(map)} AS m WHERE ${keys.map((c) => `t.${q(c.name)} = m.${q(c.name)}`).join(" AND ")}`);
    await this.db.query(`DROP TABLE pg_temp.${q(map)}`);
    await this.setColumn(t.spec.name, name, to, declared);
    this.remember({ ...t.spec, columns: t.spec.columns.map((c) => (c.name === name ? { ...c, type: to, declared } : c)) });
  }

  async holdsUnsafeIntegers(table: string, name: string): Promise<boolean> {
    await this.flush(table);
    const c = q(name);
    const r = await this.db.query(`SELECT 1 FROM ${this.ref(table)} WHERE ${c} > 9007199254740991 OR ${c} < -9007199254740991 LIMIT 1`);
    return (r.rowCount ?? 0) > 0;
  }

  async commit(checkpoint: CheckpointRecord | null): Promise<CommitResult> {
    await this.flushAll();
    if (checkpoint) {
      await this.db.query(`INSERT INTO ${this.meta("checkpoints")} (connector, seq, run, time, state, operations) VALUES ($1, $2, $3, $4, $5, $6)`, [
        this.name,
        checkpoint.seq,
        checkpoint.run,
        checkpoint.time,
        checkpoint.state,
        checkpoint.operations,
      ]);
      await this.db.query(`UPDATE ${this.meta("state")} SET state = $2, seq = $3, run = $4, time = $5 WHERE connector = $1`, [
        this.name,
        checkpoint.state,
        checkpoint.seq,
        checkpoint.run,
        checkpoint.time,
      ]);
    }
    await this.db.query("COMMIT");
    await this.db.query("BEGIN");
    const result = { unmatchedUpdates: this.unmatched };
    this.unmatched = {};
    return result;
  }

  async rollback(): Promise<void> {
    this.runs.clear();
    await this.settle().catch(() => {});
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
      await this.inflight?.catch(() => {});
      await client.query("ROLLBACK");
    } catch {
      // The connection is already gone: the server rolled the transaction back.
    } finally {
      // Ending the session releases the advisory lock.
      await client.end().catch(() => {});
    }
  }
}

function column(t: Table, name: string): ColumnSpec {
  const c = t.spec.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column "${name}" in table "${t.spec.name}"`);
  return c;
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
