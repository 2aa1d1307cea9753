/**
 * How rows reach a PostgreSQL table. Consecutive writes of one kind to one table form a run,
 * kept last-per-key in memory and sent in chunks with COPY into a temporary table, then
 * merged with one statement (INSERT … ON CONFLICT for upserts, UPDATE … FROM for updates
 * and deletes). A run is sent when the kind changes, before a schema change or a truncate,
 * at every commit, and whenever it reaches CHUNK rows, so memory stays flat.
 *
 * A table has one open run at a time and a write of another shape sends it first, so runs
 * are merged in the order the connector emitted them: every key sees its writes in order.
 */
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { ColumnSpec, LogicalType, Stored, TableSpec } from "../destination.js";
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
  /** COPY lines, one per key: the last write to that key in this chunk. */
  lines: string[];
  /** How many writes each line stands for (updates count every write that matches no row). */
  counts: number[];
  index: Map<string, number>;
  keyTypes: (LogicalType | null)[];
  /** Where each key value sits among the staged values. */
  keyAt: number[];
}

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
  private runs = new Map<string, Run>();
  /** Temporary tables by table and shape; forgotten when the table's shape changes or a transaction rolls back. */
  private stages = new Map<string, Stage>();
  /** The chunk the server is still merging: the next one is built meanwhile. Awaited before anything else is asked of the server. */
  private inflight: Promise<void> | undefined;

  constructor(private readonly cx: StagingContext) {}

  /** Stages one write: `values` is an upsert's row, or the key then the values of `columns` (update) or the key alone (delete). */
  async write(t: Table, kind: Kind, columns: string[], values: Stored[], synced: string): Promise<void> {
    const run = await this.runFor(t, kind, columns);
    this.add(run, t.spec.name, values, synced);
    if (run.lines.length >= CHUNK) await this.send(t.spec.name, run);
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
  private async runFor(t: Table, kind: Kind, columns: string[]): Promise<Run> {
    const table = t.spec.name;
    const open = this.runs.get(table);
    if (open && open.kind === kind && sameColumns(open.columns, columns)) return open;
    if (open) await this.flush(table);
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
    run.index = new Map();
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

  /** Merges a table's open run into the table, so that what follows sees it. */
  async flush(table: string): Promise<void> {
    const run = this.runs.get(table);
    if (run) {
      this.runs.delete(table);
      await this.send(table, run);
    }
    await this.settle();
  }

  async flushAll(): Promise<void> {
    for (const table of [...this.runs.keys()]) await this.flush(table);
    await this.settle();
  }

  /** Forgets the temporary tables of a table whose shape changed (all of them when no table is named). */
  forgetStages(table?: string): void {
    if (table === undefined) this.stages.clear();
    else for (const k of [...this.stages.keys()]) if (k.startsWith(`${table}\u0000`)) this.stages.delete(k);
  }

  /** Forgets every pending write and waits out the chunk in flight, ignoring its failure: the transaction is being rolled back. */
  async discard(): Promise<void> {
    this.runs.clear();
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

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
