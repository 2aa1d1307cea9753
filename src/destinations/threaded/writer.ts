/**
 * The writer thread: it owns an asynchronous destination client and applies what the
 * connector's thread sends, in order. The connector's thread blocks on the shared slots
 * at checkpoints, so every reply is posted first and signalled second.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { AsyncDestination } from "../destination.js";
import { Slot, type ErrorInfo, type FromWriter, type ToWriter, type WriterInput } from "./protocol.js";

const input = workerData as WriterInput;
const signals = new Int32Array(input.signals);
const port = input.port;

const errorInfo = (e: unknown): ErrorInfo => {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, stack: err.stack, ...(typeof code === "string" ? { code } : {}) };
};

function signal(slot: number): void {
  Atomics.add(signals, slot, 1);
  Atomics.notify(signals, slot);
}

function reply(m: FromWriter): void {
  port.postMessage(m);
  signal(Slot.replies);
}

let destination: AsyncDestination | undefined;
let failure: ErrorInfo | undefined;

function fail(e: unknown): ErrorInfo {
  failure ??= errorInfo(destination?.describeError ? destination.describeError(e) : e);
  Atomics.store(signals, Slot.failed, 1);
  return failure;
}

async function handle(m: ToWriter): Promise<void> {
  switch (m.t) {
    case "open":
      try {
        const mod = (await import(input.module)) as { createDestination(options: unknown): AsyncDestination };
        destination = mod.createDestination(input.options);
        reply({ t: "opened", catalog: await destination.open() });
      } catch (e) {
        reply({ t: "error", error: fail(e) });
      }
      return;
    case "write":
      try {
        if (!failure) await destination!.write(m.batch);
      } catch (e) {
        fail(e);
      }
      signal(Slot.done);
      return;
    case "commit":
      if (failure) return reply({ t: "error", error: failure });
      try {
        reply({ t: "committed", result: await destination!.commit(m.checkpoint) });
      } catch (e) {
        reply({ t: "error", error: fail(e) });
      }
      return;
    case "probe":
      if (failure) return reply({ t: "error", error: failure });
      try {
        reply({ t: "probed", unsafe: await destination!.holdsUnsafeIntegers(m.table, m.column) });
      } catch (e) {
        reply({ t: "error", error: fail(e) });
      }
      return;
    case "finish":
      if (failure) return reply({ t: "error", error: failure });
      try {
        reply({ t: "finished", result: await destination!.finish() });
      } catch (e) {
        reply({ t: "error", error: fail(e) });
      }
      return;
    case "failure":
      reply({ t: "error", error: failure ?? { name: "Error", message: "the destination's writer reported no error" } });
      return;
    case "rollback":
      try {
        await destination?.rollback();
        reply({ t: "rolledBack" });
      } catch (e) {
        reply({ t: "error", error: errorInfo(e) });
      }
      return;
    case "close":
      try {
        await destination?.close();
        reply({ t: "closed" });
      } catch (e) {
        reply({ t: "error", error: errorInfo(e) });
      }
      port.close();
      return;
  }
}

let queue: Promise<void> = Promise.resolve();
port.on("message", (m: ToWriter) => {
  queue = queue.then(() => handle(m));
});

// From the thread that started this writer, when the thread using it was stopped from outside:
// finish the task in flight, discard what is not committed, close the database, end.
parentPort?.on("message", (m: { t?: string }) => {
  if (m.t !== "abort") return;
  queue = queue.then(async () => {
    try {
      await destination?.rollback();
    } catch {
      // The transaction goes with the connection.
    }
    try {
      await destination?.close();
    } finally {
      port.close();
      process.exit(0);
    }
  });
});
parentPort?.unref();

const gone = (): void => {
  Atomics.store(signals, Slot.gone, 1);
  Atomics.notify(signals, Slot.replies);
  Atomics.notify(signals, Slot.done);
};
process.on("exit", gone);
process.on("uncaughtException", (e) => {
  fail(e);
  gone();
  process.exit(1);
});
process.on("unhandledRejection", (e) => {
  fail(e);
  gone();
  process.exit(1);
});
