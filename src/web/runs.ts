/** Runs as the warehouse and the crash reports tell them: checkpoints grouped by run, and the failures reported. */
import type { CheckpointSummary } from "../destinations/reader.js";
import type { RunRecord } from "../project/run-records.js";
import type { CrashReport } from "./source.js";

export interface OpCounts {
  upserts: number;
  updates: number;
  deletes: number;
  truncates: number;
}

export interface RunSummary {
  /** The run number the destination gave it; undefined for a failed run that committed no checkpoint. */
  run?: number;
  checkpoints: number;
  firstSeq?: number;
  lastSeq?: number;
  start: string;
  end: string;
  byTable: Record<string, OpCounts>;
  crash?: CrashReport;
  /** What connector debug or connector run wrote when the sync ended (files/runs.jsonl): status, duration, peak memory, counts. */
  record?: RunRecord;
}

export const emptyOps = (): OpCounts => ({ upserts: 0, updates: 0, deletes: 0, truncates: 0 });

export function addOps(into: Record<string, OpCounts>, operations: string): void {
  let parsed: Record<string, Partial<OpCounts>>;
  try {
    parsed = JSON.parse(operations) as Record<string, Partial<OpCounts>>;
  } catch {
    return;
  }
  for (const [table, c] of Object.entries(parsed)) {
    const t = (into[table] ??= emptyOps());
    for (const k of ["upserts", "updates", "deletes", "truncates"] as const) t[k] += Number(c?.[k] ?? 0);
  }
}

export function totals(byTable: Record<string, OpCounts>): OpCounts {
  const all = emptyOps();
  for (const t of Object.values(byTable)) for (const k of ["upserts", "updates", "deletes", "truncates"] as const) all[k] += t[k];
  return all;
}

/** Folds a checkpoint history (oldest first), the crash reports and the run records (of this destination, oldest first) into runs, newest first. */
export async function collectRuns(checkpoints: AsyncIterable<CheckpointSummary> | CheckpointSummary[], crashes: CrashReport[], records: RunRecord[] = []): Promise<RunSummary[]> {
  const runs = new Map<number, RunSummary>();
  for await (const c of checkpoints) {
    let r = runs.get(c.run);
    if (!r) runs.set(c.run, (r = { run: c.run, checkpoints: 0, firstSeq: c.seq, start: c.time, end: c.time, byTable: {} }));
    r.checkpoints++;
    r.lastSeq = c.seq;
    r.end = c.time;
    addOps(r.byTable, c.operations);
  }
  const out = [...runs.values()];
  const named = new Set<string>();
  for (const record of records) {
    // A run number is given once per destination: the newest record of a number is its run's (a retried attempt ends it).
    const own = record.run === undefined ? undefined : runs.get(record.run);
    const crash = record.crashReport === undefined ? undefined : crashes.find((c) => c.file === record.crashReport);
    if (crash) named.add(crash.file);
    if (own) {
      own.record = record;
      own.end = record.endedAt > own.end ? record.endedAt : own.end;
      if (crash) own.crash = crash;
    } else {
      const r: RunSummary = { run: record.run, checkpoints: 0, start: record.startedAt, end: record.endedAt, byTable: {}, record, ...(crash ? { crash } : {}) };
      if (record.run !== undefined) runs.set(record.run, r);
      out.push(r);
    }
  }
  for (const crash of crashes) {
    if (named.has(crash.file)) continue;
    const seq = crash.lastCheckpoint?.seq;
    const own = seq === null || seq === undefined ? undefined : out.find((r) => !r.crash && r.firstSeq! <= seq && seq <= r.lastSeq! && seq === r.lastSeq && crash.time >= r.end);
    if (own) own.crash = crash;
    else out.push({ checkpoints: 0, start: crash.time, end: crash.time, byTable: {}, crash });
  }
  return out.sort((a, b) => (a.end < b.end ? 1 : a.end > b.end ? -1 : (b.run ?? 0) - (a.run ?? 0)));
}

export function span(r: RunSummary): string {
  if (r.record) return duration(r.record.durationMs);
  const ms = Date.parse(r.end) - Date.parse(r.start);
  if (!Number.isFinite(ms) || r.checkpoints < 2) return "—";
  return duration(ms);
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
