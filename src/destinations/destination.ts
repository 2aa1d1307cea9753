/**
 * The load layer's contract. A destination stores what the normalizer decided: schema
 * changes as values, rows as arrays of canonical stored values in catalog order, and a
 * checkpoint record that commits together with the rows before it.
 *
 * Two shapes exist, because op.* is synchronous and some database clients are not:
 * - `Destination` is called inline, on the connector's thread (SQLite).
 * - `AsyncDestination` runs in a writer thread behind a bounded channel
 *   (`threaded/`), which presents it to the engine as a `Destination` (DuckDB, PostgreSQL).
 */
import type { NameLimits } from "../normalize/limits.js";
import type { LogicalType, Stored } from "../normalize/types.js";
import type { ColumnSpec, TableSpec, SchemaChange, CheckpointRecord, StoredCatalog, StoredSecret } from "../normalize/schema-change.js";

// The normalizer's decisions, which every destination carries out.
export type { LogicalType, Stored, ColumnSpec, TableSpec, SchemaChange, CheckpointRecord, StoredCatalog, StoredSecret };

/** What a commit reports back: updates that matched no row, per table. */
export interface CommitResult {
  unmatchedUpdates: Record<string, number>;
}

/**
 * Deferred truncate (Fivetran 3.1): a table's first truncate gives it `_connector_generation`, 0 in
 * every row it holds; from then on every write stamps the row with its generation, where
 * generation = run × TRUNCATES_PER_RUN + the truncates so far in this run. A table never truncated
 * keeps exactly Fivetran's columns. A truncate only records a pending point (table, current
 * generation) in the open transaction; finish() marks the rows written at or before each pending
 * point deleted, once the sync succeeded.
 */
export const TRUNCATES_PER_RUN = 2 ** 20;

export const generation = (run: number, truncates: number): number => run * TRUNCATES_PER_RUN + truncates;

/** What finish() did: rows each table's pending truncates marked deleted. */
export interface FinishResult {
  truncated: Record<string, number>;
}

/**
 * What a destination can hold, declared once by its module (`destinations/<kind>/index.ts`) and
 * enforced by normalize (normalize/limits.ts) before any schema change reaches the destination.
 */
export interface DestinationCapabilities extends NameLimits {
  /**
   * The destination keeps the connector's state itself, written by commit(checkpoint) in the
   * same transaction as the rows, and returned by open() (PostgreSQL). No state file is used.
   */
  stateInDestination?: boolean;
}

/**
 * A destination's own failure, raised by the destination from its database client's error (a
 * full disk, a broken constraint, a lost connection): `subject` says which destination failed
 * ("the warehouse <file>", "the duckdb destination <url>"), the message says why in the client's
 * words. The sync adds the operation (sync/sync.ts explain), so nothing above destinations/
 * reads a client's error codes.
 */
export class DestinationError extends Error {
  override name = "DestinationError";
  readonly subject: string;
  /** The client's error code (SQLITE_FULL, 23505, …), when it has one. */
  readonly code?: string;
  constructor(message: string, o: { subject: string; code?: string | undefined }) {
    super(message);
    this.subject = o.subject;
    if (o.code !== undefined) this.code = o.code;
  }
}

/** One write, as the channel carries it to an asynchronous destination. Values are in catalog order. */
export type WriteOp =
  | { op: "upsert"; table: string; row: Stored[]; synced: string }
  | { op: "update"; table: string; columns: string[]; values: Stored[]; key: Stored[]; synced: string }
  | { op: "delete"; table: string; key: Stored[]; synced: string }
  | { op: "truncate"; table: string }
  | { op: "schema"; change: SchemaChange };

/** One table as a reader gives it back (reader.ts tables() and rows()): its primary key, and every row ordered by it, with the system columns. */
export interface TableRows {
  table: string;
  primaryKey: string[];
  rows: Record<string, unknown>[];
}

/** A synchronous destination, called inline for every operation. */
export interface Destination {
  readonly kind: string;
  /** Where the data goes, for messages: a file path, or a URL without its password. */
  readonly location: string;
  readonly capabilities: DestinationCapabilities;
  /**
   * Resolves once the destination can take open(): a destination written by another thread waits for it
   * to start, and throws a UsageError when it cannot (open() would block on a thread that never answers).
   */
  ready?(): Promise<void>;
  /** Reads the catalog and opens the first transaction. */
  open(): StoredCatalog;
  apply(change: SchemaChange): void;
  upsert(table: string, row: Stored[], synced: string): void;
  update(table: string, columns: string[], values: Stored[], key: Stored[], synced: string): void;
  delete(table: string, key: Stored[], synced: string): void;
  /** Records a pending truncate point (table, current generation) in the open transaction; marks nothing yet. */
  truncate(table: string): void;
  /** Whether an integer column holds a value beyond ±(2^53 − 1), which a DOUBLE cannot hold exactly. */
  holdsUnsafeIntegers(table: string, column: string): boolean;
  /**
   * The sync succeeded: applies every pending truncate (this run's and those committed by earlier failed
   * runs), removes them, and records this run, all in the open transaction, which the final commit commits.
   */
  finish(): FinishResult;
  /**
   * Commits everything since the last commit, with the checkpoint row when there is one.
   * `committed` runs once the commit is durable: at once for a synchronous destination; for a
   * pipelined one, at a later call, and at the latest before the next checkpoint's commit or
   * when a commit without a checkpoint (the sync's last) returns.
   */
  commit(checkpoint: CheckpointRecord | null, committed: (result: CommitResult) => void): void;
  /** Discards everything since the last commit. */
  rollback(): void;
  /**
   * Optional: what the destination holds once everything since the last commit is discarded, every table in
   * name order, read through its own open connection, just before close(); so a caller that reads each warehouse
   * back (verify) needs no second client of the file. Undefined when it cannot say (never opened, or a
   * destination that does not read itself): the caller closes it and reads it with openReader.
   */
  snapshot?(): TableRows[] | undefined;
  close(): void;
}

/** An asynchronous destination, run in a writer thread; the same steps, batched. */
export interface AsyncDestination {
  readonly kind: string;
  readonly location: string;
  open(): Promise<StoredCatalog>;
  /** Applies writes in order. */
  write(batch: WriteOp[]): Promise<void>;
  holdsUnsafeIntegers(table: string, column: string): Promise<boolean>;
  finish(): Promise<FinishResult>;
  commit(checkpoint: CheckpointRecord | null): Promise<CommitResult>;
  /** Rewords a client error for the user (a dropped connection, say); the error itself when there is nothing to add. */
  describeError?(e: unknown): unknown;
  rollback(): Promise<void>;
  /** Destination.snapshot(), in the writer thread: discards everything since the last commit, then reads every table. */
  snapshot?(): Promise<TableRows[]>;
  close(): Promise<void>;
}
