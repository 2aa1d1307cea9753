/**
 * The worker thread that runs one `connector debug` sync: it loads the connector and
 * runs it with runConnectorSync. The main thread keeps the terminal, the
 * signals and the clock, so it can stop a connector that never yields, and it
 * survives a connector that calls process.exit().
 */
import { parentPort, workerData } from "node:worker_threads";
import { createDestination } from "../destinations/open.js";
import { FileStateStore } from "../state/store.js";
import { spawnWritersThrough } from "../destinations/open.js";
import { loadConnector } from "../project/loader.js";
import { sampleMemory, Slot } from "../sync/live-counts.js";
import { runConnectorSync } from "../sync/run-sync.js";
import { ignoreLateOperations } from "../sync/traps.js";
import { UsageError } from "../util/errors.js";
import { configurationSecrets } from "../util/secrets.js";
import { errorInfo } from "../util/thrown.js";
import { captureStdio } from "./stdio-capture.js";
import { httpRuntime } from "../sdk/http-hooks.js";
import { FileSecretStore, httpSecretsFile } from "../project/http-secrets.js";
import type { WorkerInput, WorkerMessage } from "./protocol.js";

const post = (m: WorkerMessage): void => parentPort!.postMessage(m);

/**
 * Set once the sync has ended: what the connector prints or logs after that comes from work
 * update() did not await, which may or may not run before the worker stops. Like that work's
 * operations, its lines are dropped, so that a run says the same every time.
 */
let muted = false;
/** The listener that lets a late operation's rejection go, until the sync ends and every stray one goes. */
let strays: (...args: unknown[]) => void = () => {};

/**
 * Resolves once the main thread has received everything the connector wrote to stdout and
 * stderr, or after a second if the connector replaced or broke those streams.
 */
function flushStdio(): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    let pending = 2;
    const done = (): void => {
      if (--pending === 0) {
        clearTimeout(timer);
        resolve();
      }
    };
    for (const stream of [process.stdout, process.stderr]) {
      try {
        stream.write("", done);
      } catch {
        done();
      }
    }
  });
}

async function main(input: WorkerInput): Promise<void> {
  const live = new Float64Array(input.liveCounts);
  // The peak memory of the summary: sampled on a timer while update() awaits, and by the sync's own steps while it computes.
  const sampler = setInterval(() => sampleMemory(live), 100);
  sampler.unref();
  try {
    // connector-sdk/http: a token it obtains is hidden like a configured secret; a rotated refresh token is kept in the project.
    const runtime = httpRuntime();
    runtime.secret = (value) => post({ t: "secrets", values: [value] });
    runtime.store = new FileSecretStore(httpSecretsFile(input.connectorFile));
    // Before the connector loads, so that requests made at import time are recorded or replayed too.
    const http = input.http ? (await import("../replay/run.js")).startWorkerHttp(input.http, input.configuration) : undefined;
    const definition = await loadConnector(input.connectorFile);
    // The form module only for a connector with a form: loading it slows every start.
    const form = (definition as { form?: unknown }).form === undefined ? [] : (await import("../setup/form.js")).formSecrets(definition, input.configuration);
    post({ t: "secrets", values: [...configurationSecrets(definition.configuration, input.configuration), ...form] });
    const destination = createDestination(input.destination);
    const result = await runConnectorSync({
      definition,
      configuration: input.configuration,
      state: input.state,
      sources: { configurationFile: input.configurationFile, stateFile: input.stateFile, resetHint: input.resetHint },
      destination,
      ...(input.stateFile ? { stateStore: new FileStateStore({ file: input.stateFile, explicit: false }) } : {}),
      naming: input.naming,
      liveCounts: live,
      logger: {
        log: (level, message) => {
          if (!muted) post({ t: "log", level, message });
        },
      },
      events: {
        ready: (inputs) => {
          // Validation may add secrets: schema defaults, or values a transform derived.
          post({ t: "secrets", values: configurationSecrets(definition.configuration, inputs.configuration) });
          post({ t: "ready", warnings: inputs.warnings, ...(destination.capabilities.stateInDestination ? { state: inputs.stored } : {}) });
        },
        opened: (info) => post({ t: "opened", ...info }),
        warning: (message) => post({ t: "warning", message }),
        schemaChange: (change) => post({ t: "schema-change", change }),
        checkpoint: (info) => post({ t: "checkpoint", info }),
      },
    });
    muted = true;
    // From here on, whatever work update() left behind throws comes too late to change the outcome, which is settled.
    process.off("unhandledRejection", strays);
    process.on("unhandledRejection", () => {});
    process.on("uncaughtException", () => {});
    sampleMemory(live);
    clearInterval(sampler);
    const summary = await http?.finish({ result, load: () => loadConnector(input.connectorFile), startState: input.state, naming: input.naming });
    const { error, warnings: _sent, schemaChanges: _also, ...rest } = result;
    // Terminating the worker would drop console output still on its way.
    await flushStdio();
    post({ t: "done", result: { ...rest, ...(error ? { error: errorInfo(error) } : {}), ...(summary ? { http: summary } : {}) } });
  } catch (e) {
    if (e instanceof UsageError) post({ t: "usage-error", message: e.message });
    else throw e;
  }
}

if (parentPort) {
  // Started early (worker-start.ts), the worker gets its input as its first message.
  const input = ((workerData as WorkerInput | undefined) ??
    (await new Promise((resolve) => parentPort!.once("message", resolve)))) as WorkerInput;
  if (input.writers) spawnWritersThrough(input.writers.port, input.writers.flag);
  // A worker's own stdio streams reach the main thread apart from its messages: sent on the port that
  // carries log lines, a console line keeps its place among them.
  captureStdio((stream, text) => {
    if (!muted) post({ t: "output", stream, text });
  });
  // Work update() did not await may still call op.* after the sync ended, before the worker stops: never a failure then.
  strays = ignoreLateOperations();
  const shared = new Float64Array(input.liveCounts);
  // The traps (sync/traps.ts) turn process.exit() into a failed sync; the main thread is told too.
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    shared[Slot.exitCalled] = 1;
    shared[Slot.exitCode] = Number(code ?? process.exitCode ?? 0);
    return exit(code as number);
  }) as typeof process.exit;
  await main(input);
}
