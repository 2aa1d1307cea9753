/**
 * The DuckDB destination: user tables in schema `tester`, as Fivetran's local tester writes
 * them, and the bookkeeping in schema `_connector`. It runs in the writer thread.
 *
 * Rows reach a table through a staging table: consecutive writes of one kind to one table
 * are appended (DuckDB's appender is its fast path) and merged with one statement when the
 * kind changes, before a schema change, and at every commit. So operations apply in the
 * order the connector emitted them, and the last write to a key wins within a batch.
 */
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api";
import { formatType, parseType } from "../../normalize/types.js";
import { generation, type AsyncDestination, type CheckpointRecord, type ColumnSpec, type CommitResult, type FinishResult, type SchemaChange, type Stored, type StoredCatalog, type TableSpec, type WriteOp } from "../destination.js";
import { convertStored } from "../../normalize/convert.js";
import { appenderFor, duckType, type Append } from "./types.js";
import { toCanonical } from "./values.js";

export const DATA_SCHEMA = "tester";
export const META_SCHEMA = "_connector";
const SYNCED = "_fivetran_synced";
const DELETED = "_fivetran_deleted";
const GENERATION = "_connector_generation";

export const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const tableRef = (name: string): string => `${DATA_SCHEMA}.${q(name)}`;

interface Table {
  spec: TableSpec;
  pk: ColumnSpec[];
  appends: Append[];
  /** The slot of a single integer key, which allows appending new keys straight into the table. */
  intKey?: number;
  /** The largest key the table holds (null: none); undefined until read. */
  maxKey?: number | bigint | null;
  /** Appends rows whose key is above every key in the table: no conflict is possible, so no merge is needed. */
  direct?: { appender: DuckDBAppender; order: (number | "synced" | "deleted" | "generation")[] };
}

type Kind = "upsert" | "update" | "delete";

/** Consecutive writes of one kind (and, for updates, one set of columns) to one table, appended to a staging table. */
interface Run {
  kind: Kind;
  columns: string[];
  stage: string;
  appender: DuckDBAppender;
  appends: Append[];
  rows: number;
  /** Order within the run, for "the last write to a key wins". */
  seq: number;
}

export interface DuckDbOptions {
  file: string;
}

export function createDestination(o: DuckDbOptions): AsyncDestination {
  return new DuckDbDestination(o.file);
}

export class DuckDbDestination implements AsyncDestination {
  readonly kind = "duckdb";
  readonly capabilities = { maxIdentifierLength: 255, maxColumns: 10_000, caseInsensitiveNames: true };
  private instance: DuckDBInstance | undefined;
  private con!: DuckDBConnection;
  private tables = new Map<string, Table>();
  private runs = new Map<string, Run>();
  private stages = 0;
  /** Tables whose existing rows changed in this transaction: DuckDB cannot ALTER them before the commit, so they are rebuilt. */
  private dirty = new Set<string>();
  /** Tables created (or rebuilt) in this transaction, which DuckDB can alter freely. */
  private created = new Set<string>();
  private unmatched: Record<string, number> = {};
  private run = 0;
  /**
   * The generation of this run's writes (destination.ts, deferred truncate). A truncate merges every
   * open run first, so all the rows of an open run were written in the current generation.
   */
  private gen = 0;

  constructor(readonly location: string) {}

