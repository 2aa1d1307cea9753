/** What the connector's thread and a destination's writer thread send each other. */
import type { MessagePort } from "node:worker_threads";
import type { CheckpointRecord, CommitResult, FinishResult, StoredCatalog, TableRows, WriteOp } from "../destination.js";
import type { ErrorInfo } from "../../util/thrown.js";

/** The shared Int32Array's slots. */
export const Slot = {
  /** Batches the writer has finished, successfully or not. */
  done: 0,
  /** Replies the writer has posted (open, commit, finish, rollback, close). */
  replies: 1,
  /** 1 once a write failed: every later request fails with that error. */
  failed: 2,
  /** 1 once the writer thread is gone. */
  gone: 3,
  /** 1 once the writer runs this session: a thread that fails before (its own files cannot load) is reported by the thread that started it. */
  started: 4,
} as const;
export const SLOTS = 5;

export interface WriterInput {
  /** The module that exports `createDestination(options)`. */
  module: string;
  options: unknown;
  signals: SharedArrayBuffer;
  port: MessagePort;
}

/** What a writer thread starts with: its first session, and the channel on which it says it is idle (`{ t: "idle" }`). */
export interface WriterData {
  input: WriterInput;
  control: MessagePort;
}

/**
 * Between the thread that started a writer and the writer itself (its parentPort): a new
 * destination for a writer whose last one closed cleanly (it said so on its control port), an order to end, and
 * the writer's answers.
 */
export type ToWriterThread = { t: "session"; input: WriterInput } | { t: "abort" };
export type FromWriterThread = { t: "aborted"; committed?: CheckpointRecord };

export type ToWriter =
  | { t: "open" }
  | { t: "write"; batch: WriteOp[] }
  | { t: "commit"; checkpoint: CheckpointRecord | null }
  | { t: "probe"; table: string; column: string }
  | { t: "finish" }
  | { t: "rollback" }
  /** Rolls back, then reads every table through the writer's own connection (Destination.snapshot). */
  | { t: "snapshot" }
  | { t: "close" }
  /** After the failed slot is set: asks for the error that set it. */
  | { t: "failure" };

export type FromWriter =
  | { t: "opened"; catalog: StoredCatalog }
  | { t: "committed"; result: CommitResult }
  | { t: "probed"; unsafe: boolean }
  | { t: "finished"; result: FinishResult }
  | { t: "rolledBack" }
  /** No tables: the destination was never opened, cannot read itself, or the read failed; the caller reads the warehouse another way. */
  | { t: "snapshot"; tables?: TableRows[] }
  | { t: "closed" }
  | { t: "error"; error: ErrorInfo }
  /** The destination's module (its database client) could not be imported. */
  | { t: "unloadable"; error: ErrorInfo };
