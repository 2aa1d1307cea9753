import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { readConfigurationFile } from "../core/configuration.js";
import { configurationSecrets } from "../core/redact.js";
import { addByTable, emptyCounts, totalOperations, type Counts } from "../core/counts.js";
import { formatDuration, parseDuration } from "../core/duration.js";
import type { CheckpointInfo } from "../core/engine.js";
import { ExitError, UsageError } from "../core/errors.js";
import { acquireLock } from "../core/lock.js";
import type { HttpSummary } from "../core/replay/run.js";
import { namingOption } from "../core/naming.js";
import { configurationFile, findConnectorFile, project, stateSource } from "../core/project.js";
import { readStateFile, type StateObject } from "../core/state.js";
import { errorInfo, isError, toError } from "../core/thrown.js";
import { EXIT_CALLED, EXIT_CODE, LIVE_SLOTS, type ErrorInfo, type WorkerInput, type WorkerMessage } from "../core/worker-protocol.js";
import { elapsed, num, renderFailure, renderProgressTable, renderTableBreakdown, truncate } from "../ui/format.js";
import { printJson, Ui } from "../ui/logger.js";
import { LineRelay, secrets, stripEscapes } from "../ui/output.js";

export interface DebugOptions {
  configuration?: string;
  state?: string;
  naming?: string;
  timeout?: string;
  verbose?: boolean;
  json?: boolean;
  record?: string | boolean;
  replay?: string | boolean;
}

interface Outcome {
  status: "succeeded" | "failed";
  error?: ErrorInfo;
  counts: Counts;
  previousState: StateObject;
  state: StateObject;
  warnings: string[];
  durationMs: number;
  /** Set when the run was stopped by a signal: the exit code to use. */
  signalExit?: number;
  /** How many of the warnings came from checking the inputs, and were printed before the run. */
  inputWarnings?: number;
  /** What --record or --replay did. */
  http?: HttpSummary;
}

const PACKAGE_ROOT = path.resolve(fileURLToPath(import.meta.url), "../../..");
const OWN_CODE = [path.join(PACKAGE_ROOT, "dist") + path.sep, path.join(PACKAGE_ROOT, "node_modules") + path.sep];

export async function debug(dir: string | undefined, opts: DebugOptions): Promise<void> {
  const ui = new Ui({ json: Boolean(opts.json), verbose: Boolean(opts.verbose) });
  const p = project(dir);
  const connectorFile = findConnectorFile(p);
  const naming = namingOption(opts.naming);
  const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
  const stateSrc = stateSource(p, opts.state);
  const configFile = configurationFile(p, opts.configuration);
  const http = opts.record || opts.replay ? (await import("../core/replay/spec.js")).httpSpec("debug", p.dir, dir !== undefined, opts.record, opts.replay) : undefined;
  const resetHint = `connector reset${dir ? " " + dir : ""}${opts.state ? " --state " + opts.state : ""}`;
  const release = acquireLock(p.lockFile, "debug");
  try {
    const configuration = configFile ? readConfigurationFile(configFile) : {};
    // Known before anything is printed; the worker adds the values the schema marks secret.
    secrets().add(configurationSecrets(undefined, configuration));
    const state = readStateFile(stateSrc, resetHint);
    const input: WorkerInput = {
      connectorFile,
      configuration,
      configurationFile: configFile,
      state,
      stateFile: stateSrc.file,
      resetHint,
      warehouse: p.warehouse,
      naming,
      liveCounts: new SharedArrayBuffer(LIVE_SLOTS * Float64Array.BYTES_PER_ELEMENT),
      ...(http ? { http } : {}),
    };
    const header = (warnings: string[]): void => {
      ui.info(`Connector: ${connectorFile}`);
      ui.info(`Configuration: ${configFile ?? "none ({})"}`);
      ui.info(`Warehouse: ${p.warehouse}`);
      ui.info(`State file: ${stateSrc.file}`);
      ui.info(`Previous state:\n${JSON.stringify(state, null, 2)}`);
      if (http) ui.info(http.mode === "record" ? `Recording every HTTP request to ${http.label}/` : `Replaying HTTP from ${http.label}/: no request goes to the network`);
      for (const w of warnings) ui.warn(w);
    };
    const outcome = await supervise(input, ui, header, timeoutMs, Boolean(opts.json));
    finish(ui, outcome, p.warehouse, Boolean(opts.json));
    if (outcome.signalExit) throw new ExitError(outcome.signalExit);
    if (outcome.status === "failed" || outcome.http?.error) throw new ExitError(1);
  } finally {
    release();
  }
}

