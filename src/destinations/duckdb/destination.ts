/**
 * The DuckDB destination: user tables in schema `tester`, as Fivetran's local tester writes
 * them, and the bookkeeping in schema `_connector` (sql.ts). It runs in the writer thread.
 * Rows reach the tables through staging.ts; schema changes are in schema-changes.ts.
 */
import fs from "node:fs";
import path from "node:path";
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { parseType } from "../../normalize/types.js";
import { generation, type AsyncDestination, type CheckpointRecord, type CommitResult, type FinishResult, type SchemaChange, type StoredCatalog, type TableRows, type TableSpec, type WriteOp } from "../destination.js";
import { UsageError } from "../../util/errors.js";
import { openWaiting } from "./in-use.js";
import { heldInstance, release } from "./held.js";
import { addGeneration, applySchemaChange, type SchemaContext } from "./schema-changes.js";
import { DATA_SCHEMA, DELETED, GENERATION, META_SCHEMA, META_TABLES, q, tableRef } from "./sql.js";
import { describeTable, Stager, type Table } from "./staging.js";
import { heldTables } from "./reader.js";
import { recordSecrets, storedSecrets } from "./secrets.js";
import { duckdb } from "./driver.js";

// Loaded with this module, as the writer thread imports it: a client that cannot load is then a broken install, before anything is opened.
duckdb();

export interface DuckDbOptions {
  file: string;
  /** A scratch warehouse of verify's, held in this thread's memory (held.ts); `file` is its marker. */
  memory?: boolean;
}

export function createDestination(o: DuckDbOptions): AsyncDestination {
  return new DuckDbDestination(o.file, o.memory);
}

export class DuckDbDestination implements AsyncDestination {
  readonly kind = "duckdb";
  private instance: DuckDBInstance | undefined;
  private con!: DuckDBConnection;
  private stager!: Stager;
  private tables = new Map<string, Table>();
  private temps = 0;
  private cx: SchemaContext | undefined;
  /** Tables whose existing rows changed in this transaction: DuckDB cannot ALTER them before the commit, so they are rebuilt. */
  private dirty = new Set<string>();
  /** Tables created (or rebuilt) in this transaction, which DuckDB can alter freely. */
  private created = new Set<string>();
  private unmatched: Record<string, number> = {};
  private run = 0;
  /** The generation of this run's writes (destination.ts, deferred truncate); a truncate merges every pending write first. */
  private gen = 0;

  constructor(
    readonly location: string,
    private readonly memory = false,
  ) {}

  async open(): Promise<StoredCatalog> {
    fs.mkdirSync(path.dirname(this.location), { recursive: true });
    release();
    this.instance = this.memory ? await heldInstance(this.location) : await openWaiting(this.location);
    this.con = await this.instance.connect();
    this.stager = new Stager(this.con, {
      touched: (table) => {
        if (!this.created.has(table)) this.dirty.add(table);
      },
      generation: () => this.gen,
      unmatched: (table, n) => {
        this.unmatched[table] = (this.unmatched[table] ?? 0) + n;
      },
    });
    await this.ensureOurs();
    await this.con.run(`CREATE SCHEMA IF NOT EXISTS ${DATA_SCHEMA}`);
    await this.con.run(`CREATE SCHEMA IF NOT EXISTS ${META_SCHEMA}`);
    for (const sql of META_TABLES) await this.con.run(sql);
    await this.loadCatalog();
    const last = (await this.con.runAndReadAll(
      `SELECT coalesce(max(seq), 0) AS seq, greatest(coalesce(max(run), 0), (SELECT coalesce(max(run), 0) FROM ${META_SCHEMA}.runs)) AS run FROM ${META_SCHEMA}.checkpoints`,
    )).getRowObjects()[0]!;
    const sources: Record<string, string[]> = {};
    for (const r of (await this.con.runAndReadAll(`SELECT table_name, source_name FROM ${META_SCHEMA}.table_sources`)).getRowObjects()) {
      (sources[String(r.table_name)] ??= []).push(String(r.source_name));
    }
    const secrets = await storedSecrets(this.con);
    await this.con.run("BEGIN TRANSACTION");
    this.run = Number(last.run) + 1;
    this.gen = generation(this.run, 0);
    return { tables: [...this.tables.values()].map((t) => t.spec), sources, lastSeq: Number(last.seq), run: this.run, secrets };
  }

  private async ensureOurs(): Promise<void> {
    const rows = (await this.con.runAndReadAll("SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_catalog = current_database()")).getRowObjects();
    if (rows.length > 0 && !rows.some((r) => r.s === META_SCHEMA && r.t === "columns")) {
      throw new UsageError(`${this.location} is a DuckDB database that connector-sdk did not create (it has no ${META_SCHEMA}.columns table); move it away`);
    }
  }

