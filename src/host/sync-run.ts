/**
 * One sync in the sync worker (sync-worker.ts) for `connector debug` and `connector run`: the
 * worker's messages become the command's view and the run's outcome. The worker session
 * (worker-session.ts) owns the worker, the signals, the clock and the shutdown; the outcome
 * resolves only once the worker has stopped, and so has closed the destination (rolling back
 * the open transaction): a lock may be released after it.
 */
import { addByTable, emptyCounts, type TableCounts } from "../sync/counts.js";
import type { SchemaChangeNote } from "../normalize/catalog.js";
import { formatDuration } from "../util/duration.js";
import { UsageError } from "../util/errors.js";
import { errorInfo, isError, toError } from "../util/thrown.js";
import type { StateObject } from "../state/state.js";
import { FileStateStore } from "../state/store.js";
import type { CheckpointRecord } from "../destinations/destination.js";
import { readLiveCounts, Slot } from "../sync/live-counts.js";
import { destinationOf } from "../destinations/registry.js";
import { LogTail } from "../project/crash-reports.js";
import { formatSize } from "../util/size.js";
import type { WorkerInput, WorkerMessage } from "./protocol.js";
import type { ErrorInfo } from "../util/thrown.js";
import { SYNC_WORKER } from "./worker-start.js";
import { WorkerSession, type Ending, type StopReason } from "./worker-session.js";
import type { Outcome, SyncRunOptions, SyncView } from "./sync-view.js";

type Done = Extract<WorkerMessage, { t: "done" }>["result"];

export class SyncRun {
  /** Rejects with a UsageError when the worker found one; otherwise resolves, a failed run included. */
  readonly outcome: Promise<Outcome>;
  private readonly session: WorkerSession<WorkerMessage>;
  private readonly live: Float64Array;
  private readonly tail = new LogTail();
  private readonly started = Date.now();
  private readonly warnings: string[] = [];
  private readonly schemaChanges: SchemaChangeNote[] = [];
  // Per-table totals and the last state only: a run may have any number of checkpoints.
  private readonly byTable: Record<string, TableCounts> = {};
  private previousState: StateObject;
  private lastState: StateObject;
  private inputWarnings = 0;
  private checkpoint: Outcome["checkpoint"];
  /** The checkpoints this run is known to have committed: the live count includes one still in flight. */
  private checkpoints = 0;
  private opened: { run: number; lastSeq: number } | undefined;
  private done?: Done;

  constructor(
    private readonly input: WorkerInput,
    private readonly view: SyncView,
    private readonly options: SyncRunOptions,
  ) {
    this.live = new Float64Array(input.liveCounts);
    this.previousState = this.lastState = input.state;
    this.session = new WorkerSession<WorkerMessage>({
      script: SYNC_WORKER,
      input,
      // A connector's console output goes to stderr (stdout carries --json), and only once the worker has said which values are secret.
      stderr: true,
      timeoutMs: options.timeoutMs,
      memory: { limit: options.memoryLimit, live: this.live },
      early: options.early,
      hooks: {
        output: (line) => {
          this.tail.push(line);
          view.output(line);
        },
        stopping: () => {
          view.settled();
          this.session.releaseOutput();
        },
        slowStop: () => view.slowStop(),
        forced: () => {
          view.forced();
          options.release();
        },
      },
    });
    this.session.onMessage((m) => this.handle(m));
    this.session.start();
    this.outcome = this.session.settled.then((ending) => this.conclude(ending));
  }

  /** Stops listening for signals: call it once the command has cleaned up (lock released, summary printed). */
  close(): void {
    this.session.close();
  }

  private handle(m: WorkerMessage): void {
    const stopping = this.session.stopping;
    switch (m.t) {
      case "secrets":
        return this.view.secrets(m.values);
      case "opened":
        this.opened = { run: m.run, lastSeq: m.lastSeq };
        return;
      case "ready":
        this.session.releaseOutput();
        if (!stopping) this.ready(m.warnings, m.state);
        return;
      case "output":
        return this.session.relay(m.stream, m.text);
      case "log":
        this.tail.push(`${new Date().toISOString()} ${m.level} ${m.message}`);
        return this.view.log(m.level, m.message);
      case "warning":
        this.warnings.push(m.message);
        return this.view.warning?.(m.message);
      case "schema-change":
        this.schemaChanges.push(m.change);
        return;
      case "checkpoint":
        this.counted(m.info.operations, m.info.state, m.info);
        if (!stopping) this.view.checkpoint(m.info);
        return;
      case "usage-error":
        return this.session.stop({ kind: "usage-error", message: m.message });
      case "done":
        if (stopping) return;
        // The worker flushed its console output before "done": print its last line, even without a newline.
        this.session.endOutput();
        this.done = m.result;
        return this.session.stop({ kind: "finished" });
    }
  }

  private ready(warnings: string[], state: StateObject | undefined): void {
    this.warnings.push(...warnings);
    this.inputWarnings = warnings.length;
    if (state) this.previousState = this.lastState = state;
    this.view.ready(warnings, state);
  }

