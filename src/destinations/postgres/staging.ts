/**
 * How rows reach a PostgreSQL table. Each write is kept in memory as a COPY line in a run: the
 * writes of one shape (upsert, delete, or an update of one set of columns) to one table, last
 * write per key. A run is sent with COPY into a temporary table for its shape and merged with
 * one statement (INSERT … ON CONFLICT for upserts, UPDATE … FROM for updates and deletes).
 *
 * A table's runs are kept in order and merged in that order. A write joins the newest run of its
 * shape unless a later run already holds its key; then it opens a new run at the end. So every
 * key sees its writes in the order the connector emitted them, and a connector that mixes kinds
 * pays no merge per switch (duckdb/staging.ts does the same). A table's runs are all sent, in
 * order, when they hold CHUNK lines or MAX_RUNS runs (so memory stays flat), before a schema
 * change, a truncate or a read of the table, and at every commit.
 */
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { ColumnSpec, Stored, TableSpec } from "../destination.js";
import { DELETED, GENERATION, q, SYNCED } from "./schema.js";
import { copyField, keyPart, NulCharacterError, pgType, type CopyField } from "./types.js";

/** Rows per COPY and merge: measured in bench/pg-strategies.mjs (docs/performance.md). */
const CHUNK = 4096;

export type Kind = "upsert" | "update" | "delete";

export interface Table {
  spec: TableSpec;
  pk: ColumnSpec[];
  /** Where each key column sits in an upsert's row. */
  pkAt: number[];
  /** Has `_connector_generation`, which only a truncate adds (schema-changes.ts addGeneration). */
  generated: boolean;
}

export function describeTable(spec: TableSpec, generated: boolean): Table {
  const pk = spec.columns.filter((c) => c.pk);
  return { spec, pk, pkAt: pk.map((c) => spec.columns.indexOf(c)), generated };
}