  async open(): Promise<StoredCatalog> {
    fs.mkdirSync(path.dirname(this.location), { recursive: true });
    this.instance = await DuckDBInstance.create(this.location);
    this.con = await this.instance.connect();
    await this.ensureOurs();
    await this.con.run(`CREATE SCHEMA IF NOT EXISTS ${DATA_SCHEMA}`);
    await this.con.run(`CREATE SCHEMA IF NOT EXISTS ${META_SCHEMA}`);
    await this.con.run(`CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.columns (
      table_name VARCHAR NOT NULL, column_name VARCHAR NOT NULL, type VARCHAR, declared BOOLEAN NOT NULL,
      primary_key BOOLEAN NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (table_name, column_name))`);
    await this.con.run(`CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.table_sources (
      table_name VARCHAR NOT NULL, source_name VARCHAR NOT NULL, PRIMARY KEY (table_name, source_name))`);
    await this.con.run(`CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.checkpoints (
      seq BIGINT PRIMARY KEY, run BIGINT NOT NULL, time TIMESTAMPTZ NOT NULL, state JSON NOT NULL, operations JSON NOT NULL)`);
    await this.con.run(`CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.truncates (table_name VARCHAR NOT NULL, generation BIGINT NOT NULL)`);
    await this.con.run(`CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.runs (run BIGINT PRIMARY KEY, time TIMESTAMPTZ NOT NULL)`);
    await this.loadCatalog();
    // Tables an earlier version made: every existing row was written before any truncate point.
    const generated = new Set(
      (await this.con.runAndReadAll(`SELECT table_name FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = '${DATA_SCHEMA}' AND column_name = '${GENERATION}'`))
        .getRowObjects()
        .map((r) => String(r.table_name)),
    );
    for (const name of this.tables.keys()) if (!generated.has(name)) await this.con.run(`ALTER TABLE ${tableRef(name)} ADD COLUMN ${q(GENERATION)} BIGINT DEFAULT 0`);
    const last = (await this.con.runAndReadAll(
      `SELECT coalesce(max(seq), 0) AS seq, greatest(coalesce(max(run), 0), (SELECT coalesce(max(run), 0) FROM ${META_SCHEMA}.runs)) AS run FROM ${META_SCHEMA}.checkpoints`,
    )).getRowObjects()[0]!;
    const sources: Record<string, string[]> = {};
    for (const r of (await this.con.runAndReadAll(`SELECT table_name, source_name FROM ${META_SCHEMA}.table_sources`)).getRowObjects()) {
      (sources[String(r.table_name)] ??= []).push(String(r.source_name));
    }
    await this.con.run("BEGIN TRANSACTION");
    this.run = Number(last.run) + 1;
    this.gen = generation(this.run, 0);
    return { tables: [...this.tables.values()].map((t) => t.spec), sources, lastSeq: Number(last.seq), run: this.run };
  }

  private async ensureOurs(): Promise<void> {
    const rows = (await this.con.runAndReadAll(
      "SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_catalog = current_database()",
    )).getRowObjects();
    if (rows.length > 0 && !rows.some((r) => r.s === META_SCHEMA && r.t === "columns")) {
      throw new Error(`${this.location} is a DuckDB database that connector-sdk did not create (it has no ${META_SCHEMA}.columns table); move it away`);
    }
  }

  private async loadCatalog(): Promise<void> {
    this.tables.clear();
    const rows = (await this.con.runAndReadAll(
      `SELECT table_name, column_name, type, declared, primary_key FROM ${META_SCHEMA}.columns ORDER BY table_name, position`,
    )).getRowObjects();
    const specs = new Map<string, TableSpec>();
    for (const r of rows) {
      const name = String(r.table_name);
      let spec = specs.get(name);
      if (!spec) specs.set(name, (spec = { name, columns: [], keyless: false }));
      const column = String(r.column_name);
      spec.columns.push({ name: column, type: r.type === null ? null : parseType(r.type), declared: r.declared === true, pk: r.primary_key === true });
      if (column === "_fivetran_id") spec.keyless = true;
    }
    for (const spec of specs.values()) this.remember(spec);
  }

  private remember(spec: TableSpec): void {
    const pk = spec.columns.filter((c) => c.pk);
    const integer = pk.length === 1 && ["SHORT", "INT", "LONG"].includes(pk[0]!.type?.type ?? "");
    const old = this.tables.get(spec.name);
    this.tables.set(spec.name, {
      spec,
      pk,
      appends: spec.columns.map((c) => appenderFor(c.type)),
      ...(integer ? { intKey: spec.columns.indexOf(pk[0]!), maxKey: old?.maxKey } : {}),
      ...(old?.direct ? { direct: old.direct } : {}),
    });
  }

  /** Whether an upsert's key is above every key the table holds: then it is appended straight into the table. */
  private async readMaxKey(t: Table): Promise<void> {
    const r = (await this.con.runAndReadAll(`SELECT max(${q(t.pk[0]!.name)}) AS m FROM ${tableRef(t.spec.name)}`)).getRowObjects()[0]!;
    t.maxKey = (r.m as bigint | null) ?? null;
  }