  /** A checkpoint this run committed: its operations, its state, its place. */
  private counted(operations: Record<string, TableCounts>, state: StateObject, at: { seq: number; time: string }): void {
    addByTable(this.byTable, operations);
    this.lastState = state;
    this.checkpoint = { seq: at.seq, time: at.time };
    this.checkpoints++;
  }

  private conclude({ reason, committed }: Ending): Outcome {
    this.adoptUnacknowledged(committed);
    if (reason.kind === "usage-error") throw new UsageError(reason.message);
    if (reason.kind === "finished") return { ...this.done!, warnings: this.warnings, ...this.extras() };
    return { ...this.partial(), error: this.stopError(reason), signalExit: reason.kind === "signal" ? reason.exitCode : undefined, ...this.extras() };
  }

  /**
   * Checkpoints committed whose acknowledgement the stopped worker never handled (a connector that does
   * not give control back, a signal, a timeout, the memory limit): a writer thread's last one, and for a
   * destination that commits in the worker itself (SQLite), one the live count has and this thread never
   * heard of, which the destination's module recovers.
   */
  private adoptUnacknowledged(committed: CheckpointRecord[]): void {
    for (const record of committed) this.adopt(record);
    const { destination } = this.input;
    const recover = destinationOf(destination).recoverLastCheckpoint;
    if (this.opened && recover && this.live[Slot.checkpoints]! > this.checkpoints) {
      const last = recover(destination, this.opened.run, this.checkpoint?.seq ?? this.opened.lastSeq);
      if (last) this.adopt(last);
    }
  }

  /** Where the state of an adopted checkpoint goes: the state file; nothing where the destination committed it with the rows. */
  private get store(): FileStateStore | undefined {
    return this.input.stateFile ? new FileStateStore({ file: this.input.stateFile, explicit: false }) : undefined;
  }

  /** Persists the state of a checkpoint the worker committed but never acknowledged, so that the state file and the summary match the destination. */
  private adopt(record: CheckpointRecord): void {
    if (this.checkpoint && record.seq <= this.checkpoint.seq) return;
    const state = JSON.parse(record.state) as StateObject;
    try {
      this.store?.committed(state);
    } catch {
      return; // The state file then lags the data by this checkpoint, which a resume replays harmlessly.
    }
    this.counted(JSON.parse(record.operations) as Record<string, TableCounts>, state, record);
  }

  private extras(): Pick<Outcome, "schemaChanges" | "inputWarnings" | "checkpoint" | "log" | "memory" | "run"> {
    const { live, options } = this;
    const memory = { peakHeapBytes: live[Slot.peakHeap]!, peakRssBytes: live[Slot.peakRss]!, limitBytes: options.memoryLimit };
    return { schemaChanges: this.schemaChanges, inputWarnings: this.inputWarnings, checkpoint: this.checkpoint, log: this.tail.all, memory, run: this.opened?.run };
  }

  /**
   * What is known of a run that was stopped from outside: the operations up to the last committed checkpoint, by
   * table and in total (those after it were rolled back, and their tables are not known here), the checkpoints
   * committed, and the live count of schema changes.
   */
  private partial(): Outcome {
    const counts = emptyCounts();
    Object.assign(counts, readLiveCounts(this.live));
    for (const kind of ["upserts", "updates", "deletes", "truncates"] as const) counts[kind] = Object.values(this.byTable).reduce((n, t) => n + t[kind], 0);
    counts.byTable = this.byTable;
    counts.checkpoints = this.checkpoints;
    const { previousState, lastState: state, warnings, started } = this;
    return { status: "failed", counts, previousState, state, warnings, schemaChanges: [], durationMs: Date.now() - started };
  }

  private stopError(reason: StopReason): ErrorInfo {
    switch (reason.kind) {
      case "signal":
        return { name: "Interrupted", message: reason.signal === "SIGINT" ? "interrupted" : "interrupted (SIGTERM)" };
      case "timeout":
        return { name: "Timeout", message: `timed out after ${formatDuration(this.options.timeoutMs!)} (--timeout)` };
      case "memory-limit":
        return {
          name: "MemoryLimit",
          message: `memory limit of ${formatSize(this.options.memoryLimit)} exceeded: the sync worker's heap reached --memory-limit (production gives a connector 1 GB). Keep less in memory: upsert rows as you read them rather than collecting them, and checkpoint every few thousand rows.`,
        };
      case "error":
        return this.thrownOutside(reason.thrown);
      default:
        return { name: "Error", message: this.exitMessage(reason.kind === "exit" ? reason.code : 0) };
    }
  }

  private thrownOutside(thrown: unknown): ErrorInfo {
    const e = toError(thrown, "the connector threw a non-Error value outside update()");
    if (isError(thrown)) e.message = `the connector threw outside update(): ${e.message}`;
    return errorInfo(e);
  }

  private exitMessage(code: number): string {
    return this.live[Slot.exitCalled] === 1
      ? `the connector called process.exit(${this.live[Slot.exitCode]}); return from update() instead, or throw to fail the sync`
      : `update() never finished: it is waiting on a promise that nothing will ever settle (worker exit code ${code})`;
  }
}
