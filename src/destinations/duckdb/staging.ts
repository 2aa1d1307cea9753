/**
 * How rows reach a DuckDB table. DuckDB's appender is its fast path, and a statement costs
 * milliseconds, so writes are never sent one by one:
 * - an upsert whose integer key is above every key the table holds or any write named is
 *   appended straight into the table;
 * - every other write is appended to a staging table for its shape (upsert, delete, or an
 *   update of one set of columns), and each staging table is merged with one statement.
 *
 * A table's runs are kept in order and merged in that order. A write joins the newest run of
 * its shape unless a later run already holds its key; then it opens a new run at the end. So
 * every key sees its writes in the order the connector emitted them (within a run, the last
 * write to a key wins). A connector that mixes kinds pays no merge per switch, and one that
 * writes a key twice by two kinds (an upsert, then an update of the same row) only opens a
 * second run; a table is merged early only past MAX_RUNS runs or MAX_PENDING_KEYS keys.
 */
import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";
import type { ColumnSpec, Stored, TableSpec } from "../destination.js";
import { appenderFor, duckType, type Append } from "./types.js";
import { DATA_SCHEMA, DELETED, GENERATION, q, SYNCED, tableRef } from "./sql.js";

export interface Table {
  spec: TableSpec;
  pk: ColumnSpec[];
  /** Where each key column sits in an upsert's row. */
  pkSlots: number[];
  appends: Append[];
  /** Has `_connector_generation`, which only a truncate adds (schema-changes.ts addGeneration). */
  generated: boolean;
  /** The slot of a single integer key, which allows appending new keys straight into the table. */
  intKey?: number;
  /** The largest key the table holds or a pending write named (null: none); undefined until read. */
  maxKey?: number | bigint | null;
  /** Appends rows whose key is above every key in the table: no conflict is possible, so no merge is needed. */
  direct?: { appender: DuckDBAppender; order: (number | "synced" | "deleted" | "generation")[] };
}

export function describeTable(spec: TableSpec, old?: Table, generated = old?.generated ?? false): Table {
  const pk = spec.columns.filter((c) => c.pk);
  const integer = pk.length === 1 && ["SHORT", "INT", "LONG"].includes(pk[0]!.type?.type ?? "");
  return {
    spec,
    pk,
    pkSlots: pk.map((c) => spec.columns.indexOf(c)),
    appends: spec.columns.map((c) => appenderFor(c.type)),
    generated,
    ...(integer ? { intKey: spec.columns.indexOf(pk[0]!), maxKey: old?.maxKey } : {}),
    ...(old?.direct ? { direct: old.direct } : {}),
  };
}

type Kind = "upsert" | "update" | "delete";

/** The writes of one shape to one table, appended to a staging table. */
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

/** A table's pending writes: its runs in order, the newest run of each shape, and the newest run that holds each key. */
interface Pending {
  runs: Run[];
  newest: Map<string, number>;
  keys: Map<string, number>;
}

/** Pending keys per table before the table is merged anyway: their index lives in this thread's memory. */
const MAX_PENDING_KEYS = 200_000;
/** Runs per table before the table is merged anyway: each is a staging table and a statement. */
const MAX_RUNS = 32;

export interface StagingHooks {
  /** The table's stored rows change in this transaction. */
  touched(table: string): void;
  /** The generation merged rows get (deferred truncate). */
  generation(): number;
  /** Updates that matched no row. */
  unmatched(table: string, n: number): void;
}

export class Stager {
  private readonly pending = new Map<string, Pending>();
  private stages = 0;

  constructor(
    private readonly con: DuckDBConnection,
    private readonly hooks: StagingHooks,
  ) {}

  async upsert(t: Table, row: Stored[], synced: string): Promise<void> {
    // Awaited only when something must be read or made first: this is the per-row path.
    if (t.intKey !== undefined && t.maxKey === undefined) await this.readMaxKey(t);
    if (this.isNewKey(t, row)) {
      if (!t.direct) await this.openDirect(t);
      this.appendDirect(t, row, synced);
      return;
    }
    const key = keyText(row, t.pkSlots);
    const run = this.open(t.spec.name, "upsert", key) ?? (await this.conflict(t, "upsert", [], key));
    const a = run.appender;
    for (let i = 0; i < row.length; i++) run.appends[i]!(a, row[i] ?? null);
    this.endRow(run, synced);
  }

