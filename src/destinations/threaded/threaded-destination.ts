/**
 * Presents an asynchronous destination (DuckDB, PostgreSQL) to the engine as a synchronous
 * one. Writes are batched and posted to a writer thread; at most MAX_IN_FLIGHT batches are
 * outstanding, so memory stays flat however fast the connector emits. At a checkpoint the
 * connector's thread blocks (Atomics.wait) until the writer has committed the rows and the
 * checkpoint row, so nothing downstream of commit() runs before they are durable.
 */
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { DestinationError, type CheckpointRecord, type CommitResult, type Destination, type DestinationCapabilities, type FinishResult, type SchemaChange, type Stored, type StoredCatalog, type TableRows, type WriteOp } from "../destination.js";
import { UsageError } from "../../util/errors.js";
import { Slot, SLOTS, type FromWriter, type ToWriter } from "./protocol.js";
import type { ErrorInfo } from "../../util/thrown.js";
import { spawnWriter, type SpawnedWriter } from "./spawn.js";

const BATCH_OPS = 2048;
const MAX_IN_FLIGHT = 8;
/** How long one Atomics.wait lasts before the writer's liveness is checked again. */
const WAIT_SLICE_MS = 1000;

/** Atomics.waitAsync (Node 16 and later), which the ES2023 library in tsconfig does not declare. */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, index: number, value: number): { value: Promise<string> | string } }).waitAsync;

export interface ThreadedOptions {
  kind: string;
  location: string;
  capabilities: DestinationCapabilities;
  /** The module, loaded in the writer thread, that exports `createDestination(options)`. */
  module: string;
  options: unknown;
}

export class ThreadedDestination implements Destination {
  readonly kind: string;
  readonly location: string;
  readonly capabilities: DestinationCapabilities;
  private readonly writer: SpawnedWriter;
  private readonly port: MessagePort;
  private readonly signals = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
  private batch: WriteOp[] = [];
  private posted = 0;
  private closed = false;
  /** What to do with each reply still to come, in the order the requests were posted. */
  private handlers: ((m: FromWriter) => void)[] = [];
  private consumed = 0;
  /** A checkpoint's commit posted and not yet acknowledged: at most one, so the state lags the data by at most one checkpoint. */
  private committing = false;
  private failure: Error | undefined;

  constructor(o: ThreadedOptions) {
    this.kind = o.kind;
    this.location = o.location;
    this.capabilities = o.capabilities;
    this.writer = spawnWriter(o.module, o.options, this.signals.buffer as SharedArrayBuffer);
    this.port = this.writer.port;
    // Replies are also handled when the connector's thread is idle (awaiting its source), so a
    // checkpoint's state is persisted soon after its commit, not only at the next operation.
    this.port.on("message", (m: FromWriter) => this.dispatch(m));
    this.port.unref();
  }

  /**
   * Waits until the writer thread runs. One that fails first (writer.ts or what it imports cannot load) is
   * heard of only by the thread that started it, through its event loop, which the blocking calls would stop.
   */
  async ready(): Promise<void> {
    const s = this.signals;
    // A pending Atomics.waitAsync does not keep the process alive, and a writer thread is unreferenced.
    const alive = setInterval(() => {}, 60_000);
    try {
      while (Atomics.load(s, Slot.started) === 0 && Atomics.load(s, Slot.gone) === 0) await waitAsync(s, Slot.started, 0).value;
    } finally {
      clearInterval(alive);
    }
    if (Atomics.load(s, Slot.started) === 0) {
      const cause = this.writer.failure()?.message ?? "it ended before it started";
      throw new UsageError(`Cannot start the ${this.capabilities.label} destination's writer thread: ${cause}`);
    }
  }

  open(): StoredCatalog {
    const m = this.request({ t: "open" });
    // Its database client cannot be imported: a broken installation, not a failed sync; nothing was written.
    if (m.t === "unloadable") throw new UsageError(`Cannot load the ${this.capabilities.label} destination's database client: ${m.error.message.split("\n")[0]}`);
    // A destination that cannot be used as given (a lock held elsewhere, bad credentials) is a usage error: exit 2.
    if (m.t === "error" && m.error.name === "UsageError") throw new UsageError(m.error.message);
    if (m.t !== "opened") throw this.unexpected(m);
    return m.catalog;
  }

  apply(change: SchemaChange): void {
    this.push({ op: "schema", change });
  }

  upsert(table: string, row: Stored[], synced: string): void {
    this.push({ op: "upsert", table, row: row.slice(), synced });
  }

  update(table: string, columns: string[], values: Stored[], key: Stored[], synced: string): void {
    this.push({ op: "update", table, columns, values, key, synced });
  }

  delete(table: string, key: Stored[], synced: string): void {
    this.push({ op: "delete", table, key, synced });
  }

  truncate(table: string): void {
    this.push({ op: "truncate", table });
  }

  holdsUnsafeIntegers(table: string, column: string): boolean {
    this.flush();
    const m = this.request({ t: "probe", table, column });
    if (m.t !== "probed") throw this.unexpected(m);
    return m.unsafe;
  }

  finish(): FinishResult {
    this.flush();
    const m = this.request({ t: "finish" });
    if (m.t !== "finished") throw this.unexpected(m);
    return m.result;
  }

