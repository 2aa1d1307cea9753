/** What a command sees of one sync run in the sync worker (sync-run.ts): its view while it runs, and its outcome. */
import type { CheckpointInfo, SyncResult } from "../sync/sync.js";
import type { LogLevel } from "../sdk/active-sync.js";
import type { HttpSummary } from "../replay/run.js";
import type { StateObject } from "../state/state.js";
import type { ErrorInfo } from "../util/thrown.js";
import type { EarlyWorker } from "./worker-start.js";

/** A sync's result (sync/sync.ts) as it crosses from the worker: its error as data, and what the run around it adds. */
export interface Outcome extends Omit<SyncResult, "error" | "operations"> {
  error?: ErrorInfo;
  /** Set when the run was stopped by a signal: the exit code to use. */
  signalExit?: number;
  /** How many of the warnings came from checking the inputs, and were printed before the run. */
  inputWarnings?: number;
  /** What --record or --replay did. */
  http?: HttpSummary;
  memory?: MemoryReport;
  /** The last checkpoint this run committed, if any; its state is `state`. */
  checkpoint?: { seq: number; time: string };
  /** The run number the destination gave this sync, once it was opened. */
  run?: number;
  /** The run's last log lines, for a crash report. */
  log?: string[];
}

/** The sync's peak memory, as the summary ends with it (Fivetran 2.9.2). */
export interface MemoryReport {
  peakHeapBytes: number;
  peakRssBytes: number;
  limitBytes: number;
}

export interface SyncRunOptions {
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