  async update(t: Table, columns: string[], key: Stored[], values: Stored[], synced: string): Promise<void> {
    await this.seeKey(t, key);
    const text = keyText(key);
    const run = this.open(t.spec.name, shapeOf("update", columns), text) ?? (await this.conflict(t, "update", columns, text));
    const a = run.appender;
    let i = 0;
    for (const v of key) run.appends[i++]!(a, v);
    for (const v of values) run.appends[i++]!(a, v);
    this.endRow(run, synced);
  }

  async delete(t: Table, key: Stored[], synced: string): Promise<void> {
    await this.seeKey(t, key);
    const text = keyText(key);
    const run = this.open(t.spec.name, "delete", text) ?? (await this.conflict(t, "delete", [], text));
    const a = run.appender;
    let i = 0;
    for (const v of key) run.appends[i++]!(a, v);
    this.endRow(run, synced);
  }

  /** Merges a table's pending writes into it, so that what follows sees them. */
  async flush(t: Table): Promise<void> {
    this.flushDirect(t);
    const p = this.pending.get(t.spec.name);
    if (!p) return;
    this.pending.delete(t.spec.name);
    this.hooks.touched(t.spec.name);
    for (const run of p.runs) await this.merge(t, run);
  }

  /** Forgets every pending write; the transaction that held them is being discarded. */
  discard(tables: Iterable<Table>): void {
    const appenders = [...[...tables].map((t) => t.direct?.appender), ...[...this.pending.values()].flatMap((p) => p.runs.map((r) => r.appender))];
    for (const a of appenders) {
      try {
        a?.clear();
        a?.closeSync();
      } catch {
        // Discarded with the transaction.
      }
    }
    for (const t of tables) t.direct = undefined;
    this.pending.clear();
  }

  /** The run of this shape, when the key may join it without a merge or a new run; the key is then recorded there. */
  private open(table: string, shape: string, key: string): Run | undefined {
    const p = this.pending.get(table);
    const at = p?.newest.get(shape);
    if (at === undefined) return undefined;
    const holder = p!.keys.get(key);
    if (holder === undefined ? p!.keys.size >= MAX_PENDING_KEYS : holder > at) return undefined;
    p!.keys.set(key, at);
    return p!.runs[at];
  }

  /** A write that cannot join an open run: a new run at the end (the table is merged first when it holds too much). */
  private async conflict(t: Table, kind: Kind, columns: string[], key: string): Promise<Run> {
    const name = t.spec.name;
    let p = this.pending.get(name);
    if (p && (p.runs.length >= MAX_RUNS || (!p.keys.has(key) && p.keys.size >= MAX_PENDING_KEYS))) {
      await this.flush(t);
      p = undefined;
    }
    if (!p) this.pending.set(name, (p = { runs: [], newest: new Map(), keys: new Map() }));
    const at = p.runs.push(await this.makeRun(t, kind, columns)) - 1;
    p.newest.set(shapeOf(kind, columns), at);
    p.keys.set(key, at);
    return p.runs[at]!;
  }

  private async makeRun(t: Table, kind: Kind, columns: string[]): Promise<Run> {
    const stageColumns = kind === "upsert" ? t.spec.columns : [...t.pk, ...columns.map((c) => columnOf(t, c))];
    const stage = `stage_${++this.stages}`;
    const defs = stageColumns.map((c) => `${q(c.name)} ${duckType(c.type)}`);
    await this.con.run(`CREATE TEMP TABLE ${q(stage)} (${[...defs, `${q(SYNCED)} TIMESTAMPTZ`, `_seq INTEGER`].join(", ")})`);
    const appender = await this.con.createAppender(stage, "main", "temp");
    return { kind, columns, stage, appender, appends: stageColumns.map((c) => appenderFor(c.type)), rows: 0, seq: 0 };
  }

  private endRow(run: Run, synced: string): void {
    const a = run.appender;
    a.appendVarchar(synced);
    a.appendInteger(++run.seq);
    a.endRow();
    run.rows++;
  }

