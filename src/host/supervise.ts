/**
 * Runs one sync in the sync worker (sync-worker.ts) for `connector debug` and `connector run`:
 * relays its events to the command's view, and stops it on a signal or a timeout. The
 * outcome resolves only once the worker has stopped, and so has closed the destination
 * (rolling back the open transaction): a lock may be released after it.
 */
import { Worker } from "node:worker_threads";
import { addByTable, emptyCounts, type Counts, type TableCounts } from "../sync/counts.js";
import type { CheckpointInfo } from "../sync/sync.js";
import type { SchemaChangeNote } from "../normalize/catalog.js";
import { formatDuration } from "../util/duration.js";
import { UsageError } from "../util/errors.js";
import { errorInfo, isError, toError } from "../util/thrown.js";
import type { LogLevel } from "../sdk/active-sync.js";
import type { HttpSummary } from "../replay/run.js";
import { writeStateFile, type StateObject } from "../state/state.js";
import type { CheckpointRecord } from "../destinations/destination.js";
import { readLiveCounts, sampleMemory, Slot } from "../sync/live-counts.js";
import { WriterHost } from "../destinations/threaded/spawn.js";
import { lastCheckpointOfRun } from "../destinations/sqlite/read.js";
import { LogTail } from "../project/crash-reports.js";
import { formatSize } from "../util/size.js";
import { LineRelay } from "../util/line-relay.js";
import type { ErrorInfo, WorkerInput, WorkerMessage } from "./protocol.js";
import { signalExitCode, stopWorker, trapSignals, type StopSignal } from "./signals.js";
import { DEFAULT_MEMORY_LIMIT, resourceLimits, SYNC_WORKER, type EarlyWorker } from "./worker-start.js";

export interface Outcome {
  status: "succeeded" | "failed";
  error?: ErrorInfo;
  counts: Counts;
  previousState: StateObject;
  state: StateObject;
  warnings: string[];
  /** The schema changes counted, in order. */
  schemaChanges: SchemaChangeNote[];
  durationMs: number;
  /** Set when the run was stopped by a signal: the exit code to use. */
  signalExit?: number;
  /** How many of the warnings came from checking the inputs, and were printed before the run. */
  inputWarnings?: number;
  /** What --record or --replay did. */
  http?: HttpSummary;
  memory?: MemoryReport;
  /** The last checkpoint this run committed, if any; its state is `state`. */
  checkpoint?: { seq: number; time: string };
  /** The run's last log lines, for a crash report. */
  log?: string[];
}

/** The sync's peak memory, as the summary ends with it (Fivetran 2.9.2). */
export interface MemoryReport {
  peakHeapBytes: number;
  peakRssBytes: number;
  limitBytes: number;
}

/** Fivetran's local debug caps the connector at 4 GB; production gives it 1 GB (--memory-limit 1GB). */
export { DEFAULT_MEMORY_LIMIT };

export interface SuperviseOptions {
  timeoutMs?: number;
  /** Releases the command's lock; called before the process ends on a second signal. */
  release: () => void;
  /** The sync worker's heap limit (--memory-limit), young and old generations together. */
  memoryLimit: number;
  /** A worker started before the command read its project, used when it suits (worker-start.ts). */
  early?: EarlyWorker;
}

/** What the command shows of a run as it goes. */
export interface SyncView {
  /** Values to hide from everything printed from now on: the worker sends them before anything that could print them. */
  secrets(values: string[]): void;
  /** The inputs passed their checks; `state` is the state the sync starts from. */
  ready(warnings: string[], state: StateObject | undefined): void;
  log(level: LogLevel, message: string): void;
  warning?(message: string): void;
  /** A committed checkpoint, while the run is still going. */
  checkpoint(info: CheckpointInfo): void;
  /** A line the connector wrote to its stdout or stderr (secrets not yet hidden). */
  output(line: string): void;
  /** The run is over: stop anything live on the terminal. */
  settled(): void;
  /** The worker is taking a while to stop. */
  slowStop(): void;
  /** A second signal while stopping: the process ends without waiting. */
  forced(): void;
}

