/**
 * The worker thread that runs one `connector debug` sync: it loads the connector,
 * validates its inputs and runs the engine. The main thread keeps the terminal, the
 * signals and the clock, so it can stop a connector that never yields, and it
 * survives a connector that calls process.exit().
 */
import { parentPort, workerData } from "node:worker_threads";
import { SyncEngine } from "./engine.js";
import { UsageError } from "./errors.js";
import { prepareInputs } from "./inputs.js";
import { loadConnector } from "./loader.js";
import { Warehouse } from "./warehouse.js";
import { EXIT_CALLED, EXIT_CODE, type ErrorInfo, type WorkerInput, type WorkerMessage } from "./worker-protocol.js";

const post = (m: WorkerMessage): void => parentPort!.postMessage(m);

const errorInfo = (e: Error): ErrorInfo => ({ name: e.name, message: e.message, stack: e.stack });

async function main(input: WorkerInput): Promise<void> {
  let warehouse: Warehouse | undefined;
  try {
    // Before the connector loads, so that requests made at import time are recorded or replayed too.
    const http = input.http ? (await import("./replay/run.js")).startWorkerHttp(input.http, input.configuration) : undefined;
    const definition = await loadConnector(input.connectorFile);
    const inputs = await prepareInputs(definition, input.configuration, input.state, {
      configurationFile: input.configurationFile,
      stateFile: input.stateFile,
      resetHint: input.resetHint,
    });
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
      const error = reason instanceof Error ? reason : new Error(`unhandled rejection: ${String(reason)}`);
      error.message = `a promise the connector did not await was rejected: ${error.message}`;
      engine.fail(error);
    });
    const result = await engine.run();
    warehouse.close();
    const summary = await http?.finish({ result, load: () => loadConnector(input.connectorFile), startState: input.state, naming: input.naming });
    result.warnings.unshift(...inputs.warnings);
    const { error, ...rest } = result;
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
