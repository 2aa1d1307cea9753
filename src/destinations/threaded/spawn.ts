/**
 * Who starts a destination's writer thread. A writer must never be terminated while its
 * database client has work in flight (DuckDB's native client aborts the whole process), so
 * it must not be a child of a thread that may be stopped from outside, as the workers of
 * `connector debug` and `connector verify` are when a connector never gives control back.
 * Those workers ask the main thread to start their writers (`WriterHost`), which stops each
 * one gently (roll back, close) after the worker itself has been stopped. Elsewhere the
 * writer is started by the thread that uses it.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { CheckpointRecord } from "../destination.js";
import { errorInfo, toError, type ErrorInfo } from "../../util/thrown.js";
import { Slot, type FromWriterThread, type ToWriterThread, type WriterData, type WriterInput } from "./protocol.js";

export interface SpawnedWriter {
  port: MessagePort;
  /** Why the writer thread failed before its own code ran (writer.ts or what it imports could not load), once the `gone` slot says it is gone. */
  failure(): ErrorInfo | undefined;
  /** The destination is done with its writer: `clean` when its database closed cleanly, so the writer may serve the next one; otherwise it is ended. */
  release(clean: boolean): void;
}

type Spawner = (module: string, options: unknown, signals: SharedArrayBuffer) => SpawnedWriter;

const writerUrl = new URL("./writer.js", import.meta.url);

/**
 * Writer threads whose last destination closed cleanly, ready for the next one (writer.ts says
 * why). Syncs run one after another (verify's dozen, a test's runSync calls), so one idle
 * writer is kept; a second one is told to end.
 */
class IdleWriters {
  private readonly idle: Worker[] = [];
  /** Each busy writer's session: its signals, and the port its failure is told on. */
  private readonly sessions = new Map<Worker, { signals: Int32Array; status: MessagePort }>();
  /** Each writer's own channel, on which it says that it is idle. */
  private readonly controls = new Map<Worker, MessagePort>();

  /** A writer for this input: an idle one, or a new thread. `started` runs once for a new thread. */
  take(input: WriterInput, status: MessagePort, started: (worker: Worker) => void): Worker {
    this.collect();
    const session = { signals: new Int32Array(input.signals), status };
    const reused = this.idle.pop();
    if (reused) {
      this.sessions.set(reused, session);
      reused.postMessage({ t: "session", input } satisfies ToWriterThread, [input.port]);
      return reused;
    }
    const { port1: control, port2 } = new MessageChannel();
    const worker = new Worker(writerUrl, { workerData: { input, control: port2 } satisfies WriterData, transferList: [input.port, port2] });
    this.sessions.set(worker, session);
    this.controls.set(worker, control);
    control.on("message", () => this.rest(worker));
    control.unref();
    // A thread that fails before its own code runs says why only here. Unheard, the error would end the
    // process; and a destination waiting on the writer must learn that it is gone, with the cause.
    worker.on("error", (e) => this.lost(worker, e));
    worker.once("exit", () => {
      this.lost(worker);
      this.forget(worker);
      this.controls.delete(worker);
      control.close();
    });
    started(worker);
    return worker;
  }

  /**
   * Takes in, at once, every writer that has said it is idle: a writer says so before it acknowledges
   * its destination's close, so the one just closed is reused, never passed over for a new thread
   * because its message had not been handled yet (a writer may hold what verify reads next: duckdb/held.ts).
   */
  private collect(): void {
    for (const [worker, control] of this.controls) while (receiveMessageOnPort(control)) this.rest(worker);
  }

  private rest(worker: Worker): void {
    this.sessions.delete(worker);
    // An idle writer never holds the process open.
    worker.unref();
    if (this.idle.length === 0) this.idle.push(worker);
    else worker.postMessage({ t: "abort" } satisfies ToWriterThread);
  }

  private lost(worker: Worker, e?: unknown): void {
    const session = this.sessions.get(worker);
    if (!session) return;
    this.sessions.delete(worker);
    if (e !== undefined) session.status.postMessage(errorInfo(toError(e)));
    Atomics.store(session.signals, Slot.gone, 1);
    for (const slot of [Slot.started, Slot.replies, Slot.done]) Atomics.notify(session.signals, slot);
  }

