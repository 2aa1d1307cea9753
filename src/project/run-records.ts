/**
 * The run records: `files/runs.jsonl` in the project, one JSON line per sync that `connector debug`
 * or `connector run` ended, success or failure, so `connector ui` can show the last run's status,
 * counts, duration and peak memory. Owner-only, replaced atomically, and only the newest KEEP_RUNS
 * stay. The caller's redactor hides secrets in the whole record before it reaches the disk.
 */
import fs from "node:fs";
import path from "node:path";
import type { DestinationSpec } from "../destinations/open.js";
import { describeWarehouse, destinationFiles } from "./destination.js";

export const RUNS_FILE = "runs.jsonl";
/** How many runs the file keeps; older ones are dropped when a new one is written. */
export const KEEP_RUNS = 50;
/** Tables a record names one by one; the rest are counted in `moreTables`. */
export const RECORD_TABLES = 200;
/** The longest error message a record keeps. */
const ERROR_CHARS = 2000;

export interface OpCounts {
  upserts: number;
  updates: number;
  deletes: number;
  truncates: number;
}

export interface RunRecord {
  version: 1;
  command: "debug" | "run";
  /** The run number the destination gave this sync (its checkpoints carry it). */
  run?: number;
  attempt?: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  status: "succeeded" | "failed";
  counts: OpCounts & { checkpoints: number; schemaChanges: number };
  byTable: Record<string, OpCounts>;
  moreTables?: number;
  peakRssBytes?: number;
  peakHeapBytes?: number;
  lastCheckpoint?: { seq: number; time: string };
  error?: { name: string; message: string };
  /** Relative to the project when it is inside it. */
  crashReport?: string;
  /** Where the sync wrote: a file relative to the project when inside it, or a PostgreSQL location (no password). */
  destination: { kind: string; location: string };
}

/** What a command knows of a sync when it ends (the outcome of host/sync-run.ts has this shape). */
export interface EndedRun {
  status: "succeeded" | "failed";
  error?: { name?: string; message: string };
  counts: OpCounts & { checkpoints: number; schemaChanges: number; byTable: Record<string, OpCounts> };
  durationMs: number;
  memory?: { peakRssBytes: number; peakHeapBytes: number };
  run?: number;
  checkpoint?: { seq: number; time: string };
}

export const runsFile = (projectDir: string): string => path.join(projectDir, "files", RUNS_FILE);

/** A path as a record keeps it: relative to the project when inside it. */
export function projectRelative(projectDir: string, file: string): string {
  const rel = path.relative(projectDir, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

/** The destination as a record names it: its file relative to the project when inside it, else its location (a server's, without password). */
export function recordedDestination(projectDir: string, spec: DestinationSpec): RunRecord["destination"] {
  const file = destinationFiles(spec)[0];
  return { kind: spec.kind, location: file === undefined ? describeWarehouse(spec).location : projectRelative(projectDir, file) };
}

const ops = (c: OpCounts): OpCounts => ({ upserts: c.upserts ?? 0, updates: c.updates ?? 0, deletes: c.deletes ?? 0, truncates: c.truncates ?? 0 });
const total = (c: OpCounts): number => c.upserts + c.updates + c.deletes + c.truncates;

export function runRecord(
  r: EndedRun,
  o: { command: RunRecord["command"]; destination: RunRecord["destination"]; crashReport?: string; attempt?: number; now?: Date },
  redact: <T>(value: T) => T,
): RunRecord {
  const end = o.now ?? new Date();
  const tables = Object.entries(r.counts.byTable ?? {}).sort((a, b) => total(ops(b[1])) - total(ops(a[1])));
  const kept = tables.slice(0, RECORD_TABLES);
  const record: RunRecord = {
    version: 1,
    command: o.command,
    ...(r.run !== undefined ? { run: r.run } : {}),
    ...(o.attempt !== undefined ? { attempt: o.attempt } : {}),
    startedAt: new Date(end.getTime() - r.durationMs).toISOString(),
    endedAt: end.toISOString(),
    durationMs: r.durationMs,
    status: r.status,
    counts: { ...ops(r.counts), checkpoints: r.counts.checkpoints ?? 0, schemaChanges: r.counts.schemaChanges ?? 0 },
    byTable: Object.fromEntries(kept.map(([t, c]) => [t, ops(c)])),
    ...(tables.length > kept.length ? { moreTables: tables.length - kept.length } : {}),
    ...(r.memory ? { peakRssBytes: r.memory.peakRssBytes, peakHeapBytes: r.memory.peakHeapBytes } : {}),
    ...(r.checkpoint ? { lastCheckpoint: { seq: r.checkpoint.seq, time: r.checkpoint.time } } : {}),
    ...(r.error ? { error: { name: r.error.name ?? "Error", message: r.error.message.slice(0, ERROR_CHARS) } } : {}),
    ...(o.crashReport ? { crashReport: o.crashReport } : {}),
    destination: o.destination,
  };
  return redact(record);
}

/** The project's run records, oldest first; a line that is not a record is left out. */
export function readRunRecords(projectDir: string): RunRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(runsFile(projectDir), "utf8");
  } catch {
    return [];
  }
  const out: RunRecord[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as RunRecord;
      if (r && r.version === 1 && (r.status === "succeeded" || r.status === "failed") && typeof r.endedAt === "string") out.push(r);
    } catch {
      // A damaged line: the others still count.
    }
  }
  return out;
}

/** Adds a record and keeps the newest `keep`: written to a temporary file readable by its owner only, then renamed over the old one. Throws when it cannot. */
export function appendRunRecord(projectDir: string, record: RunRecord, keep = KEEP_RUNS): string {
  const file = runsFile(projectDir);
  try {
    fs.mkdirSync(path.dirname(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const records = [...readRunRecords(projectDir), record].slice(-keep);
  const temp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(temp, records.map((r) => JSON.stringify(r)).join("\n") + "\n", { mode: 0o600 });
    fs.chmodSync(temp, 0o600);
    fs.renameSync(temp, file);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
  return file;
}

/** Writes the record; says why not in a warning instead of failing the command (the sync itself is done). */
export function saveRunRecord(projectDir: string, record: RunRecord): { file?: string; warning?: string } {
  try {
    return { file: appendRunRecord(projectDir, record) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { warning: `could not write the run record ${runsFile(projectDir)}: ${err.message}` };
  }
}