  private isNewKey(t: Table, row: Stored[]): boolean {
    if (t.intKey === undefined || t.maxKey === undefined) return false;
    const key = row[t.intKey];
    if (typeof key !== "number" && typeof key !== "bigint") return false;
    if (t.maxKey !== null && key <= t.maxKey) return false;
    t.maxKey = key;
    return true;
  }

  private async openDirect(t: Table): Promise<void> {
    // The appender fills the table's columns in their physical order, which ALTER TABLE may have changed.
    const names = (await this.con.runAndReadAll(
      `SELECT column_name AS c FROM duckdb_columns() WHERE schema_name = '${DATA_SCHEMA}' AND table_name = ? ORDER BY column_index`,
      [t.spec.name],
    )).getRowObjects().map((r) => String(r.c));
    const slot = new Map(t.spec.columns.map((c, i) => [c.name, i]));
    const order = names.map((n) => (n === SYNCED ? "synced" : n === DELETED ? "deleted" : n === GENERATION ? "generation" : slot.get(n)!));
    t.direct = { appender: await this.con.createAppender(t.spec.name, DATA_SCHEMA), order };
  }

  private appendDirect(t: Table, row: Stored[], synced: string): void {
    const direct = t.direct!;
    const a = direct.appender;
    for (const o of direct.order) {
      if (o === "synced") a.appendVarchar(synced);
      else if (o === "deleted") a.appendBoolean(false);
      else if (o === "generation") a.appendBigInt(BigInt(this.gen));
      else t.appends[o]!(a, row[o] ?? null);
    }
    a.endRow();
  }

