/**
 * Runs one sync in the sync worker (sync-worker.ts) for `connector debug` and `connector run`:
 * relays its events to the command's view, and stops it on a signal or a timeout. The
 * outcome resolves only once the worker has stopped, and so has closed the destination
 * (rolling back the open transaction): a lock may be released after it.
 */
import { Worker } from "node:worker_threads";
import { addByTable, emptyCounts, type Counts, type TableCounts } from "../sync/counts.js";
import type { CheckpointInfo } from "../sync/sync.js";
import { formatDuration } from "../util/duration.js";
import { UsageError } from "../util/errors.js";
import { errorInfo, isError, toError } from "../util/thrown.js";
import type { LogLevel } from "../sdk/active-sync.js";
import type { HttpSummary } from "../replay/run.js";
import type { StateObject } from "../state/state.js";
import { readLiveCounts, Slot } from "../sync/live-counts.js";
import { LineRelay, secrets } from "../ui/output.js";
import type { ErrorInfo, WorkerInput, WorkerMessage } from "./protocol.js";
import { signalExitCode, stopWorker, trapSignals, type StopSignal } from "./signals.js";

export interface Outcome {
  status: "succeeded" | "failed";
  error?: ErrorInfo;
  counts: Counts;
  previousState: StateObject;
  state: StateObject;
  warnings: string[];
  durationMs: number;
  /** Set when the run was stopped by a signal: the exit code to use. */
  signalExit?: number;
  /** How many of the warnings came from checking the inputs, and were printed before the run. */
  inputWarnings?: number;
  /** What --record or --replay did. */
  http?: HttpSummary;
}

/** What the command shows of a run as it goes. */
export interface SyncView {
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

export function supervise(
  input: WorkerInput,
  view: SyncView,
  timeoutMs: number | undefined,
  release: () => void,
): { outcome: Promise<Outcome>; untrap: () => void } {
  const live = new Float64Array(input.liveCounts);
  // A worker's young generation is smaller than the main thread's by default; at a few
  // hundred thousand rows a second the extra scavenges cost about 3 % of a sync.
  const worker = new Worker(new URL("./sync-worker.js", import.meta.url), { workerData: input, stdout: true, stderr: true, resourceLimits: { maxYoungGenerationSizeMb: 48 } });
  // A connector's console output goes to stderr (stdout carries --json), line by line through
  // the output boundary, and only once the worker has said which values are secret.
  const relays = [worker.stdout, worker.stderr].map((stream) => {
    const relay = new LineRelay((line) => view.output(line));
    stream.on("data", (chunk: Buffer) => relay.push(chunk));
    stream.on("end", () => relay.end());
    return relay;
  });
  const started = Date.now();
  const warnings: string[] = [];
  // Per-table totals and the last state only: a run may have any number of checkpoints.
  const byTable: Record<string, TableCounts> = {};
  let previousState = input.state;
  let lastState = input.state;
  let inputWarnings = 0;
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
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
      if (timer) clearTimeout(timer);
      view.settled();
      for (const relay of relays) relay.release();
      // Messages the worker posted before it stopped are delivered before terminate() resolves.
      void stopWorker(worker, () => view.slowStop()).then(then);
    };
    stopWith = (error, signalExit) => {
      if (settled) return;
      settle(() => resolve({ ...partial(live, byTable, lastState, previousState, warnings, started), error, signalExit, inputWarnings }));
    };
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => stopWith({ name: "Timeout", message: `timed out after ${formatDuration(timeoutMs)} (--timeout)` }), timeoutMs);
    }

    worker.on("message", (m: WorkerMessage) => {
      switch (m.t) {
        case "secrets":
          secrets().add(m.values);
          break;
        case "ready":
          for (const relay of relays) relay.release();
          if (settled) break;
          warnings.push(...m.warnings);
          inputWarnings = m.warnings.length;
          if (m.state) previousState = lastState = m.state;
          view.ready(m.warnings, m.state);
          break;
        case "log":
          view.log(m.level, m.message);
          break;
        case "warning":
          warnings.push(m.message);
          view.warning?.(m.message);
          break;
        case "checkpoint":
          addByTable(byTable, m.info.operations);
          lastState = m.info.state;
          if (!settled) view.checkpoint(m.info);
          break;
        case "usage-error":
          if (!settled) settle(() => reject(new UsageError(m.message)));
          break;
        case "done":
          if (settled) break;
          // The worker flushed its console output before "done": print its last line, even without a newline.
          for (const relay of relays) relay.end();
          settle(() => resolve({ ...m.result, inputWarnings }));
          break;
      }
    });
    worker.on("error", (thrown: unknown) => {
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

/** What is known of a run that was stopped from outside: the live counts and the last committed checkpoint. */
function partial(live: Float64Array, byTable: Record<string, TableCounts>, state: StateObject, previousState: StateObject, warnings: string[], started: number): Outcome {
  const counts = emptyCounts();
  Object.assign(counts, readLiveCounts(live));
  counts.byTable = byTable;
  return { status: "failed", counts, previousState, state, warnings, durationMs: Date.now() - started };
}
