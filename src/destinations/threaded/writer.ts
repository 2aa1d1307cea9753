/**
 * The writer thread: it owns an asynchronous destination client and applies what the
 * connector's thread sends, in order. The connector's thread blocks on the shared slots
 * at checkpoints, so every reply is posted first and signalled second.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { AsyncDestination, CheckpointRecord } from "../destination.js";
import { Slot, type FromWriter, type ToWriter, type WriterInput } from "./protocol.js";
import type { ErrorInfo } from "../../util/thrown.js";

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
/** The last checkpoint this writer committed: told to the thread that started it when it is aborted. */
let lastCommitted: CheckpointRecord | undefined;

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
        const result = await destination!.commit(m.checkpoint);
        if (m.checkpoint) lastCommitted = m.checkpoint;
        reply({ t: "committed", result });
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
      ending = true;
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

// From the thread that started this writer, when the thread using it was stopped from outside
// (or when that thread is gone: its end of the channel closes): finish the task in flight,
// discard what is not committed, close the database, end. The last commit may never have
// reached the stopped thread, which persists the state only on that acknowledgement: it is
// sent to the thread that started this writer instead.
let ending = false;
function abort(): void {
  if (ending) return;
  ending = true;
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
      parentPort?.postMessage({ t: "aborted", committed: lastCommitted });
      process.exit(0);
    }
  });
}
parentPort?.on("message", (m: { t?: string }) => {
  if (m.t === "abort") abort();
});
port.on("close", abort);
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
