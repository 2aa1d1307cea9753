/**
 * The worker thread that runs one `connector debug` sync: it loads the connector,
 * validates its inputs and runs the engine. The main thread keeps the terminal, the
 * signals and the clock, so it can stop a connector that never yields, and it
 * survives a connector that calls process.exit().
 */
import { parentPort, workerData } from "node:worker_threads";
import { SyncEngine } from "../sync/engine.js";
import { UsageError } from "../util/errors.js";
import { prepareInputs } from "../sync/inputs.js";
import { loadConnector } from "../project/loader.js";
import { configurationSecrets } from "../util/redact.js";
import { errorInfo, isError, toError } from "../util/thrown.js";
import { Warehouse } from "../destinations/sqlite/warehouse.js";
import { EXIT_CALLED, EXIT_CODE, type WorkerInput, type WorkerMessage } from "./protocol.js";
import { formSecrets } from "../setup/form.js";

const post = (m: WorkerMessage): void => parentPort!.postMessage(m);

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
  let warehouse: Warehouse | undefined;
  try {
    // Before the connector loads, so that requests made at import time are recorded or replayed too.
    const http = input.http ? (await import("../replay/run.js")).startWorkerHttp(input.http, input.configuration) : undefined;
    const definition = await loadConnector(input.connectorFile);
    post({ t: "secrets", values: [...configurationSecrets(definition.configuration, input.configuration), ...formSecrets(definition, input.configuration)] });
    const inputs = await prepareInputs(definition, input.configuration, input.state, {
      configurationFile: input.configurationFile,
      stateFile: input.stateFile,
      resetHint: input.resetHint,
    });
    // Validation may add secrets: schema defaults, or values a transform derived.
    post({ t: "secrets", values: configurationSecrets(definition.configuration, inputs.configuration) });
    warehouse = Warehouse.open(input.warehouse);
    post({ t: "ready", warnings: inputs.warnings });
    const engine = new SyncEngine({
      definition,
      configuration: inputs.configuration,
      state: inputs.state,
      warehouse,
      stateFile: input.stateFile,
      naming: input.naming,
      checkState: inputs.checkState,
      liveCounts: new Float64Array(input.liveCounts),
      logger: { log: (level, message) => post({ t: "log", level, message }) },
      events: {
        warning: (message) => post({ t: "warning", message }),
        checkpoint: (info) => post({ t: "checkpoint", info }),
      },
    });
    process.on("unhandledRejection", (reason) => {
      const error = toError(reason, "a promise the connector did not await was rejected with a non-Error value");
      if (isError(reason)) error.message = `a promise the connector did not await was rejected: ${error.message}`;
      engine.fail(error);
    });
    const result = await engine.run();
    warehouse.close();
    const summary = await http?.finish({ result, load: () => loadConnector(input.connectorFile), startState: input.state, naming: input.naming });
    result.warnings.unshift(...inputs.warnings);
    const { error, ...rest } = result;
    // Terminating the worker would drop console output still on its way.
    await flushStdio();
    post({ t: "done", result: { ...rest, ...(error ? { error: errorInfo(error) } : {}), ...(summary ? { http: summary } : {}) } });
  } catch (e) {
    warehouse?.close();
    if (e instanceof UsageError) post({ t: "usage-error", message: e.message });
    else throw e;
  }
}

if (parentPort) {
  const input = workerData as WorkerInput;
  const shared = new Float64Array(input.liveCounts);
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    shared[EXIT_CALLED] = 1;
    shared[EXIT_CODE] = Number(code ?? process.exitCode ?? 0);
    return exit(code as number);
  }) as typeof process.exit;
  await main(input);
}