  private async merge(t: Table, run: Run): Promise<void> {
    run.appender.flushSync();
    run.appender.closeSync();
    const table = t.spec.name;
    const gen = this.hooks.generation();
    const key = t.pk.map((c) => q(c.name));
    const latest = `(SELECT * FROM temp.${q(run.stage)} QUALIFY row_number() OVER (PARTITION BY ${key.join(", ")} ORDER BY _seq DESC) = 1)`;
    const match = key.map((k) => `${tableRef(table)}.${k} = s.${k}`).join(" AND ");
    if (run.kind === "upsert") {
      const cols = [...t.spec.columns.map((c) => q(c.name)), q(SYNCED)];
      const into = t.generated ? `${q(DELETED)}, ${q(GENERATION)}` : q(DELETED);
      const values = t.generated ? `false, ${gen}` : "false";
      await this.con.run(`INSERT OR REPLACE INTO ${tableRef(table)} (${cols.join(", ")}, ${into}) SELECT ${cols.join(", ")}, ${values} FROM ${latest}`);
    } else {
      if (run.kind === "update") {
        const misses = (await this.con.runAndReadAll(`SELECT count(*) AS n FROM temp.${q(run.stage)} s WHERE NOT EXISTS (SELECT 1 FROM ${tableRef(table)} WHERE ${match})`)).getRowObjects()[0]!;
        const n = Number(misses.n);
        if (n > 0) this.hooks.unmatched(table, n);
      }
      const set =
        run.kind === "update" ? [...run.columns.map((c) => `${q(c)} = s.${q(c)}`), `${q(SYNCED)} = s.${q(SYNCED)}`] : [`${q(DELETED)} = true`, `${q(SYNCED)} = s.${q(SYNCED)}`];
      if (t.generated) set.push(`${q(GENERATION)} = ${gen}`);
      await this.con.run(`UPDATE ${tableRef(table)} SET ${set.join(", ")} FROM ${latest} s WHERE ${match}`);
    }
    await this.con.run(`DROP TABLE temp.${q(run.stage)}`);
  }

  /** The largest key read once per table, then kept up to date by every write. */
  private async readMaxKey(t: Table): Promise<void> {
    const r = (await this.con.runAndReadAll(`SELECT max(${q(t.pk[0]!.name)}) AS m FROM ${tableRef(t.spec.name)}`)).getRowObjects()[0]!;
    t.maxKey = (r.m as bigint | null) ?? null;
  }

  /** An update or delete names a key: no later upsert of that key may be appended straight into the table ahead of it. */
  private async seeKey(t: Table, key: Stored[]): Promise<void> {
    if (t.intKey === undefined) return;
    if (t.maxKey === undefined) await this.readMaxKey(t);
    const k = key[0];
    if ((typeof k === "number" || typeof k === "bigint") && (t.maxKey === null || k > t.maxKey!)) t.maxKey = k;
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
    const names = (await this.con.runAndReadAll(`SELECT column_name AS c FROM duckdb_columns() WHERE schema_name = '${DATA_SCHEMA}' AND table_name = ? ORDER BY column_index`, [t.spec.name]))
      .getRowObjects()
      .map((r) => String(r.c));
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
      else if (o === "generation") a.appendBigInt(BigInt(this.hooks.generation()));
      else t.appends[o]!(a, row[o] ?? null);
    }
    a.endRow();
  }

  /** Writes what the direct appender holds, so that the statements that follow see it. */
  private flushDirect(t: Table): void {
    if (!t.direct) return;
    t.direct.appender.flushSync();
    t.direct.appender.closeSync();
    t.direct = undefined;
  }
}

const shapeOf = (kind: Kind, columns: string[]): string => (kind === "update" ? `update\u0000${columns.join("\u0000")}` : kind);

/** A key's values (those of `slots` in `values`, else all) as one string: 5 and 5n are one key, as they are in the table. */
function keyText(values: Stored[], slots?: number[]): string {
  let text = "";
  for (let i = 0; i < (slots ?? values).length; i++) {
    const v = values[slots ? slots[i]! : i] ?? null;
    text += v === null ? "z" : typeof v === "number" || typeof v === "bigint" ? `n${v}` : typeof v === "string" ? `s${v}` : `b${v.toString("hex")}`;
    text += "\u0000";
  }
  return text;
}

export function columnOf(t: Table, name: string): ColumnSpec {
  const c = t.spec.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column "${name}" in table "${t.spec.name}"`);
  return c;
}
