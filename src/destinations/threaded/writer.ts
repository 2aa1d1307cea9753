/**
 * The writer thread: it owns an asynchronous destination client and applies what the
 * connector's thread sends, in order. The connector's thread blocks on the shared slots
 * at checkpoints, so every reply is posted first and signalled second.
 *
 * One destination at a time is a session. After a session's destination closes cleanly the
 * thread says it is idle and waits for the next one (spawn.ts hands it out again), because
 * starting a thread and importing a database client is the larger cost of a short sync:
 * DuckDB's client is 1.7 MB of JavaScript, compiled again in every new thread, which made
 * each of `connector verify`'s dozen syncs on DuckDB pay about half a second of CPU.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import type { AsyncDestination, CheckpointRecord } from "../destination.js";
import { Slot, type FromWriter, type FromWriterThread, type ToWriter, type ToWriterThread, type WriterData, type WriterInput } from "./protocol.js";
import type { ErrorInfo } from "../../util/thrown.js";

const errorInfo = (e: unknown): ErrorInfo => {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, stack: err.stack, ...(typeof code === "string" ? { code } : {}) };
};

const toParent = (m: FromWriterThread): void => parentPort?.postMessage(m);

class Session {
  private readonly signals: Int32Array;
  private readonly port: MessagePort;
  private destination: AsyncDestination | undefined;
  private failure: ErrorInfo | undefined;
  /** The last checkpoint this session committed: told to the thread that started the writer when it is aborted. */
  private lastCommitted: CheckpointRecord | undefined;
  private queue: Promise<void> = Promise.resolve();
  private ending = false;

  constructor(private readonly input: WriterInput) {
    this.signals = new Int32Array(input.signals);
    this.port = input.port;
    this.port.on("message", (m: ToWriter) => {
      this.queue = this.queue.then(() => this.handle(m));
    });
    // The connector's thread is gone: its end of the channel closed.
    this.port.on("close", () => this.abort());
    Atomics.store(this.signals, Slot.started, 1);
    Atomics.notify(this.signals, Slot.started);
  }

  private signal(slot: number): void {
    Atomics.add(this.signals, slot, 1);
    Atomics.notify(this.signals, slot);
  }

  private reply(m: FromWriter): void {
    this.port.postMessage(m);
    this.signal(Slot.replies);
  }

  fail(e: unknown): ErrorInfo {
    this.failure ??= errorInfo(this.destination?.describeError ? this.destination.describeError(e) : e);
    Atomics.store(this.signals, Slot.failed, 1);
    return this.failure;
  }

  /** Tells the connector's thread that this writer is gone, so that it stops waiting. */
  gone(): void {
    Atomics.store(this.signals, Slot.gone, 1);
    Atomics.notify(this.signals, Slot.replies);
    Atomics.notify(this.signals, Slot.done);
  }

  private async handle(m: ToWriter): Promise<void> {
    const destination = this.destination;
    switch (m.t) {
      case "open":
        let mod: { createDestination(options: unknown): AsyncDestination };
        try {
          mod = (await import(this.input.module)) as typeof mod;
        } catch (e) {
          return this.reply({ t: "unloadable", error: this.fail(e) });
        }
        try {
          this.destination = mod.createDestination(this.input.options);
          this.reply({ t: "opened", catalog: await this.destination.open() });
        } catch (e) {
          this.reply({ t: "error", error: this.fail(e) });
        }
        return;
      case "write":
        try {
          if (!this.failure) await destination!.write(m.batch);
        } catch (e) {
          this.fail(e);
        }
        this.signal(Slot.done);
        return;
      case "commit":
        if (this.failure) return this.reply({ t: "error", error: this.failure });
        try {
          const result = await destination!.commit(m.checkpoint);
          if (m.checkpoint) this.lastCommitted = m.checkpoint;
          this.reply({ t: "committed", result });
        } catch (e) {
          this.reply({ t: "error", error: this.fail(e) });
        }
        return;
      case "probe":
        if (this.failure) return this.reply({ t: "error", error: this.failure });
        try {
          this.reply({ t: "probed", unsafe: await destination!.holdsUnsafeIntegers(m.table, m.column) });
        } catch (e) {
          this.reply({ t: "error", error: this.fail(e) });
        }
        return;
      case "finish":
        if (this.failure) return this.reply({ t: "error", error: this.failure });
        try {
          this.reply({ t: "finished", result: await destination!.finish() });
        } catch (e) {
          this.reply({ t: "error", error: this.fail(e) });
        }
        return;
      case "failure":
        this.reply({ t: "error", error: this.failure ?? { name: "Error", message: "the destination's writer reported no error" } });
        return;
      case "rollback":
        try {
          await destination?.rollback();
          this.reply({ t: "rolledBack" });
        } catch (e) {
          this.reply({ t: "error", error: errorInfo(e) });
        }
        return;
      case "snapshot":
        try {
          this.reply({ t: "snapshot", ...(destination?.snapshot ? { tables: await destination.snapshot() } : {}) });
        } catch {
          // Read back another way: the caller closes the destination and opens the warehouse itself.
          this.reply({ t: "snapshot" });
        }
        return;
      case "close": {
        this.ending = true;
        try {
          await destination?.close();
        } catch (e) {
          this.reply({ t: "error", error: errorInfo(e) });
          this.port.close();
          return;
        }
        // A writer whose database closed cleanly holds nothing open: it may serve the next destination (otherwise it ends).
        // It says so before it acknowledges the close, so the next destination of the thread that closed this one finds it idle.
        idle();
        this.reply({ t: "closed" });
        this.port.close();
        return;
      }
    }
  }

  /**
   * From the thread that started this writer, when the thread using it was stopped from outside
   * (or when that thread is gone: its end of the channel closes): finish the task in flight,
   * discard what is not committed, close the database, end. The last commit may never have
   * reached the stopped thread, which persists the state only on that acknowledgement: it is
   * sent to the thread that started this writer instead.
   */
  abort(): void {
    if (this.ending) return;
    this.ending = true;
    this.queue = this.queue.then(async () => {
      try {
        await this.destination?.rollback();
      } catch {
        // The transaction goes with the connection.
      }
      try {
        await this.destination?.close();
      } finally {
        this.port.close();
        toParent({ t: "aborted", committed: this.lastCommitted });
        process.exit(0);
      }
    });
  }
}

let current: Session | undefined;

function begin(input: WriterInput): void {
  current = new Session(input);
  // While a session runs, its port keeps this thread alive; the parent's port must not.
  parentPort?.unref();
}

const { input: first, control } = workerData as WriterData;

function idle(): void {
  current = undefined;
  // Kept alive for the next session; the thread that started this writer unrefs it, so an idle writer never holds a process open.
  parentPort?.ref();
  control.postMessage({ t: "idle" });
}

parentPort?.on("message", (m: ToWriterThread) => {
  if (m.t === "session") begin(m.input);
  else if (m.t === "abort") {
    if (current) current.abort();
    else {
      toParent({ t: "aborted" });
      process.exit(0);
    }
  }
});

process.on("exit", () => current?.gone());
const crash = (e: unknown): void => {
  current?.fail(e);
  current?.gone();
  process.exit(1);
};
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

begin(first);
