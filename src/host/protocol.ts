/** What the main thread and the sync worker of `connector debug` send each other; no runtime imports, so the main thread stays light. */
import type { MessagePort } from "node:worker_threads";
import type { DestinationSpec } from "../destinations/registry.js";
import type { CheckpointInfo, SyncResult } from "../sync/sync.js";
import type { Naming } from "../normalize/naming.js";
import type { SchemaChangeNote } from "../normalize/catalog.js";
import type { HttpSpec, HttpSummary } from "../replay/run.js";
import type { LogLevel } from "../sdk/active-sync.js";
import type { StateObject } from "../state/state.js";
import type { ErrorInfo } from "../util/thrown.js";
import type { CheckResult, ScratchTarget, VerifyReport } from "../verify/verify.js";

export interface WorkerInput {
  connectorFile: string;
  configuration: unknown;
  configurationFile?: string;
  state: StateObject;
  /** None when the destination keeps the state (connector run into PostgreSQL). */
  stateFile?: string;
  resetHint: string;
  destination: DestinationSpec;
  naming: Naming;
  liveCounts: SharedArrayBuffer;
  /** --record or --replay: the cassette to record into or serve from. */
  http?: HttpSpec;
  /** Where to ask the main thread to start destination writer threads (destinations/threaded/spawn.ts). */
  writers?: WriterChannel;
}

export interface WriterChannel {
  port: MessagePort;
  flag: SharedArrayBuffer;
}

export type WorkerMessage =
  /** The configuration's secret values (schema marks included), sent before anything that could print them. */
  | { t: "secrets"; values: string[] }
  /** `state`: the state the sync starts from, when the destination keeps it (so the main thread could not read it). */
  | { t: "ready"; warnings: string[]; state?: StateObject }
  | { t: "usage-error"; message: string }
  /** The destination is open: the run's number, and the last checkpoint it held before this run. */
  | { t: "opened"; run: number; lastSeq: number }
  | { t: "log"; level: LogLevel; message: string }
  /** What the connector wrote to process.stdout or process.stderr (console.*): on the same port as log lines, so the two keep their order. */
  | { t: "output"; stream: "stdout" | "stderr"; text: string }
  | { t: "warning"; message: string }
  | { t: "schema-change"; change: SchemaChangeNote }
  | { t: "checkpoint"; info: CheckpointInfo }
  /** The result without its warnings and schema changes: each was sent once already, in "ready", "warning" or "schema-change". */
  | { t: "done"; result: Omit<SyncResult, "error" | "warnings" | "schemaChanges"> & { error?: ErrorInfo; http?: HttpSummary } };


/** What the main thread of `connector verify` gives its worker. */
export interface VerifyWorkerInput {
  connectorFile: string;
  configuration: unknown;
  trials?: number;
  seed: number;
  naming: Naming;
  /** The scratch folder, made and finally removed by the main thread. */
  scratch: string;
  timeoutMs?: number;
  /** Serve every run's HTTP from this cassette (connector verify --replay). */
  replay?: { dir: string; label: string };
  /** The kind of scratch warehouse, or scratch schemas in PostgreSQL. */
  destination: ScratchTarget;
  writers?: WriterChannel;
  /** Counted up by the worker while its event loop turns (heartbeat.ts). */
  heartbeat?: SharedArrayBuffer;
}

export type VerifyWorkerMessage =
  | { t: "ready" }
  | { t: "secrets"; values: string[] }
  | { t: "usage-error"; message: string }
  | { t: "progress"; message: string }
  | { t: "run"; running: boolean }
  | { t: "check"; check: CheckResult }
  | { t: "done"; report: VerifyReport };