  /** Writes what the direct appender holds, so that the statements that follow see it. */
  private flushDirect(name: string): void {
    const t = this.tables.get(name);
    if (!t?.direct) return;
    t.direct.appender.flushSync();
    t.direct.appender.closeSync();
    t.direct = undefined;
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
          const t = this.table(w.table);
          // Awaited only when something must be read or created first: this is the per-row path.
          if (t.intKey !== undefined && t.maxKey === undefined) await this.readMaxKey(t);
          if (this.isNewKey(t, w.row)) {
            if (!t.direct) await this.openDirect(t);
            this.appendDirect(t, w.row, w.synced);
            break;
          }
          // The open run, found without an await: this is the per-row path.
          let run = this.runs.get(w.table);
          if (!run || run.kind !== "upsert") run = await this.runFor(w.table, "upsert", []);
          const a = run.appender;
          for (let i = 0; i < w.row.length; i++) run.appends[i]!(a, w.row[i] ?? null);
          a.appendVarchar(w.synced);
          a.appendInteger(++run.seq);
          a.endRow();
          run.rows++;
          break;
        }
        case "update": {
          const run = await this.runFor(w.table, "update", w.columns);
          const a = run.appender;
          let i = 0;
          for (const v of w.key) run.appends[i++]!(a, v);
          for (const v of w.values) run.appends[i++]!(a, v);
          a.appendVarchar(w.synced);
          a.appendInteger(++run.seq);
          a.endRow();
          run.rows++;
          break;
        }
        case "delete": {
          const run = await this.runFor(w.table, "delete", []);
          const a = run.appender;
          let i = 0;
          for (const v of w.key) run.appends[i++]!(a, v);
          a.appendVarchar(w.synced);
          a.appendInteger(++run.seq);
          a.endRow();
          run.rows++;
          break;
        }
        case "truncate":
          await this.flushAll();
          await this.con.run(`INSERT INTO ${META_SCHEMA}.truncates VALUES (?, ?)`, [w.table, this.gen++]);
          break;
        case "schema":
          await this.apply(w.change);
          break;
      }
    }
  }

  /** The open run for this table, kind and columns; any other run on the table is merged first. */
  private async runFor(table: string, kind: Kind, columns: string[]): Promise<Run> {
    const open = this.runs.get(table);
    if (open && open.kind === kind && sameColumns(open.columns, columns)) return open;
    if (open) await this.flush(table);
    const t = this.table(table);
    const stageColumns = kind === "upsert" ? t.spec.columns : [...t.pk, ...columns.map((c) => column(t, c))];
    const stage = `stage_${++this.stages}`;
    const defs = stageColumns.map((c) => `${q(c.name)} ${duckType(c.type)}`);
    await this.con.run(`CREATE TEMP TABLE ${q(stage)} (${[...defs, `${q(SYNCED)} TIMESTAMPTZ`, `_seq INTEGER`].join(", ")})`);
    const run: Run = { kind, columns, stage, appender: await this.con.createAppender(stage, "main", "temp"), appends: stageColumns.map((c) => appenderFor(c.type)), rows: 0, seq: 0 };
    this.runs.set(table, run);
    return run;
  }

  /** Merges a table's open run into the table, so that what follows sees it. */
  private async flush(table: string): Promise<void> {
    this.flushDirect(table);
    const run = this.runs.get(table);
    if (!run) return;
    this.runs.delete(table);
    this.touched(table);
    run.appender.flushSync();
    run.appender.closeSync();
    const t = this.table(table);
    const key = t.pk.map((c) => q(c.name));
    const latest = `(SELECT * FROM temp.${q(run.stage)} QUALIFY row_number() OVER (PARTITION BY ${key.join(", ")} ORDER BY _seq DESC) = 1)`;
    const match = key.map((k) => `${tableRef(table)}.${k} = s.${k}`).join(" AND ");
    if (run.rows > 0) {
      if (run.kind === "upsert") {
        const cols = [...t.spec.columns.map((c) => q(c.name)), q(SYNCED)];
        await this.con.run(
          `INSERT OR REPLACE INTO ${tableRef(table)} (${cols.join(", ")}, ${q(DELETED)}, ${q(GENERATION)}) SELECT ${cols.join(", ")}, false, ${this.gen} FROM ${latest}`,
        );
      } else {
        if (run.kind === "update") {
          const misses = (await this.con.runAndReadAll(
            `SELECT count(*) AS n FROM temp.${q(run.stage)} s WHERE NOT EXISTS (SELECT 1 FROM ${tableRef(table)} WHERE ${match})`,
          )).getRowObjects()[0]!;
          const n = Number(misses.n);
          if (n > 0) this.unmatched[table] = (this.unmatched[table] ?? 0) + n;
        }
        const set =
          run.kind === "update"
            ? [...run.columns.map((c) => `${q(c)} = s.${q(c)}`), `${q(SYNCED)} = s.${q(SYNCED)}`, `${q(GENERATION)} = ${this.gen}`]
            : [`${q(DELETED)} = true`, `${q(SYNCED)} = s.${q(SYNCED)}`, `${q(GENERATION)} = ${this.gen}`];
        await this.con.run(`UPDATE ${tableRef(table)} SET ${set.join(", ")} FROM ${latest} s WHERE ${match}`);
      }
    }
    await this.con.run(`DROP TABLE temp.${q(run.stage)}`);
  }

  private touched(table: string): void {
    if (!this.created.has(table)) this.dirty.add(table);
  }

  private async flushAll(): Promise<void> {
    for (const table of this.tables.keys()) this.flushDirect(table);
    for (const table of [...this.runs.keys()]) await this.flush(table);
  }

  private async apply(change: SchemaChange): Promise<void> {
    if (change.kind !== "createTable" && change.kind !== "tableSource") await this.flush(change.table);
    switch (change.kind) {
      case "createTable":
        await this.createTable(change.table);
        return;
      case "addColumn": {
        const t = this.table(change.table);
        const spec: TableSpec = { ...t.spec, columns: [...t.spec.columns, { ...change.column }] };
        if (this.dirty.has(change.table)) await this.rebuild(t, spec);
        else await this.con.run(`ALTER TABLE ${tableRef(change.table)} ADD COLUMN ${q(change.column.name)} ${duckType(change.column.type)}`);
        await this.insertColumn(change.table, change.column, t.spec.columns.length);
        this.remember(spec);
        return;
      }
      case "setType": {
        const t = this.table(change.table);
        const col = column(t, change.column);
        if (col.type === null) {
          // An untyped column is a declared key that no row has reached: the table is empty,
          // and DuckDB cannot alter a key column, so the table is made again.
          col.type = change.type;
          await this.con.run(`DROP TABLE ${tableRef(change.table)}`);
          await this.con.run(createTableSql(t.spec));
        }
        col.type = change.type;
        col.declared = change.declared;
        await this.con.run(`UPDATE ${META_SCHEMA}.columns SET type = ?, declared = ? WHERE table_name = ? AND column_name = ?`, [
          formatType(change.type),
          change.declared,
          change.table,
          change.column,
        ]);
        this.remember(t.spec);
        return;
      }
      case "changeType":
        await this.changeType(change.table, change.column, column(this.table(change.table), change.column).type, change.type, change.declared);
        return;
      case "tableSource":
        if (change.fresh) await this.con.run(`DELETE FROM ${META_SCHEMA}.table_sources WHERE table_name = ?`, [change.table]);
        await this.con.run(`INSERT OR IGNORE INTO ${META_SCHEMA}.table_sources VALUES (?, ?)`, [change.table, change.source]);
        return;
      case "dropTable":
        this.dirty.delete(change.table);
        await this.con.run(`DROP TABLE IF EXISTS ${tableRef(change.table)}`);
        await this.con.run(`DELETE FROM ${META_SCHEMA}.columns WHERE table_name = ?`, [change.table]);
        await this.con.run(`DELETE FROM ${META_SCHEMA}.truncates WHERE table_name = ?`, [change.table]);
        this.tables.delete(change.table);
        return;
    }
  }

  private async createTable(spec: TableSpec): Promise<void> {
    const copy: TableSpec = { name: spec.name, keyless: spec.keyless, columns: spec.columns.map((c) => ({ ...c })) };
    await this.con.run(createTableSql(copy));
    this.created.add(copy.name);
    for (const [i, c] of copy.columns.entries()) await this.insertColumn(copy.name, c, i);
    this.remember(copy);
  }

  private async insertColumn(table: string, c: ColumnSpec, position: number): Promise<void> {
    await this.con.run(`INSERT INTO ${META_SCHEMA}.columns VALUES (?, ?, ?, ?, ?, ?)`, [table, c.name, c.type ? formatType(c.type) : null, c.declared, c.pk, position]);
  }

  /**
   * A widening: each stored value is converted in JavaScript by the same rules as every
   * destination (convertStored), into a map keyed by the primary key, and the table is
   * rebuilt from it in the open transaction.
   */
  private async changeType(table: string, name: string, from: ColumnSpec["type"], to: NonNullable<ColumnSpec["type"]>, declared: boolean): Promise<void> {
    const t = this.table(table);
    const key = t.pk;
    const map = `convert_${++this.stages}`;
    await this.con.run(`CREATE TEMP TABLE ${q(map)} (${[...key.map((c) => `${q(c.name)} ${duckType(c.type)}`), `v ${duckType(to)}`].join(", ")})`);
    const appender = await this.con.createAppender(map, "main", "temp");
    const keyAppends = key.map((c) => appenderFor(c.type));
    const append = appenderFor(to);
    const result = await this.con.stream(`SELECT ${[...key.map((c) => q(c.name)), q(name)].join(", ")} FROM ${tableRef(table)} WHERE ${q(name)} IS NOT NULL`);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const r of chunk.getRows()) {
        key.forEach((c, i) => keyAppends[i]!(appender, toCanonical(c.type, r[i]!)));
        append(appender, convertStored(toCanonical(from, r[key.length]!), from, to));
        appender.endRow();
      }
    }
    appender.flushSync();
    appender.closeSync();
    const spec: TableSpec = { ...t.spec, columns: t.spec.columns.map((c) => (c.name === name ? { ...c, type: to, declared } : c)) };
    await this.rebuild(t, spec, { column: name, map });
    await this.con.run(`DROP TABLE temp.${q(map)}`);
    await this.con.run(`UPDATE ${META_SCHEMA}.columns SET type = ?, declared = ? WHERE table_name = ? AND column_name = ?`, [formatType(to), declared, table, name]);
    this.remember(spec);
  }

  /**
   * Makes the table again with a new shape and copies its rows, keeping the indexes the
   * user added. DuckDB refuses, at commit, an ALTER TABLE on a table whose rows changed
   * earlier in the same transaction; a table made in the transaction has no such limit.
   */
  private async rebuild(t: Table, spec: TableSpec, converted?: { column: string; map: string }): Promise<void> {
    const name = spec.name;
    const indexes = (await this.con.runAndReadAll(
      `SELECT sql FROM duckdb_indexes() WHERE schema_name = '${DATA_SCHEMA}' AND table_name = ? AND sql IS NOT NULL`,
      [name],
    )).getRowObjects().map((r) => String(r.sql));
    const tmp = `_connector_rebuild_${++this.stages}`;
    await this.con.run(createTableSql({ ...spec, name: tmp }));
    const old = new Set(t.spec.columns.map((c) => c.name));
    const exprs = spec.columns.map((c) => (c.name === converted?.column ? "m.v" : old.has(c.name) ? `o.${q(c.name)}` : "NULL"));
    const join = converted ? ` LEFT JOIN temp.${q(converted.map)} m ON ${t.pk.map((c) => `o.${q(c.name)} = m.${q(c.name)}`).join(" AND ")}` : "";
    const cols = [...spec.columns.map((c) => q(c.name)), q(SYNCED), q(DELETED), q(GENERATION)];
    await this.con.run(
      `INSERT INTO ${tableRef(tmp)} (${cols.join(", ")}) SELECT ${[...exprs, `o.${q(SYNCED)}`, `o.${q(DELETED)}`, `o.${q(GENERATION)}`].join(", ")} FROM ${tableRef(name)} o${join}`,
    );
    await this.con.run(`DROP TABLE ${tableRef(name)}`);
    await this.con.run(`ALTER TABLE ${tableRef(tmp)} RENAME TO ${q(name)}`);
    for (const sql of indexes) await this.con.run(sql);
    this.dirty.delete(name);
    this.created.add(name);
  }

  async holdsUnsafeIntegers(table: string, name: string): Promise<boolean> {
    await this.flush(table);
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
      if (!this.tables.has(table)) {
        truncated[table] = 0;
        continue;
      }
      this.touched(table);
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
      await this.con.run(`INSERT INTO ${META_SCHEMA}.checkpoints VALUES (?, ?, ?, ?, ?)`, [
        checkpoint.seq,
        checkpoint.run,
        checkpoint.time,
        checkpoint.state,
        checkpoint.operations,
      ]);
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
    for (const t of this.tables.values()) {
      try {
        t.direct?.appender.clear();
        t.direct?.appender.closeSync();
      } catch {
        // Discarded with the transaction.
      }
      t.direct = undefined;
    }
    for (const run of this.runs.values()) {
      try {
        run.appender.clear();
        run.appender.closeSync();
      } catch {
        // The transaction is being discarded; a half-used appender goes with it.
      }
    }
    this.runs.clear();
    this.unmatched = {};
    this.dirty.clear();
    this.created.clear();
    await this.con.run("ROLLBACK");
    await this.loadCatalog();
    await this.con.run("BEGIN TRANSACTION");
  }

  async close(): Promise<void> {
    if (!this.instance) return;
    try {
      await this.rollback();
      await this.con.run("ROLLBACK");
    } finally {
      this.con.closeSync();
      this.instance.closeSync();
      this.instance = undefined;
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

export function createTableSql(spec: TableSpec): string {
  const cols = spec.columns.map((c) => `${q(c.name)} ${duckType(c.type)}${c.pk ? " NOT NULL" : ""}`);
  cols.push(`${q(SYNCED)} TIMESTAMPTZ NOT NULL`, `${q(DELETED)} BOOLEAN NOT NULL DEFAULT false`, `${q(GENERATION)} BIGINT NOT NULL DEFAULT 0`);
  cols.push(`PRIMARY KEY (${spec.columns.filter((c) => c.pk).map((c) => q(c.name)).join(", ")})`);
  return `CREATE TABLE ${tableRef(spec.name)} (${cols.join(", ")})`;
}
