import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { readConfigurationFile } from "../project/configuration.js";
import { configurationSecrets } from "../util/redact.js";
import { addByTable, emptyCounts, totalOperations, type Counts, type TableCounts } from "../sync/counts.js";
import { formatDuration, parseDuration } from "../util/duration.js";
import { ExitError, UsageError } from "../util/errors.js";
import { chooseDestination } from "../project/destination-choice.js";
import { acquireLock } from "../project/lock.js";
import type { HttpSummary } from "../replay/run.js";
import { namingOption } from "../normalize/naming.js";
import { configurationFile, findConnectorFile, project, stateSource } from "../project/project.js";
import { signalExitCode, stopWorker, trapSignals, type StopSignal } from "../host/signals.js";
import { WriterHost } from "../destinations/threaded/spawn.js";
import { readStateFile, type StateObject } from "../state/state.js";
import { errorInfo, isError, toError } from "../util/thrown.js";
import type { ErrorInfo, WorkerInput, WorkerMessage } from "../host/protocol.js";
import { newLiveCounts, readLiveCounts, sampleMemory, Slot } from "../sync/live-counts.js";
import { formatSize, parseSize } from "../util/size.js";
import { CRASH_DIR, LogTail, writeCrashReport } from "../project/crash-reports.js";
import { elapsed, num, renderFailure, renderPeakMemory, renderProgressTable, renderTableBreakdown, truncate } from "../ui/format.js";
import { printJson, Ui } from "../ui/logger.js";
import { LineRelay, secrets, stripEscapes } from "../ui/output.js";

export interface DebugOptions {
  configuration?: string;
  state?: string;
  naming?: string;
  timeout?: string;
  destination?: string;
  verbose?: boolean;
  json?: boolean;
  record?: string | boolean;
  replay?: string | boolean;
  memoryLimit?: string;
}

/** Fivetran's local debug caps the connector at 4 GB; production gives it 1 GB (--memory-limit 1GB). */
const DEFAULT_MEMORY_LIMIT = 4 * 1024 ** 3;

/** The sync's peak memory, as the summary ends with it (Fivetran 2.9.2). */
interface MemoryReport {
  peakHeapBytes: number;
  peakRssBytes: number;
  limitBytes: number;
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
  memory?: MemoryReport;
  /** The last checkpoint this run committed, if any; its state is `state`. */
  checkpoint?: { seq: number; time: string };
  /** The run's last log lines, for a crash report. */
  log?: string[];
  /** The crash report written for this failure. */
  crashReport?: string;
}

const STILL_STOPPING = "Waiting for the connector to stop: it is blocked in a synchronous call outside JavaScript. Press Ctrl-C to exit without waiting.";

const PACKAGE_ROOT = path.resolve(fileURLToPath(import.meta.url), "../../..");
const OWN_CODE = [path.join(PACKAGE_ROOT, "dist") + path.sep, path.join(PACKAGE_ROOT, "node_modules") + path.sep];

