/**
 * The worker thread that runs `connector verify`'s syncs. The main thread keeps the
 * terminal, the signals, the clock and the scratch folder, so Ctrl-C or --timeout stops
 * even a connector stuck in a synchronous loop, and the scratch folder is always removed.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SyncFailedError, UsageError } from "../util/errors.js";
import { loadConnector } from "../project/loader.js";
import { connectorSecrets } from "../util/secrets.js";
import { failActiveSyncs, ignoreLateOperations } from "../sync/traps.js";
import { spawnWritersThrough } from "../destinations/open.js";
import { verify } from "../verify/verify.js";
import type { VerifyWorkerInput, VerifyWorkerMessage } from "./protocol.js";

import { httpRuntime } from "../sdk/http-hooks.js";
import { FileSecretStore, httpSecretsFile } from "../project/http-secrets.js";
import { Heartbeat } from "./heartbeat.js";

const post = (m: VerifyWorkerMessage): void => parentPort!.postMessage(m);

async function main(input: VerifyWorkerInput, heartbeat?: Heartbeat): Promise<void> {
  try {
    // connector-sdk/http: obtained tokens hidden, a rotated refresh token kept in the project (as sync-worker.ts).
    const runtime = httpRuntime();
    runtime.secret = (value) => post({ t: "secrets", values: [value] });
    runtime.store = new FileSecretStore(httpSecretsFile(input.connectorFile));
    // A connector that does not load fails before any scratch run starts.
    const definition = await loadConnector(input.connectorFile);
    post({ t: "secrets", values: await connectorSecrets(definition.configuration, input.configuration) });
    const replay = input.replay ? (await import("../replay/run.js")).openReplay(input.replay.dir, input.replay.label) : undefined;
    post({ t: "ready" });
    const report = await verify({
      load: () => loadConnector(input.connectorFile),
      configuration: input.configuration,
      trials: input.trials,
      seed: input.seed,
      naming: input.naming,
      scratch: input.scratch,
      timeoutMs: input.timeoutMs,
      destination: input.destination,
      progress: (message) => post({ t: "progress", message }),
      onCheck: (check) => post({ t: "check", check }),
      onRun: (running) => {
        heartbeat?.run(running, input.timeoutMs);
        post({ t: "run", running });
      },
      ...(replay ? { replay } : {}),
    });
    post({ t: "done", report });
  } catch (e) {
    if (e instanceof UsageError) post({ t: "usage-error", message: e.message });
    else throw e;
  }
}

if (parentPort) {
  // An exception in a connector's timer or callback fails the sync in progress, and verify goes on.
  process.on("uncaughtException", (e) => {
    if (!failActiveSyncs(new SyncFailedError(`the connector threw outside update(): ${e instanceof Error ? e.message : String(e)}`))) throw e;
  });
  ignoreLateOperations();
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    // Node's own exit after an error it could not hand to a listener.
    if ((process as { _exiting?: boolean })._exiting) return exit(code as number);
    const error = new SyncFailedError(`the connector called process.exit(${code ?? ""}); return from update() instead, or throw to fail the sync`);
    failActiveSyncs(error);
    throw error;
  }) as typeof process.exit;
  const input = workerData as VerifyWorkerInput;
  const heartbeat = input.heartbeat ? new Heartbeat(input.heartbeat) : undefined;
  if (input.writers) spawnWritersThrough(input.writers.port, input.writers.flag);
  await main(input, heartbeat);
}
