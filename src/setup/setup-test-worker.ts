/** The worker thread of one setup test: loads the connector, validates the configuration as update() would get it, and runs the test. */
import { parentPort, workerData } from "node:worker_threads";
import { loadConnector } from "../project/loader.js";
import { httpRuntime } from "../sdk/http-hooks.js";
import { FileSecretStore } from "../project/http-secrets.js";
import type { SetupHttpMessage, SetupTestInput, SetupTestMessage } from "./setup-tests.js";
import { validateWith } from "../util/standard-schema.js";
import { errorInfo, toError } from "../util/thrown.js";

/** Waits until what the test wrote to stdout and stderr has reached the main thread (at most a second). */
function flushStdio(): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    let pending = 2;
    for (const stream of [process.stdout, process.stderr]) {
      const done = (): void => {
        if (--pending === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      try {
        stream.write("", done);
      } catch {
        done();
      }
    }
  });
}

async function main(input: SetupTestInput): Promise<SetupTestMessage> {
  try {
    const def = await loadConnector(input.connectorFile);
    const test = (def as { form?: { tests?: Record<string, unknown> } }).form?.tests?.[input.name];
    if (typeof test !== "function") throw new Error(`the connector has no setup test named ${JSON.stringify(input.name)}`);
    let configuration = input.configuration;
    if (def.configuration) {
      const r = await validateWith(def.configuration, configuration);
      if (!r.ok) throw new Error(`the configuration does not pass the connector's schema: ${r.problems.join("; ")}`);
      configuration = r.value;
    }
    await (test as (c: unknown) => unknown)(configuration);
    return { t: "pass" };
  } catch (e) {
    return { t: "fail", error: errorInfo(toError(e, "the test threw a non-Error value")) };
  }
}

if (parentPort) {
  const input = workerData as SetupTestInput;
  const runtime = httpRuntime();
  const tell = (m: SetupHttpMessage): void => parentPort!.postMessage(m);
  runtime.secret = (value) => tell({ t: "secret", value });
  // The provider no longer takes the token it replaced: the next sync must find the new one.
  if (input.secretsFile) runtime.store = new FileSecretStore(input.secretsFile);
  runtime.rotated = (previous, next, configured) => tell({ t: "rotated", previous, next, configured });
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    const shared = new Int32Array(input.exit!);
    shared[0] = 1;
    shared[1] = Number(code ?? process.exitCode ?? 0);
    return exit(code as number);
  }) as typeof process.exit;
  const result = await main(input);
  await flushStdio();
  parentPort.postMessage(result);
}
