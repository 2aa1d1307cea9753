/**
 * A scenario: a project, the commands run on it one after the other, and what each must
 * leave behind, said once for every destination (destinations.ts). `play` runs one scenario
 * on one destination and checks every step.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { fixtureProject, makeProject, ROOT, tempDir } from "../helpers.js";
import { EMPTY, type Row, type Warehouse } from "../support/warehouse.js";
import type { Counts } from "../../dist/testing.js";
import type { Destination, Ran, Target } from "./destinations.js";

export type Project = { fixture: string } | { example: string } | { files: Record<string, string> };

/** What a step's `check` and `native` checks are given. */
export interface Context {
  dir: string;
  result: Ran;
  target: Target;
  warehouse: Warehouse;
}

export interface Step {
  /** Files written into the project before the command. */
  write?: Record<string, string>;
  /** The stored state, replaced before the command. */
  setState?: object;
  /** The command: a sync (the default), or `connector reset`. */
  command?: "sync" | "reset";
  /** The exit code (default 0). */
  exit?: number;
  /**
   * Text the command's stderr contains, or patterns it matches. A sync in-process (destinations.ts)
   * is asked the same of its error's message and warnings, without "Sync FAILED: " and "Warning: ".
   */
  stderr?: (string | RegExp)[];
  /** What only the spawned CLI prints (its log lines, the per-table summary, a source location): asserted where the sync is the CLI. */
  cliStderr?: (string | RegExp)[];
  /** The sync's progress counts by label (Upserts, Checkpoints, …). */
  counts?: Record<string, number>;
  /** The state the sync says it starts from. */
  previousState?: object;
  /** The stored state afterwards. */
  state?: unknown;
  /** Tables and all their rows in primary key order (every column but _fivetran_synced and _connector_generation). */
  rows?: Record<string, Row[]>;
  /** Tables and their columns' logical types, as the column catalog records them. */
  types?: Record<string, Record<string, string | null>>;
  /** Tables and their primary keys, as the database's catalog has them. */
  primaryKeys?: Record<string, string[]>;
  /** Tables whose every column, _fivetran_synced included, is as the step before left it. */
  unchanged?: string[];
  /** Anything else, asked the same way of every destination. */
  check?(c: Context): Promise<void>;
  /** What only one destination has, by its kind: its own column types, say. */
  native?: Record<string, (c: Context) => Promise<void>>;
}

export interface Scenario {
  name: string;
  project: Project;
  steps: Step[];
}

/** A count of the sync's summary (`Upserts | 3`). */
export function progress(stderr: string, label: string): number {
  const m = new RegExp(`^${label}\\s*\\|\\s*([\\d,]+)$`, "m").exec(stderr);
  if (!m) throw new Error(`no ${label} line in:\n${stderr}`);
  return Number(m[1]!.replace(/,/g, ""));
}

/** The summary's labels as runSync's counts name them. */
const COUNTED: Record<string, keyof Omit<Counts, "byTable" | "truncatedRows" | "http">> = {
  Upserts: "upserts",
  Updates: "updates",
  Deletes: "deletes",
  Truncates: "truncates",
  SchemaChanges: "schemaChanges",
  Checkpoints: "checkpoints",
};

/** Asserts a step's texts of a sync's output: the CLI's stderr, or what a sync in-process said. */
function said(step: Step, result: Ran, target: Target, where: string): void {
  const run = result.inProcess;
  for (const text of [...(step.stderr ?? []), ...(run ? [] : (step.cliStderr ?? []))]) {
    if (run && text === "Sync SUCCEEDED") expect(result.exitCode, where).toBe(0);
    else if (typeof text === "string") expect(result.stderr, where).toContain(run ? text.replace(/^(Sync FAILED|Warning): /, "") : text);
    else expect(result.stderr, where).toMatch(text);
  }
  const counts = step.counts ?? {};
  const count = (label: string): number => (run ? run.counts[COUNTED[label]!] : progress(result.stderr, label));
  if (step.counts) expect(Object.fromEntries(Object.keys(counts).map((k) => [k, count(k)])), where).toEqual(step.counts);
  if (step.previousState && run) expect(run.from, where).toEqual(step.previousState);
  if (step.previousState && !run) expect(result.stderr, where).toContain(target.previousState(step.previousState));
}

function makeFor(project: Project): string {
  if ("fixture" in project) return fixtureProject(project.fixture);
  if ("files" in project) return makeProject(project.files);
  // A bundled example, as a user copies it: without the files its own runs left.
  const dir = path.join(tempDir(), project.example);
  fs.cpSync(path.join(ROOT, "examples", project.example), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}files`) });
  return dir;
}

const needsWarehouse = (s: Step | undefined): boolean => !!s && !!(s.rows || s.types || s.primaryKeys || s.check || s.native || s.unchanged);

async function snapshot(target: Target, tables: string[]): Promise<Record<string, Row[]>> {
  const w = await target.warehouse();
  try {
    return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await w.rows(t, { all: true })] as const)));
  } finally {
    await w.close();
  }
}

/**
 * Whether step i must run as the spawned CLI where the destination's syncs are spawned: a step whose
 * CLI output is asserted (cliStderr), or the scenario's first sync when none is, so that every scenario
 * is synced once by the CLI. The other steps' assertions hold the same of a sync in this process.
 */
export function spawned(scenario: Scenario, i: number): boolean {
  if (scenario.steps[i]!.cliStderr) return true;
  if (scenario.steps.some((s) => s.cliStderr)) return false;
  return scenario.steps.findIndex((s) => s.command !== "reset") === i;
}

/** Runs a scenario's steps on one destination, each checked as soon as it ran. */
export async function play(scenario: Scenario, destination: Destination): Promise<void> {
  const dir = makeFor(scenario.project);
  const target = destination.target(dir);
  let before: Record<string, Row[]> = {};
  for (const [i, step] of scenario.steps.entries()) {
    for (const [file, text] of Object.entries(step.write ?? {})) fs.writeFileSync(path.join(dir, file), text);
    if (step.setState) await target.setState(step.setState);
    const result = step.command === "reset" ? await target.reset() : target.syncHere && !spawned(scenario, i) ? await target.syncHere() : await target.sync();
    const where = `${destination.kind}, step ${i + 1}:\n${result.stderr}`;
    expect(result.exitCode, where).toBe(step.exit ?? 0);
    said(step, result, target, where);
    if ("state" in step) expect(await target.state(), where).toEqual(step.state);
    if (needsWarehouse(step)) {
      const warehouse = (await target.exists()) ? await target.warehouse() : EMPTY;
      try {
        for (const [table, rows] of Object.entries(step.rows ?? {})) expect(await warehouse.rows(table), `${where}\n(table ${table})`).toEqual(rows);
        for (const [table, types] of Object.entries(step.types ?? {})) expect(await warehouse.logicalTypes(table), `${where}\n(table ${table})`).toEqual(types);
        for (const [table, key] of Object.entries(step.primaryKeys ?? {})) expect(await warehouse.primaryKey(table), `${where}\n(table ${table})`).toEqual(key);
        for (const table of step.unchanged ?? []) expect(await warehouse.rows(table, { all: true }), `${where}\n(table ${table})`).toEqual(before[table]);
        const context = { dir, result, target, warehouse };
        await step.check?.(context);
        await step.native?.[destination.kind]?.(context);
      } finally {
        await warehouse.close();
      }
    }
    const next = scenario.steps[i + 1];
    before = next?.unchanged && needsWarehouse(next) ? await snapshot(target, next.unchanged) : {};
  }
}