export async function debug(dir: string | undefined, opts: DebugOptions): Promise<void> {
  const ui = new Ui({ json: Boolean(opts.json), verbose: Boolean(opts.verbose) });
  const p = project(dir);
  const connectorFile = findConnectorFile(p);
  const naming = namingOption(opts.naming);
  const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
  const memoryLimit = opts.memoryLimit === undefined ? DEFAULT_MEMORY_LIMIT : parseSize(opts.memoryLimit, "--memory-limit");
  const stateSrc = stateSource(p, opts.state);
  const configFile = configurationFile(p, opts.configuration);
  const http = opts.record || opts.replay ? (await import("../replay/spec.js")).httpSpec("debug", p.dir, dir !== undefined, opts.record, opts.replay) : undefined;
  const resetHint = `connector reset${dir ? " " + dir : ""}${opts.state ? " --state " + opts.state : ""}`;
  const destination = chooseDestination(p, opts.destination);
  const release = acquireLock(p.lockFile, "debug");
  let untrap = (): void => {};
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
      destination,
      naming,
      liveCounts: newLiveCounts(),
      ...(http ? { http } : {}),
    };
    const header = (warnings: string[]): void => {
      ui.info(`Connector: ${connectorFile}`);
      ui.info(`Configuration: ${configFile ?? "none ({})"}`);
      ui.info(`Warehouse: ${destination.file}${destination.kind === "duckdb" ? " (DuckDB, schema tester)" : ""}`);
      ui.info(`State file: ${stateSrc.file}`);
      ui.info(`Previous state:\n${JSON.stringify(state, null, 2)}`);
      if (http) ui.info(http.mode === "record" ? `Recording every HTTP request to ${http.label}/` : `Replaying HTTP from ${http.label}/: no request goes to the network`);
      for (const w of warnings) ui.warn(w);
    };
    const run = supervise(input, ui, header, timeoutMs, Boolean(opts.json), release, memoryLimit);
    untrap = run.untrap;
    const outcome = await run.outcome;
    const live = new Float64Array(input.liveCounts);
    sampleMemory(live, false);
    outcome.memory = { peakHeapBytes: live[Slot.peakHeap]!, peakRssBytes: live[Slot.peakRss]!, limitBytes: memoryLimit };
    if (outcome.status === "failed" && outcome.error && isCrash(outcome.error)) outcome.crashReport = reportCrash(ui, p.dir, outcome);
    finish(ui, outcome, destination.file, Boolean(opts.json));
    if (outcome.signalExit) throw new ExitError(outcome.signalExit);
    if (outcome.status === "failed" || outcome.http?.error) throw new ExitError(1);
  } finally {
    release();
    untrap();
  }
}

/**
 * Runs the sync in a worker, relays its events to the terminal, and stops it on a signal or
 * a timeout. The outcome resolves only once the worker has stopped, and so has closed the
 * warehouse (rolling back the open transaction): the lock may be released after it.
 */