  private async loadCatalog(): Promise<void> {
    this.tables.clear();
    const rows = (await this.con.runAndReadAll(`SELECT table_name, column_name, type, declared, primary_key FROM ${META_SCHEMA}.columns ORDER BY table_name, position`)).getRowObjects();
    const specs = new Map<string, TableSpec>();
    for (const r of rows) {
      const name = String(r.table_name);
      let spec = specs.get(name);
      if (!spec) specs.set(name, (spec = { name, columns: [], keyless: false }));
      const column = String(r.column_name);
      spec.columns.push({ name: column, type: r.type === null ? null : parseType(r.type), declared: r.declared === true, pk: r.primary_key === true });
      if (column === "_fivetran_id") spec.keyless = true;
    }
    // Tables a truncate gave _connector_generation (an earlier version gave it to every table).
    const generated = new Set(
      (await this.con.runAndReadAll(`SELECT table_name FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = '${DATA_SCHEMA}' AND column_name = '${GENERATION}'`))
        .getRowObjects()
        .map((r) => String(r.table_name)),
    );
    for (const spec of specs.values()) this.tables.set(spec.name, describeTable(spec, undefined, generated.has(spec.name)));
  }

  private remember(spec: TableSpec): void {
    this.tables.set(spec.name, describeTable(spec, this.tables.get(spec.name)));
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
          await this.stager.upsert(this.table(w.table), w.row, w.synced);
          break;
        case "update":
          await this.stager.update(this.table(w.table), w.columns, w.key, w.values, w.synced);
          break;
        case "delete":
          await this.stager.delete(this.table(w.table), w.key, w.synced);
          break;
        case "truncate": {
          await this.flushAll();
          const t = this.tables.get(w.table);
          if (t && !t.generated) await addGeneration(this.schemaContext, t);
          await this.con.run(`INSERT INTO ${META_SCHEMA}.truncates VALUES (?, ?)`, [w.table, this.gen++]);
          break;
        }
        case "schema":
          await this.apply(w.change);
          break;
      }
    }
  }

  private async flushAll(): Promise<void> {
    for (const t of this.tables.values()) await this.stager.flush(t);
  }

  private async apply(change: SchemaChange): Promise<void> {
    if (change.kind !== "createTable" && change.kind !== "tableSource") {
      const t = this.tables.get(change.table);
      if (t) await this.stager.flush(t);
    }
    await applySchemaChange(this.schemaContext, change);
  }

  private get schemaContext(): SchemaContext {
    return (this.cx ??= {
      con: this.con,
      tables: this.tables,
      table: (name) => this.table(name),
      remember: (spec) => this.remember(spec),
      dirty: this.dirty,
      created: this.created,
      tempName: (prefix) => `${prefix}_${++this.temps}`,
    });
  }

  async holdsUnsafeIntegers(table: string, name: string): Promise<boolean> {
    await this.stager.flush(this.table(table));
    const c = q(name);
    const rows = (await this.con.runAndReadAll(`SELECT 1 FROM ${tableRef(table)} WHERE ${c} > 9007199254740991 OR ${c} < -9007199254740991 LIMIT 1`)).getRows();
    return rows.length > 0;
  }

  async finish(): Promise<FinishResult> {
    await this.flushAll();
    const truncated: Record<string, number> = {};
    const pending = (await this.con.runAndReadAll(`SELECT table_name, max(generation) AS point FROM ${META_SCHEMA}.truncates GROUP BY table_name ORDER BY table_name`)).getRowObjects();
    for (const r of pending) {
      const table = String(r.table_name);
      // A table without the column did not exist at its truncate point: every row of it came later.
      if (!this.tables.get(table)?.generated) {
        truncated[table] = 0;
        continue;
      }
      if (!this.created.has(table)) this.dirty.add(table);
      const result = await this.con.run(`UPDATE ${tableRef(table)} SET ${q(DELETED)} = true WHERE ${q(GENERATION)} <= ? AND NOT ${q(DELETED)}`, [Number(r.point)]);
      truncated[table] = result.rowsChanged;
    }
    await this.con.run(`DELETE FROM ${META_SCHEMA}.truncates`);
    await this.con.run(`INSERT OR IGNORE INTO ${META_SCHEMA}.runs VALUES (?, ?)`, [this.run, new Date().toISOString()]);
    return { truncated };
  }

  async commit(checkpoint: CheckpointRecord | null): Promise<CommitResult> {
    await this.flushAll();
    if (checkpoint) {
      await this.con.run(`INSERT INTO ${META_SCHEMA}.checkpoints VALUES (?, ?, ?, ?, ?)`, [checkpoint.seq, checkpoint.run, checkpoint.time, checkpoint.state, checkpoint.operations]);
      if (checkpoint.secrets) await recordSecrets(this.con, checkpoint.secrets);
    }
    await this.con.run("COMMIT");
    this.dirty.clear();
    this.created.clear();
    await this.con.run("BEGIN TRANSACTION");
    const result = { unmatchedUpdates: this.unmatched };
    this.unmatched = {};
    return result;
  }

  async rollback(): Promise<void> {
    this.stager.discard(this.tables.values());
    this.unmatched = {};
    this.dirty.clear();
    this.created.clear();
    await this.con.run("ROLLBACK");
    await this.loadCatalog();
    await this.con.run("BEGIN TRANSACTION");
  }

  /** What is committed, read over this connection: verify's thread then never loads DuckDB nor opens the file a second time. */
  async snapshot(): Promise<TableRows[]> {
    if (!this.instance) throw new Error(`${this.location} is not open`);
    await this.rollback();
    return heldTables(this.con);
  }

  async close(): Promise<void> {
    if (!this.instance) return;
    try {
      await this.rollback();
      await this.con.run("ROLLBACK");
    } finally {
      this.con.closeSync();
      // A held scratch warehouse stays open for verify's next sync into it.
      if (!this.memory) this.instance.closeSync();
      this.instance = undefined;
    }
  }
}