  /**
   * A checkpoint's commit is pipelined: it is posted, and the connector goes on while the
   * writer commits; `committed` runs when the acknowledgement is read (at a later operation,
   * or at the latest at the next checkpoint), and only then is the state persisted. The
   * final commit (no checkpoint) waits.
   */
  commit(checkpoint: CheckpointRecord | null, committed: (r: CommitResult) => void): void {
    this.flush();
    if (checkpoint === null) {
      const m = this.request({ t: "commit", checkpoint });
      if (m.t !== "committed") throw this.unexpected(m);
      committed(m.result);
      return;
    }
    while (this.committing) this.waitForReply();
    this.throwIfFailed();
    this.committing = true;
    this.ask({ t: "commit", checkpoint }, (m) => {
      this.committing = false;
      if (m.t === "committed") committed(m.result);
      else this.failure ??= m.t === "error" ? this.error(m.error) : this.unexpected(m);
    });
  }

  rollback(): void {
    if (this.closed) return;
    this.batch = [];
    this.failure = undefined;
    const m = this.request({ t: "rollback" });
    if (m.t === "error") throw this.error(m.error);
  }

  /** Read in the writer thread, over the connection it already holds; undefined when it cannot read (see Destination.snapshot). */
  snapshot(): TableRows[] | undefined {
    if (this.closed || Atomics.load(this.signals, Slot.gone) === 1) return undefined;
    this.batch = [];
    try {
      const m = this.request({ t: "snapshot" });
      return m.t === "snapshot" && m.tables ? m.tables.map((t) => ({ ...t, rows: t.rows.map(withBuffers) })) : undefined;
    } catch {
      return undefined;
    }
  }

  close(): void {
    if (this.closed) return;
    let clean = false;
    try {
      this.batch = [];
      if (Atomics.load(this.signals, Slot.gone) === 0) clean = this.request({ t: "close" }).t === "closed";
    } finally {
      this.closed = true;
      this.port.close();
      this.writer.release(clean);
    }
  }

  private push(op: WriteOp): void {
    this.batch.push(op);
    if (this.batch.length >= BATCH_OPS) this.flush();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private ask(m: ToWriter, handler: (m: FromWriter) => void): void {
    this.post(m);
    this.handlers.push(handler);
  }

  /** Hands every reply that has arrived to its handler, without waiting. */
  private drain(): void {
    while (Atomics.load(this.signals, Slot.replies) > this.consumed) {
      const got = receiveMessageOnPort(this.port);
      if (!got) break;
      this.dispatch(got.message as FromWriter);
    }
  }

  private dispatch(m: FromWriter): void {
    this.consumed++;
    const handler = this.handlers.shift();
    try {
      handler?.(m);
    } catch (e) {
      // Raised by the sync's own step after a commit (writing the state file): it fails the next operation.
      this.failure ??= e as Error;
    }
  }

  private waitForReply(): void {
    this.drain();
    if (this.handlers.length > 0 && Atomics.load(this.signals, Slot.replies) === this.consumed) this.waitOn(Slot.replies, this.consumed);
    this.drain();
  }

  /** Posts the open batch, then waits while too many are outstanding; a writer failure surfaces here. */
  private flush(): void {
    this.drain();
    this.throwIfFailed();
    if (this.batch.length > 0) {
      this.post({ t: "write", batch: this.batch });
      this.batch = [];
      this.posted++;
    }
    while (this.posted - Atomics.load(this.signals, Slot.done) > MAX_IN_FLIGHT) this.waitOn(Slot.done);
    if (Atomics.load(this.signals, Slot.failed) === 1) {
      const m = this.request({ t: "failure" });
      throw m.t === "error" ? this.error(m.error) : this.unexpected(m);
    }
  }

  private post(m: ToWriter): void {
    if (this.closed) throw this.error({ message: `the ${this.kind} destination is closed` });
    this.port.postMessage(m);
  }

  /** Posts a request and blocks until the writer's reply (replies to earlier requests are handled first). */
  private request(m: ToWriter): FromWriter {
    let reply: FromWriter | undefined;
    this.ask(m, (r) => (reply = r));
    while (reply === undefined) this.waitForReply();
    return reply;
  }

  private waitOn(slot: number, seen = Atomics.load(this.signals, slot)): void {
    Atomics.wait(this.signals, slot, seen, WAIT_SLICE_MS);
    if (Atomics.load(this.signals, Slot.gone) === 1 && Atomics.load(this.signals, slot) === seen) {
      const cause = this.writer.failure()?.message;
      throw this.error({ message: `the ${this.kind} destination's writer thread stopped unexpectedly${cause ? `: ${cause}` : ""}` });
    }
  }

  /** The writer's report of its client's error, as this destination's own. */
  private error(e: Pick<ErrorInfo, "message" | "code" | "stack">): DestinationError {
    const err = new DestinationError(e.message, { subject: `the ${this.kind} destination ${this.location}`, code: e.code });
    if (e.stack) err.stack = e.stack;
    return err;
  }

  private unexpected(m: FromWriter): DestinationError {
    return m.t === "error" ? this.error(m.error) : this.error({ message: `unexpected reply from the destination's writer: ${m.t}` });
  }
}

/** Bytes come through a thread's channel as a plain Uint8Array: as a Buffer again, as a reader gives them. */
function withBuffers(row: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(row)) if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return row;
}