function supervise(
  input: WorkerInput,
  ui: Ui,
  header: (warnings: string[]) => void,
  timeoutMs: number | undefined,
  json: boolean,
  release: () => void,
  memoryLimit: number,
): { outcome: Promise<Outcome>; untrap: () => void } {
  const live = new Float64Array(input.liveCounts);
  // A worker's young generation is smaller than the main thread's by default; at a few
  // hundred thousand rows a second the extra scavenges cost about 3 % of a sync.
  // --memory-limit caps the heap, young and old generations together.
  const limitMb = Math.floor(memoryLimit / 1024 ** 2);
  const youngMb = Math.min(48, Math.floor(limitMb / 4));
  const resourceLimits = { maxYoungGenerationSizeMb: youngMb, maxOldGenerationSizeMb: limitMb - youngMb };
  // The writer threads of an asynchronous destination are started here, not in the worker, so
  // that stopping the worker never kills a database client in the middle of its work.
  const writers = new WriterHost();
  const worker = new Worker(new URL("../host/sync-worker.js", import.meta.url), {
    workerData: { ...input, writers: { port: writers.port, flag: writers.flag } },
    transferList: [writers.port],
    stdout: true,
    stderr: true,
    resourceLimits,
  });
  // The process's RSS, sampled here too: this thread keeps its turns while the worker computes.
  const sampler = setInterval(() => sampleMemory(live, false), 100);
  sampler.unref();
  // A connector's console output goes to stderr (stdout carries --json), line by line through
  // the output boundary, and only once the worker has said which values are secret.
  const tail = new LogTail();
  let checkpoint: Outcome["checkpoint"];
  const relays = [worker.stdout, worker.stderr].map((stream) => {
    const relay = new LineRelay((line) => {
      tail.push(line);
      ui.passthrough(line);
    });
    stream.on("data", (chunk: Buffer) => relay.push(chunk));
    stream.on("end", () => relay.end());
    return relay;
  });
  const started = Date.now();
  const warnings: string[] = [];
  // Per-table totals and the last state only: a run may have any number of checkpoints.
  const byTable: Record<string, TableCounts> = {};
  let lastState = input.state;
  let inputWarnings = 0;
  let ticker: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  let stopWith: (error: ErrorInfo, signalExit?: number) => void = () => {};
  // A worker stuck in native code does not stop, and process.exit() would wait for it: a
  // signal while the worker is being stopped releases the lock and ends the process by that signal.
  const force = (signal: StopSignal): void => {
    ui.stopSpinner();
    ui.error(`Interrupted again: exiting without waiting for the sync to stop. The warehouse is rolled back to the last checkpoint when it is next opened.`);
    release();
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  };
  const untrap = trapSignals(
    (signal) => (settled ? force(signal) : stopWith({ name: "Interrupted", message: signal === "SIGINT" ? "interrupted" : "interrupted (SIGTERM)" }, signalExitCode(signal))),
    force,
  );

  const outcome = new Promise<Outcome>((resolve, reject) => {
    const settle = (then: () => void): void => {
      settled = true;
      clearInterval(sampler);
      if (ticker) clearInterval(ticker);
      if (timer) clearTimeout(timer);
      ui.stopSpinner();
      for (const relay of relays) relay.release();
      // Messages the worker posted before it stopped are delivered before terminate() resolves;
      // its writers then roll back and close their databases.
      void stopWorker(worker, () => ui.error(STILL_STOPPING))
        .then(() => writers.shutdown())
        .then(then);
    };
    stopWith = (error, signalExit) => {
      if (settled) return;
      settle(() => resolve({ ...partial(live, byTable, lastState, input.state, warnings, started), error, signalExit, inputWarnings, checkpoint, log: tail.all }));
    };
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
          if (settled) break;
          warnings.push(...m.warnings);
          inputWarnings = m.warnings.length;
          header(m.warnings);
          void ui.startSpinner("Starting update()");
          ticker = setInterval(() => ui.spin(progressLine(live, Date.now() - started)), 100);
          break;
        case "log":
          tail.push(`${new Date().toISOString()} ${m.level} ${m.message}`);
          ui.log(m.level, m.message);
          break;
        case "warning":
          warnings.push(m.message);
          break;
        case "checkpoint":
          addByTable(byTable, m.info.operations);
          lastState = m.info.state;
          checkpoint = { seq: m.info.seq, time: m.info.time };
          if (!ui.spinning && !json && !settled) {
            const ops = Object.values(m.info.operations).reduce((n, t) => n + totalOperations(t), 0);
            ui.info(`Checkpoint ${m.info.seq}: committed ${num(ops)} operation(s); state ${truncate(JSON.stringify(secrets().value(m.info.state)), 200)}`);
          }
          break;
        case "usage-error":
          if (!settled) settle(() => reject(new UsageError(m.message)));
          break;
        case "done":
          if (settled) break;
          // The worker flushed its console output before "done": print its last line, even without a newline.
          for (const relay of relays) relay.end();
          settle(() => resolve({ ...m.result, inputWarnings, checkpoint, log: tail.all }));
          break;
      }
    });
    worker.on("error", (thrown: unknown) => {
      if ((thrown as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY") {
        // The worker's own samples may have missed the climb (a loop that emits nothing); V8 says where it ended.
        live[Slot.peakHeap] = Math.max(live[Slot.peakHeap]!, memoryLimit);
        return stopWith({
          name: "MemoryLimit",
          message: `memory limit of ${formatSize(memoryLimit)} exceeded: the sync worker's heap reached --memory-limit (production gives a connector 1 GB). Keep less in memory: upsert rows as you read them rather than collecting them, and checkpoint every few thousand rows.`,
        });
      }
      const e = toError(thrown, "the connector threw a non-Error value outside update()");
      if (isError(thrown)) e.message = `the connector threw outside update(): ${e.message}`;
      stopWith(errorInfo(e));
    });
    worker.on("exit", (code) => {
      if (settled) return;
      const message =
        live[Slot.exitCalled] === 1
          ? `the connector called process.exit(${live[Slot.exitCode]}); return from update() instead, or throw to fail the sync`
          : `update() never finished: it is waiting on a promise that nothing will ever settle (worker exit code ${code})`;
      stopWith({ name: "Error", message });
    });
  });
  return { outcome, untrap };
}

