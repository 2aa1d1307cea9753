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
import type { WriterInput } from "./protocol.js";

export interface SpawnedWriter {
  port: MessagePort;
  /** Ends the writer without waiting, when it was started here. */
  release(): void;
}

type Spawner = (module: string, options: unknown, signals: SharedArrayBuffer) => SpawnedWriter;

const writerUrl = new URL("./writer.js", import.meta.url);

function startWriter(module: string, options: unknown, signals: SharedArrayBuffer, port: MessagePort): Worker {
  const input: WriterInput = { module, options, signals, port };
  return new Worker(writerUrl, { workerData: input, transferList: [port] });
}

/** Starts the writer in this thread. */
const local: Spawner = (module, options, signals) => {
  const { port1, port2 } = new MessageChannel();
  const worker = startWriter(module, options, signals, port2);
  worker.unref();
  // The writer ends by itself once closed; an unclosed writer would keep the thread alive.
  return { port: port1, release: () => void worker.terminate() };
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
    return { port: (got.message as { port: MessagePort }).port, release: () => {} };
  };
}

/** The main thread's side: starts the writers a worker asks for, and stops them gently. */
export class WriterHost {
  private readonly writers = new Set<Worker>();
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
      const worker = startWriter(m.module, m.options, m.signals, mine);
      this.writers.add(worker);
      worker.on("message", (w: { t?: string; committed?: CheckpointRecord }) => {
        if (w.t === "aborted" && w.committed) this.committed.push(w.committed);
      });
      worker.once("exit", () => this.writers.delete(worker));
      this.own.postMessage({ port: theirs }, [theirs]);
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
          w.postMessage({ t: "abort" });
        }),
    );
    await Promise.all(exits);
    this.own.close();
    return this.committed;
  }
}