export function supervise(input: WorkerInput, view: SyncView, options: SuperviseOptions): { outcome: Promise<Outcome>; untrap: () => void } {
  const { timeoutMs, release, memoryLimit } = options;
  const live = new Float64Array(input.liveCounts);
  // The writer threads of an asynchronous destination are started here, not in the worker, so
  // that stopping the worker never kills a database client in the middle of its work.
  const writers = new WriterHost();
  const data: WorkerInput = { ...input, writers: { port: writers.port, flag: writers.flag } };
  let worker = options.early?.take(memoryLimit);
  if (worker) worker.postMessage(data, [writers.port]);
  else worker = new Worker(SYNC_WORKER, { workerData: data, transferList: [writers.port], stdout: true, stderr: true, resourceLimits: resourceLimits(memoryLimit) });
  // The process's RSS, sampled here too: this thread keeps its turns while the worker computes.
  const sampler = setInterval(() => sampleMemory(live, false), 100);
  sampler.unref();
  const tail = new LogTail();
  let checkpoint: Outcome["checkpoint"];
  /** The checkpoints this run is known to have committed: the live count includes one still in flight. */
  let checkpoints = 0;
  // A connector's console output goes to stderr (stdout carries --json), line by line through
  // the output boundary, and only once the worker has said which values are secret.
  const relays = [worker.stdout, worker.stderr].map((stream) => {
    const relay = new LineRelay((line) => {
      tail.push(line);
      view.output(line);
    });
    stream.on("data", (chunk: Buffer) => relay.push(chunk));
    stream.on("end", () => relay.end());
    return relay;
  });
  const started = Date.now();
  const warnings: string[] = [];
  const schemaChanges: SchemaChangeNote[] = [];
  // Per-table totals and the last state only: a run may have any number of checkpoints.
  const byTable: Record<string, TableCounts> = {};
  let previousState = input.state;
  let lastState = input.state;
  let inputWarnings = 0;
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  let opened: { run: number; lastSeq: number } | undefined;
  let stopWith: (error: ErrorInfo, signalExit?: number) => void = () => {};
  // A worker stuck in native code does not stop, and process.exit() would wait for it: a
  // signal while the worker is being stopped releases the lock and ends the process by that signal.
  const force = (signal: StopSignal): void => {
    view.forced();
    release();
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  };
  const untrap = trapSignals(
    (signal) => (settled ? force(signal) : stopWith({ name: "Interrupted", message: signal === "SIGINT" ? "interrupted" : "interrupted (SIGTERM)" }, signalExitCode(signal))),
    force,
  );

  const outcome = new Promise<Outcome>((resolve, reject) => {
    const settle = (then: () => void): void => {
      settled = true;
      clearInterval(sampler);
      if (timer) clearTimeout(timer);
      view.settled();
      for (const relay of relays) relay.release();
      // Messages the worker posted before it stopped are delivered before terminate() resolves;
      // its writers then roll back and close their databases.
      void stopWorker(worker, () => view.slowStop())
        .then(() => writers.shutdown())
        .then((committed) => {
          for (const record of committed) adopt(record);
          // The SQLite destination commits in the worker itself, which may have been stopped between a commit and its
          // state file: the live count has a checkpoint this thread never heard of, which the file may hold.
          if (opened && input.destination.kind === "sqlite" && live[Slot.checkpoints]! > checkpoints) {
            const last = lastCheckpointOfRun(input.destination.file, opened.run, checkpoint?.seq ?? opened.lastSeq);
            if (last) adopt(last);
          }
          sampleMemory(live, false);
          then();
        });
    };
    // A writer committed a checkpoint whose acknowledgement the stopped worker never handled (a
    // connector that does not give control back, a signal, a timeout, the memory limit), so its
    // state was not persisted: persist it now, so that the state file and the summary match the destination.
    const adopt = (record: CheckpointRecord): void => {
      if (checkpoint && record.seq <= checkpoint.seq) return;
      const state = JSON.parse(record.state) as StateObject;
      try {
        if (input.stateFile) writeStateFile(input.stateFile, state);
      } catch {
        return; // The state file then lags the data by this checkpoint, which a resume replays harmlessly.
      }
      addByTable(byTable, JSON.parse(record.operations) as Record<string, TableCounts>);
      lastState = state;
      checkpoint = { seq: record.seq, time: record.time };
      checkpoints++;
    };
    const extras = () => ({
      schemaChanges,
      inputWarnings,
      checkpoint,
      log: tail.all,
      memory: { peakHeapBytes: live[Slot.peakHeap]!, peakRssBytes: live[Slot.peakRss]!, limitBytes: memoryLimit },
    });
    stopWith = (error, signalExit) => {
      if (settled) return;
      settle(() => resolve({ ...partial(live, byTable, checkpoints, lastState, previousState, warnings, started), error, signalExit, ...extras() }));
    };
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => stopWith({ name: "Timeout", message: `timed out after ${formatDuration(timeoutMs)} (--timeout)` }), timeoutMs);
    }

    worker.on("message", (m: WorkerMessage) => {
      switch (m.t) {
        case "secrets":
          view.secrets(m.values);
          break;
        case "opened":
          opened = { run: m.run, lastSeq: m.lastSeq };
          break;
        case "ready":
          for (const relay of relays) relay.release();
          if (settled) break;
          warnings.push(...m.warnings);
          inputWarnings = m.warnings.length;
          if (m.state) previousState = lastState = m.state;
          view.ready(m.warnings, m.state);
          break;
        case "output":
          relays[m.stream === "stdout" ? 0 : 1]!.push(m.text);
          break;
        case "log":
          tail.push(`${new Date().toISOString()} ${m.level} ${m.message}`);
          view.log(m.level, m.message);
          break;
        case "warning":
          warnings.push(m.message);
          view.warning?.(m.message);
          break;
        case "schema-change":
          schemaChanges.push(m.change);
          break;
        case "checkpoint":
          addByTable(byTable, m.info.operations);
          lastState = m.info.state;
          checkpoint = { seq: m.info.seq, time: m.info.time };
          checkpoints++;
          if (!settled) view.checkpoint(m.info);
          break;
        case "usage-error":
          if (!settled) settle(() => reject(new UsageError(m.message)));
          break;
        case "done":
          if (settled) break;
          // The worker flushed its console output before "done": print its last line, even without a newline.
          for (const relay of relays) relay.end();
          settle(() => resolve({ ...m.result, warnings, ...extras() }));
          break;
      }
    });
    worker.on("error", (thrown: unknown) => {
      if ((thrown as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY") {
        // The worker's own samples may have missed the climb (a loop that emits nothing); V8 says where it ended.
        live[Slot.peakHeap] = Math.max(live[Slot.peakHeap]!, memoryLimit);
        return stopWith({
          name: "MemoryLimit",
          message: `memory limit of ${formatSize(memoryLimit)} exceeded: the sync worker's heap reached --memory-limit (production gives a connector 1 GB). Keep less in memory: upsert rows as you read them rather than collecting them, and checkpoint every few thousand rows.`,
        });
      }
      const e = toError(thrown, "the connector threw a non-Error value outside update()");
      if (isError(thrown)) e.message = `the connector threw outside update(): ${e.message}`;
      stopWith(errorInfo(e));
    });
    worker.on("exit", (code) => {
      if (settled) return;
      const message =
        live[Slot.exitCalled] === 1
          ? `the connector called process.exit(${live[Slot.exitCode]}); return from update() instead, or throw to fail the sync`
          : `update() never finished: it is waiting on a promise that nothing will ever settle (worker exit code ${code})`;
      stopWith({ name: "Error", message });
    });
  });
  return { outcome, untrap };
}

/**
 * What is known of a run that was stopped from outside: the operations up to the last committed checkpoint, by
 * table and in total (those after it were rolled back, and their tables are not known here), the checkpoints
 * committed, and the live count of schema changes.
 */
function partial(live: Float64Array, byTable: Record<string, TableCounts>, checkpoints: number, state: StateObject, previousState: StateObject, warnings: string[], started: number): Outcome {
  const counts = emptyCounts();
  Object.assign(counts, readLiveCounts(live));
  for (const kind of ["upserts", "updates", "deletes", "truncates"] as const) counts[kind] = Object.values(byTable).reduce((n, t) => n + t[kind], 0);
  counts.byTable = byTable;
  counts.checkpoints = checkpoints;
  return { status: "failed", counts, previousState, state, warnings, schemaChanges: [], durationMs: Date.now() - started };
}