/**
 * What is known of a run that was stopped from outside: the operations up to the last committed checkpoint, by
 * table and in total (those after it were rolled back, and their tables are not known here), and the live counts
 * of checkpoints and schema changes.
 */
function partial(live: Float64Array, byTable: Record<string, TableCounts>, state: StateObject, previousState: StateObject, warnings: string[], started: number): Outcome {
  const counts = emptyCounts();
  Object.assign(counts, readLiveCounts(live));
  for (const kind of ["upserts", "updates", "deletes", "truncates"] as const) counts[kind] = Object.values(byTable).reduce((n, t) => n + t[kind], 0);
  counts.byTable = byTable;
  return { status: "failed", counts, previousState, state, warnings, durationMs: Date.now() - started };
}

function progressLine(live: Float64Array, ms: number): string {
  const ops = live[Slot.upserts]! + live[Slot.updates]! + live[Slot.deletes]! + live[Slot.truncates]!;
  const rate = Math.round(ops / Math.max(ms / 1000, 0.001));
  return `Syncing: ${num(ops)} operations · ${num(rate)} ops/s · ${num(live[Slot.checkpoints]!)} checkpoints · ${elapsed(ms)}`;
}

const failureText = (error: ErrorInfo): string => renderFailure(error, (frame) => OWN_CODE.some((dir) => frame.includes(dir)));

/** A failure worth a crash report: not one the connector reported with op.error, nor a stop the user asked for. */
const isCrash = (error: ErrorInfo): boolean => error.name !== "ConnectorError" && error.name !== "Interrupted";

/** Writes the crash report and returns its path relative to the working directory; a report that cannot be written is only a warning. */
function reportCrash(ui: Ui, dir: string, r: Outcome): string | undefined {
  try {
    const file = writeCrashReport(
      dir,
      {
        command: ["connector", ...process.argv.slice(2)],
        error: r.error,
        reason: failureText(r.error!),
        lastCheckpoint: r.checkpoint
          ? { ...r.checkpoint, state: r.state, committedBy: "this run" }
          : { seq: null, time: null, state: r.previousState, committedBy: "an earlier run" },
        counts: r.counts,
        warnings: r.warnings,
        log: r.log ?? [],
      },
      (value) => secrets().value(value),
    );
    return path.relative(process.cwd(), file) || file;
  } catch (e) {
    ui.warn(`could not write a crash report in ${path.join(dir, CRASH_DIR)}: ${(e as Error).message}`);
    return undefined;
  }
}

function finish(ui: Ui, r: Outcome, warehouse: string, json: boolean): void {
  const reason = r.error ? failureText(r.error) : undefined;
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
      ...(r.memory ? { memory: r.memory } : {}),
      ...(r.crashReport ? { crashReport: r.crashReport } : {}),
    });
    if (reason) ui.error(`Sync FAILED: ${reason}`);
    if (r.crashReport) ui.error(`Crash report: ${r.crashReport}`);
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
    if (r.counts.truncates > 0) {
      ui.info("No row was marked deleted: truncates apply only when a sync succeeds. The next successful sync applies those committed with a checkpoint; the connector emits the others again.");
    }
  }
  if (r.http) {
    for (const w of r.http.warnings) ui.warn(w);
    for (const line of r.http.lines) ui.info(line);
    if (r.http.error) ui.error(`Recording FAILED: ${r.http.error}`);
  }
  if (r.crashReport) ui.error(`Crash report: ${r.crashReport}`);
  if (r.memory) ui.info(renderPeakMemory(r.memory));
}