/** Runs the sync in a worker, relays its events to the terminal, and stops it on a signal or a timeout. */
function supervise(input: WorkerInput, ui: Ui, header: (warnings: string[]) => void, timeoutMs: number | undefined, json: boolean): Promise<Outcome> {
  const live = new Float64Array(input.liveCounts);
  // A worker's young generation is smaller than the main thread's by default; at a few
  // hundred thousand rows a second the extra scavenges cost about 3 % of a sync.
  const worker = new Worker(new URL("../core/sync-worker.js", import.meta.url), { workerData: input, stdout: true, stderr: true, resourceLimits: { maxYoungGenerationSizeMb: 48 } });
  // A connector's console output goes to stderr (stdout carries --json), line by line through
  // the output boundary, and only once the worker has said which values are secret.
  const relays = [worker.stdout, worker.stderr].map((stream) => {
    const relay = new LineRelay((line) => ui.passthrough(line));
    stream.on("data", (chunk: Buffer) => relay.push(chunk));
    stream.on("end", () => relay.end());
    return relay;
  });
  const started = Date.now();
  const warnings: string[] = [];
  const checkpoints: CheckpointInfo[] = [];
  let inputWarnings = 0;
  let ticker: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;

  return new Promise<Outcome>((resolve, reject) => {
    let settled = false;
    const cleanup = (): void => {
      settled = true;
      if (ticker) clearInterval(ticker);
      if (timer) clearTimeout(timer);
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
      ui.stopSpinner();
      for (const relay of relays) relay.release();
    };
    const stopWith = (error: ErrorInfo, signalExit?: number): void => {
      if (settled) return;
      cleanup();
      void worker.terminate();
      resolve({ ...partial(live, checkpoints, input.state, warnings, started), error, signalExit, inputWarnings });
    };
    const onSigint = (): void => stopWith({ name: "Interrupted", message: "interrupted" }, 130);
    const onSigterm = (): void => stopWith({ name: "Interrupted", message: "interrupted (SIGTERM)" }, 143);
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigterm);
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => stopWith({ name: "Timeout", message: `timed out after ${formatDuration(timeoutMs)} (--timeout)` }), timeoutMs);
    }

    worker.on("message", (m: WorkerMessage) => {
      switch (m.t) {
        case "secrets":
          secrets().add(m.values);
          break;
        case "ready":
          for (const relay of relays) relay.release();
          warnings.push(...m.warnings);
          inputWarnings = m.warnings.length;
          header(m.warnings);
          void ui.startSpinner("Starting update()");
          ticker = setInterval(() => ui.spin(progressLine(live, Date.now() - started)), 100);
          break;
        case "log":
          ui.log(m.level, m.message);
          break;
        case "warning":
          warnings.push(m.message);
          break;
        case "checkpoint":
          checkpoints.push(m.info);
          if (!ui.spinning && !json) {
            const ops = Object.values(m.info.operations).reduce((n, t) => n + totalOperations(t), 0);
            ui.info(`Checkpoint ${m.info.seq}: committed ${num(ops)} operation(s); state ${truncate(JSON.stringify(secrets().value(m.info.state)), 200)}`);
          }
          break;
        case "usage-error":
          cleanup();
          reject(new UsageError(m.message));
          break;
        case "done":
          // The worker flushed its console output before "done": print its last line, even without a newline.
          for (const relay of relays) relay.end();
          cleanup();
          void worker.terminate();
          resolve({ ...m.result, inputWarnings });
          break;
      }
    });
    worker.on("error", (thrown: unknown) => {
      const e = toError(thrown, "the connector threw a non-Error value outside update()");
      if (isError(thrown)) e.message = `the connector threw outside update(): ${e.message}`;
      stopWith(errorInfo(e));
    });
    worker.on("exit", (code) => {
      if (settled) return;
      const message =
        live[EXIT_CALLED] === 1
          ? `the connector called process.exit(${live[EXIT_CODE]}); return from update() instead, or throw to fail the sync`
          : `update() never finished: it is waiting on a promise that nothing will ever settle (worker exit code ${code})`;
      stopWith({ name: "Error", message });
    });
  });
}

/** What is known of a run that was stopped from outside: the live counts and the last committed checkpoint. */
function partial(live: Float64Array, checkpoints: CheckpointInfo[], previousState: StateObject, warnings: string[], started: number): Outcome {
  const counts = emptyCounts();
  counts.upserts = live[0]!;
  counts.updates = live[1]!;
  counts.deletes = live[2]!;
  counts.truncates = live[3]!;
  counts.schemaChanges = live[4]!;
  counts.checkpoints = live[5]!;
  for (const c of checkpoints) addByTable(counts.byTable, c.operations);
  const state = checkpoints.length ? checkpoints[checkpoints.length - 1]!.state : previousState;
  return { status: "failed", counts, previousState, state, warnings, durationMs: Date.now() - started };
}

function progressLine(live: Float64Array, ms: number): string {
  const ops = live[0]! + live[1]! + live[2]! + live[3]!;
  const rate = Math.round(ops / Math.max(ms / 1000, 0.001));
  return `Syncing: ${num(ops)} operations · ${num(rate)} ops/s · ${num(live[5]!)} checkpoints · ${elapsed(ms)}`;
}

function finish(ui: Ui, r: Outcome, warehouse: string, json: boolean): void {
  const reason = r.error ? renderFailure(r.error, (frame) => OWN_CODE.some((dir) => frame.includes(dir))) : undefined;
  if (json) {
    // printJson hides secrets; messages also lose any terminal escapes the connector put in them.
    printJson({
      status: r.status,
      ...(reason ? { error: stripEscapes(reason) } : {}),
      counts: r.counts,
      previousState: r.previousState,
      state: r.state,
      warnings: r.warnings.map((w) => stripEscapes(w)),
      durationMs: r.durationMs,
      warehouse,
      ...(r.http ? { cassette: r.http } : {}),
    });
    if (reason) ui.error(`Sync FAILED: ${reason}`);
    if (r.http?.error) ui.error(`Recording FAILED: ${r.http.error}`);
    return;
  }
  ui.info("");
  ui.info(renderProgressTable(r.counts));
  const breakdown = renderTableBreakdown(r.counts);
  if (breakdown) ui.info("\n" + breakdown);
  ui.info("");
  for (const w of r.warnings.slice(r.inputWarnings ?? 0)) ui.warn(w);
  if (r.status === "succeeded") {
    ui.info(`State: ${truncate(JSON.stringify(secrets().value(r.state)), 400)}`);
    ui.info(ui.color.green(`Sync SUCCEEDED in ${elapsed(r.durationMs)}`));
  } else {
    ui.error(`Sync FAILED: ${reason}`);
  }
  if (r.http) {
    for (const w of r.http.warnings) ui.warn(w);
    for (const line of r.http.lines) ui.info(line);
    if (r.http.error) ui.error(`Recording FAILED: ${r.http.error}`);
  }
}