export function columnOf(t: Table, name: string): ColumnSpec {
  const c = t.spec.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column "${name}" in table "${t.spec.name}"`);
  return c;
}

/** A temporary table for one shape of run, and the statement that merges it. */
interface Stage {
  name: string;
  columns: ColumnSpec[];
  fields: CopyField[];
  merge: string;
  /** The merge sets `_connector_generation` to its parameter $1. */
  generated: boolean;
}

interface Run {
  kind: Kind;
  columns: string[];
  stage: Stage;
  /** COPY lines, one per key: the last write to that key in this run. */
  lines: string[];
  /** How many writes each line stands for (updates count every write that matches no row). */
  counts: number[];
}

/** A table's pending writes: its runs in order, the newest run of each shape, and where each key was last written. */
interface Pending {
  runs: Run[];
  newest: Map<string, number>;
  /** Each key's newest run and its line there, as run × LINE + line. */
  keys: Map<string, number>;
  lines: number;
}

/** Runs per table before its writes are sent anyway: each costs a COPY and a merge. */
const MAX_RUNS = 32;
/** Lines per run fit below it (CHUNK per table), so a key's run and line are one number. */
const LINE = 2 ** 16;

export interface StagingContext {
  /** The open connection (throws when it was lost). */
  readonly db: pg.Client;
  /** A table's schema-qualified, quoted name. */
  ref(table: string): string;
  /** The generation merged rows get (deferred truncate). */
  generation(): string;
  /** A fresh name for a temporary table. */
  tempName(prefix: string): string;
  /** Updates that matched no row. */
  unmatched(table: string, n: number): void;
}

/** Streams COPY text into a temporary table. */
export function copyInto(db: pg.Client, temp: string, text: string): Promise<void> {
  const stream = db.query(copyFrom(`COPY pg_temp.${q(temp)} FROM STDIN`));
  return new Promise<void>((resolve, reject) => {
    stream.on("error", reject);
    stream.on("finish", resolve);
    stream.end(Buffer.from(text));
  });
}

export class Stager {
  private pending = new Map<string, Pending>();
  /** Temporary tables by table and shape; forgotten when the table's shape changes or a transaction rolls back. */
  private stages = new Map<string, Stage>();
  /** The chunk the server is still merging: the next one is built meanwhile. Awaited before anything else is asked of the server. */
  private inflight: Promise<void> | undefined;

  constructor(private readonly cx: StagingContext) {}

  /** Stages one write: `values` is an upsert's row, or the key then the values of `columns` (update) or the key alone (delete). */
  async write(t: Table, kind: Kind, columns: string[], values: Stored[], synced: string): Promise<void> {
    const table = t.spec.name;
    const shape = kind === "update" ? `update\u0000${columns.join("\u0000")}` : kind;
    const key = keyOf(t, kind === "upsert" ? t.pkAt : undefined, values);
    let p = this.pending.get(table);
    let at = p?.newest.get(shape);
    const held = p?.keys.get(key);
    if (at !== undefined && held !== undefined && Math.floor(held / LINE) > at) at = undefined;
    if (at !== undefined) {
      // The newest run of this shape, which no later run's write to this key follows.
      const run = p!.runs[at]!;
      const line = lineOf(run.stage, table, values, synced);
      if (held !== undefined && Math.floor(held / LINE) === at) {
        const i = held % LINE;
        run.lines[i] = line;
        run.counts[i]!++;
      } else {
        p!.keys.set(key, at * LINE + run.lines.length);
        run.lines.push(line);
        run.counts.push(1);
        p!.lines++;
      }
    } else {
      if (p && p.runs.length >= MAX_RUNS) {
        await this.flush(table);
        p = undefined;
      }
      const stage = await this.stageFor(t, kind, columns);
      const line = lineOf(stage, table, values, synced);
      if (!p) this.pending.set(table, (p = { runs: [], newest: new Map(), keys: new Map(), lines: 0 }));
      const index = p.runs.push({ kind, columns, stage, lines: [line], counts: [1] }) - 1;
      p.newest.set(shape, index);
      p.keys.set(key, index * LINE);
      p.lines++;
    }
    if (p!.lines >= CHUNK) await this.flush(table);
  }

  private async stageFor(t: Table, kind: Kind, columns: string[]): Promise<Stage> {
    const id = `${t.spec.name}\u0000${kind}\u0000${columns.join("\u0000")}`;
    const known = this.stages.get(id);
    if (known) return known;
    const staged = kind === "upsert" ? t.spec.columns : [...t.pk, ...columns.map((c) => columnOf(t, c))];
    const name = this.cx.tempName("_connector_stage");
    const defs = staged.map((c) => `${q(c.name)} ${pgType(c.type)}`);
    defs.push(`${q(SYNCED)} timestamptz`);
    // An update's line says how many writes it stands for, to count those that match no row.
    if (kind === "update") defs.push(`"_n" integer`);
    await this.settle();
    await this.cx.db.query(`CREATE TEMP TABLE ${q(name)} (${defs.join(", ")})`);
    const stage: Stage = { name, columns: staged, fields: staged.map((c) => copyField(c.type)), merge: mergeSql(this.cx.ref(t.spec.name), t, kind, name, columns), generated: t.generated };
    this.stages.set(id, stage);
    return stage;
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
    // One chunk in flight at most, so memory stays flat.
    await this.settle();
    const generation = this.cx.generation();
    const done = (async () => {
      await copyInto(this.cx.db, run.stage.name, text);
      const merged = await this.cx.db.query<{ matched: string }>(run.stage.merge, run.stage.generated ? [generation] : []);
      await this.cx.db.query(`TRUNCATE pg_temp.${q(run.stage.name)}`);
      if (run.kind === "update") {
        const missed = total - Number(merged.rows[0]?.matched ?? 0);
        if (missed > 0) this.cx.unmatched(table, missed);
      }
    })();
    // Awaited by settle(); until then, a rejection must not count as unhandled.
    done.catch(() => {});
    this.inflight = done;
  }

  /** Waits for the chunk in flight; its failure is the failure of whatever comes next. */
  async settle(): Promise<void> {
    const p = this.inflight;
    this.inflight = undefined;
    if (p) await p;
  }

  /** Merges a table's pending runs into it, in order, so that what follows sees them. */
  async flush(table: string): Promise<void> {
    const p = this.pending.get(table);
    if (p) {
      this.pending.delete(table);
      for (const run of p.runs) await this.send(table, run);
    }
    await this.settle();
  }

  async flushAll(): Promise<void> {
    for (const table of [...this.pending.keys()]) await this.flush(table);
    await this.settle();
  }

  /** Forgets the temporary tables of a table whose shape changed (all of them when no table is named). */
  forgetStages(table?: string): void {
    if (table === undefined) this.stages.clear();
    else for (const k of [...this.stages.keys()]) if (k.startsWith(`${table}\u0000`)) this.stages.delete(k);
  }

  /** Forgets every pending write and waits out the chunk in flight, ignoring its failure: the transaction is being rolled back. */
  async discard(): Promise<void> {
    this.pending.clear();
    await this.settle().catch(() => {});
  }

  /** Waits for the chunk in flight, if any, ignoring its failure: the connection is closing. */
  async drain(): Promise<void> {
    await this.inflight?.catch(() => {});
  }
}

/** The statement that merges a stage into its table; a table with `_connector_generation` gets the generation as $1. */
function mergeSql(target: string, t: Table, kind: Kind, stage: string, columns: string[]): string {
  const s = `pg_temp.${q(stage)}`;
  const generation = t.generated ? [`${q(GENERATION)} = $1`] : [];
  if (kind === "upsert") {
    const cols = t.spec.columns.map((c) => q(c.name));
    const set = [...t.spec.columns.filter((c) => !c.pk).map((c) => `${q(c.name)} = EXCLUDED.${q(c.name)}`), `${q(SYNCED)} = EXCLUDED.${q(SYNCED)}`, `${q(DELETED)} = false`, ...generation];
    const into = [...cols, q(SYNCED), q(DELETED), ...(t.generated ? [q(GENERATION)] : [])];
    const values = [...cols, q(SYNCED), "false", ...(t.generated ? ["$1"] : [])];
    return `INSERT INTO ${target} (${into.join(", ")}) SELECT ${values.join(", ")} FROM ${s} ON CONFLICT (${t.pk.map((c) => q(c.name)).join(", ")}) DO UPDATE SET ${set.join(", ")}`;
  }
  const match = t.pk.map((c) => `t.${q(c.name)} = s.${q(c.name)}`).join(" AND ");
  if (kind === "update") {
    const set = [...columns.map((c) => `${q(c)} = s.${q(c)}`), `${q(SYNCED)} = s.${q(SYNCED)}`, ...generation];
    return `WITH u AS (UPDATE ${target} AS t SET ${set.join(", ")} FROM ${s} AS s WHERE ${match} RETURNING s."_n") SELECT coalesce(sum("_n"), 0)::bigint AS matched FROM u`;
  }
  return `UPDATE ${target} AS t SET ${[`${q(DELETED)} = true`, `${q(SYNCED)} = s.${q(SYNCED)}`, ...generation].join(", ")} FROM ${s} AS s WHERE ${match}`;
}

/** A write's COPY line for its stage: the staged values, then `_fivetran_synced`. */
function lineOf(stage: Stage, table: string, values: Stored[], synced: string): string {
  const { fields, columns } = stage;
  let line = "";
  for (let i = 0; i < fields.length; i++) {
    try {
      line += fields[i]!(values[i] ?? null) + "\t";
    } catch (e) {
      if (e instanceof NulCharacterError) throw new Error(`table "${table}", column "${columns[i]!.name}"${columns[i]!.type?.type === "JSON" ? " (JSON)" : ""}: ${e.message}`);
      throw e;
    }
  }
  return line + synced;
}

/** A write's key as one string, as PostgreSQL compares it (keyPart): the values at `at` in an upsert's row, else the first ones. */
function keyOf(t: Table, at: number[] | undefined, values: Stored[]): string {
  let key = "";
  for (let i = 0; i < t.pk.length; i++) key += keyPart(t.pk[i]!.type, values[at ? at[i]! : i] ?? null) + "\u0000";
  return key;
}