  forget(worker: Worker): void {
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
  }
}

/** Starts the writer in this thread. */
const ownWriters = new IdleWriters();
const local: Spawner = (module, options, signals) => {
  const { port1, port2 } = new MessageChannel();
  const status = new MessageChannel();
  const worker = ownWriters.take({ module, options, signals, port: port2 }, status.port1, () => {});
  worker.unref();
  // The writer ends by itself when its database did not close cleanly; an unclosed writer would keep the thread alive.
  return {
    port: port1,
    failure: () => receiveMessageOnPort(status.port2)?.message as ErrorInfo | undefined,
    release: (clean) => {
      status.port2.close();
      if (clean) return;
      ownWriters.forget(worker);
      void worker.terminate();
    },
  };
};

let spawner: Spawner = local;

export function spawnWriter(module: string, options: unknown, signals: SharedArrayBuffer): SpawnedWriter {
  return spawner(module, options, signals);
}

interface SpawnRequest {
  t: "spawn-writer";
  module: string;
  options: unknown;
  signals: SharedArrayBuffer;
}

/**
 * In a worker the main thread may stop: writers are started by the main thread. `control`
 * is a port to the main thread's WriterHost; `flag` is an Int32Array the host signals on.
 */
export function spawnWritersThrough(control: MessagePort, flag: SharedArrayBuffer): void {
  const signal = new Int32Array(flag);
  spawner = (module, options, signals) => {
    const seen = Atomics.load(signal, 0);
    control.postMessage({ t: "spawn-writer", module, options, signals } satisfies SpawnRequest);
    while (Atomics.load(signal, 0) === seen) Atomics.wait(signal, 0, seen, 1000);
    const got = receiveMessageOnPort(control);
    if (!got) throw new Error("the main thread started no writer thread");
    const { port, status } = got.message as { port: MessagePort; status: MessagePort };
    return { port, failure: () => receiveMessageOnPort(status)?.message as ErrorInfo | undefined, release: () => status.close() };
  };
}

/** The main thread's side: starts the writers a worker asks for, and stops them gently. */
export class WriterHost {
  private readonly writers = new Set<Worker>();
  private readonly pool = new IdleWriters();
  /** The last checkpoint each writer committed, as it said when it ended. */
  private readonly committed: CheckpointRecord[] = [];
  readonly flag = new SharedArrayBuffer(4);
  readonly port: MessagePort;
  private readonly own: MessagePort;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.own = port1;
    this.port = port2;
    const signal = new Int32Array(this.flag);
    this.own.on("message", (m: SpawnRequest) => {
      if (m.t !== "spawn-writer") return;
      const { port1: mine, port2: theirs } = new MessageChannel();
      const status = new MessageChannel();
      const worker = this.pool.take({ module: m.module, options: m.options, signals: m.signals, port: mine }, status.port1, (started) => {
        this.writers.add(started);
        started.on("message", (w: FromWriterThread) => {
          if (w.t === "aborted" && w.committed) this.committed.push(w.committed);
        });
        started.once("exit", () => this.writers.delete(started));
      });
      // Busy again: a writer with a destination keeps the process alive until it is closed or shut down.
      worker.ref();
      this.own.postMessage({ port: theirs, status: status.port2 }, [theirs, status.port2]);
      Atomics.add(signal, 0, 1);
      Atomics.notify(signal, 0);
    });
    this.own.unref();
  }

  /**
   * Ends every writer: each rolls back what it has not committed and closes its database,
   * once the task in flight is done. Resolves when they have all exited, with the last
   * checkpoint each one committed: the stopped thread may never have seen its acknowledgement.
   */
  async shutdown(ms = 30_000): Promise<CheckpointRecord[]> {
    const exits = [...this.writers].map(
      (w) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => void w.terminate(), ms);
          w.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          w.postMessage({ t: "abort" } satisfies ToWriterThread);
        }),
    );
    await Promise.all(exits);
    this.own.close();
    return this.committed;
  }
}
