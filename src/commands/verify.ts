import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { readConfigurationFile } from "../project/configuration.js";
import { formatDuration, parseDuration } from "../util/duration.js";
import { ExitError, UsageError } from "../util/errors.js";
import { namingOption } from "../normalize/naming.js";
import { configurationFile, findConnectorFile, project } from "../project/project.js";
import { configurationSecrets } from "../util/redact.js";
import { chooseDestination } from "../project/destination-choice.js";
import { commandDestination } from "../project/run-destination.js";
import type { PostgresScratch } from "../verify/verify.js";
import { listCassettes } from "../replay/cassette.js";
import { httpSpec } from "../replay/spec.js";
import { signalExitCode, stopWorker, trapSignals, type StopSignal } from "../host/signals.js";
import { WriterHost } from "../destinations/threaded/spawn.js";
import type { CheckName, CheckResult, VerifyReport } from "../verify/verify.js";
import type { VerifyWorkerInput, VerifyWorkerMessage } from "../host/protocol.js";
import { printJson, Ui } from "../ui/logger.js";
import { secrets, stripEscapes } from "../ui/output.js";
import { LineRelay } from "../util/line-relay.js";
import { renderVerifyReport } from "../ui/verify-report.js";

export interface VerifyOptions {
  configuration?: string;
  trials?: string;
  seed?: string;
  naming?: string;
  timeout?: string;
  destination?: string;
  name?: string;
  json?: boolean;
  replay?: string | boolean;
}

/** How verify ended when it did not finish: the reason, the step it was on, and the checks finished before. */
interface Stopped {
  reason: string;
  during: string;
  checks: CheckResult[];
  signalExit?: number;
}

const STILL_STOPPING = "Waiting for the connector to stop: it is blocked in a synchronous call outside JavaScript. Press Ctrl-C to exit without waiting.";
const CHECKS: CheckName[] = ["baseline", "incremental", "interrupted", "reset"];
/** How long past --timeout a sync may go without giving control back before the worker is stopped from outside. */
const GRACE_MS = 2000;

function wholeNumber(flag: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  // Beyond the maximum a number would be rounded, or (a seed) folded onto a smaller one: the run would not be the one asked for.
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} takes a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The generator of interruption points takes 32 bits of seed. */
const MAX_SEED = 2 ** 32 - 1;

export async function verifyCommand(dir: string | undefined, opts: VerifyOptions): Promise<void> {
  const ui = new Ui({ json: Boolean(opts.json), verbose: false });
  const p = project(dir);
  const connectorFile = findConnectorFile(p);
  const trials = wholeNumber("--trials", opts.trials, 1);
  const seed = wholeNumber("--seed", opts.seed, 0, MAX_SEED) ?? Math.floor(Math.random() * 2 ** 31);
  const naming = namingOption(opts.naming);
  const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
  const configFile = configurationFile(p, opts.configuration);
  const configuration = configFile ? readConfigurationFile(configFile) : {};
  secrets().add(configurationSecrets(undefined, configuration));
  const cassette = httpSpec("verify", p.dir, dir !== undefined, undefined, opts.replay);
  if (cassette) ui.info(`Every run replays HTTP from ${cassette.label}/: offline, and the same source every time.`);
  else {
    const names = listCassettes(p.dir);
    if (names.length) {
      const flag = names.includes("default") ? "--replay" : `--replay ${names[0]}`;
      ui.info(`This project has a recorded cassette (fixtures/${names.includes("default") ? "default" : names[0]}/): \`connector verify ${flag}\` runs every check against it, offline and deterministic.`);
    }
  }
  const target = commandDestination(p, opts.destination, opts.name);
  if (target?.password) secrets().add([target.password]);
  if (target && target.spec.kind !== "postgres") throw new UsageError(`verify --destination takes sqlite, duckdb or a PostgreSQL URL; ${target.location} is a file, and verify never writes to a real warehouse file.`);
  const pg: PostgresScratch | undefined =
    target?.spec.kind === "postgres"
      ? { kind: "postgres", connection: target.spec.connection, connector: target.spec.connector, prefix: `_connector_verify_${Math.random().toString(36).slice(2, 10)}_` }
      : undefined;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "connector-verify-"));
  let untrap = (): void => {};
  try {
    const replay = cassette ? { dir: cassette.dir, label: cassette.label } : undefined;
    const destination = pg ?? chooseDestination(p, opts.destination).kind;
    if (pg) ui.info(`Scratch schemas ${pg.prefix}* in ${target!.location.replace(/\?schema=.*$/, "")}; they are dropped at the end.`);
    const run = supervise({ connectorFile, configuration, trials, seed, naming, scratch, timeoutMs, destination, ...(replay ? { replay } : {}) }, ui);
    untrap = run.untrap;
    const result = clean(await run.outcome);
    const mark = (s: string): string => (s === "PASS" ? ui.color.green(s) : s === "FAIL" ? ui.color.red(s) : s === "WARN" ? ui.color.yellow(s) : s);
    if ("passed" in result) {
      if (opts.json) printJson(result);
      else ui.info("\n" + renderVerifyReport(result, mark));
      if (!result.passed) throw new ExitError(1);
      return;
    }
    const checks = unfinished(result);
    const verdict = result.signalExit
      ? `VERIFY INTERRUPTED during ${result.during} (seed ${seed}; rerun with --seed ${seed} to repeat); its scratch folder was removed.`
      : undefined;
    if (opts.json) {
      printJson({ passed: false, seed, stopped: { reason: result.reason, during: result.during }, checks });
      if (verdict) ui.error(verdict);
    } else {
      ui.info("\n" + renderVerifyReport({ passed: false, seed, operations: 0, checkpoints: 0, checks, trials: [] }, mark, verdict));
    }
    throw new ExitError(result.signalExit ?? 1);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
    // The worker drops its scratch schemas; after an interruption, this is where they go.
    if (pg) await (await import("../destinations/postgres/admin.js")).dropSchemas(pg.connection, pg.prefix).catch(() => {});
    untrap();
  }
}

/** Secrets hidden before a report is cut into 40-character cells, and no terminal escapes in its details. */
function clean<T extends VerifyReport | Stopped>(r: T): T {
  return secrets().value({ ...r, ...("reason" in r ? { reason: stripEscapes(r.reason) } : {}), checks: r.checks.map((c) => ({ ...c, detail: stripEscapes(c.detail) })) }) as T;
}

/** The checks of a verify that was stopped: those that finished, the one it was on, and the rest as not run. */
function unfinished(s: Stopped): CheckResult[] {
  const done = new Set(s.checks.map((c) => c.check));
  const named = CHECKS.find((c) => s.during.startsWith(`${c}: `));
  // Stopped before the first check began (while loading the connector): the first check carries the reason.
  const current = named ?? CHECKS.find((c) => !done.has(c));
  const step = named ? s.during.slice(named.length + 2) : s.during;
  const rest = CHECKS.filter((c) => !done.has(c)).map((check): CheckResult => {
    if (check !== current) return { check, status: "skipped", detail: `not run: verify was ${s.signalExit ? "interrupted" : "stopped"} before it`, differences: [] };
    if (s.signalExit) return { check, status: "skipped", detail: `${s.reason} during ${step}`, differences: [] };
    return { check, status: "fail", detail: `${step}: ${s.reason}`, differences: [] };
  });
  return [...s.checks, ...rest];
}

/**
 * Runs verify in a worker and stops it on a signal, or when a sync outlives --timeout without
 * giving control back. Resolves once the worker has stopped, so the scratch folder can go.
 */
function supervise(input: VerifyWorkerInput, ui: Ui): { outcome: Promise<VerifyReport | Stopped>; untrap: () => void } {
  // Destination writer threads are started here, so that stopping the worker never kills a database client mid-task.
  const writers = new WriterHost();
  const worker = new Worker(new URL("../host/verify-worker.js", import.meta.url), {
    workerData: { ...input, writers: { port: writers.port, flag: writers.flag } },
    transferList: [writers.port],
    stdout: true,
  });
  // The connector's console output, line by line, so that no secret is split across two writes.
  const relays = [worker.stdout].map((stream) => {
    const relay = new LineRelay((line) => ui.passthrough(line));
    stream.on("data", (chunk: Buffer) => relay.push(chunk));
    stream.on("end", () => relay.end());
    return relay;
  });
  const checks: CheckResult[] = [];
  let during = "loading the connector";
  let settled = false;
  let stopWith: (reason: string, signalExit?: number) => void = () => {};
  let watchdog: NodeJS.Timeout | undefined;
  // A worker stuck in native code does not stop, and process.exit() would wait for it: a signal
  // while the worker is being stopped removes the scratch folder and ends the process by that signal.
  const force = (signal: StopSignal): void => {
    ui.stopSpinner();
    fs.rmSync(input.scratch, { recursive: true, force: true });
    ui.error(`Interrupted again during ${during}: exiting without waiting for the sync to stop; its scratch folder was removed.`);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  };
  const untrap = trapSignals((signal) => (settled ? force(signal) : stopWith(signal === "SIGINT" ? "interrupted" : "interrupted (SIGTERM)", signalExitCode(signal))), force);

  const outcome = new Promise<VerifyReport | Stopped>((resolve, reject) => {
    // Restarted at each sync (and first for loading the connector), cleared when it ends.
    const arm = (): void => {
      clearTimeout(watchdog);
      if (input.timeoutMs === undefined) return;
      const limit = formatDuration(input.timeoutMs);
      watchdog = setTimeout(() => stopWith(`timed out after ${limit} (--timeout) and never gave control back (a synchronous loop?), so verify stopped there`), input.timeoutMs + GRACE_MS);
    };
    arm();
    const settle = (then: () => void): void => {
      settled = true;
      clearTimeout(watchdog);
      ui.stopSpinner();
      void stopWorker(worker, () => ui.error(STILL_STOPPING))
        .then(() => writers.shutdown())
        .then(then);
    };
    stopWith = (reason, signalExit) => {
      if (!settled) settle(() => resolve({ reason, during, checks, signalExit }));
    };
    worker.on("message", (m: VerifyWorkerMessage) => {
      if (settled) return;
      switch (m.t) {
        case "secrets":
          secrets().add(m.values);
          for (const relay of relays) relay.release();
          break;
        case "ready":
          clearTimeout(watchdog);
          for (const relay of relays) relay.release();
          ui.info(`Verifying ${input.connectorFile} in scratch warehouses; the project's files/ is not touched.`);
          // The spinner appears a moment later (ora loads lazily): show the step reached by then.
          void ui.startSpinner("Starting").then(() => ui.spin(during));
          break;
        case "progress":
          during = m.message;
          if (ui.spinning) ui.spin(m.message);
          else ui.info(m.message);
          break;
        case "run":
          if (m.running) arm();
          else clearTimeout(watchdog);
          break;
        case "check":
          checks.push(m.check);
          break;
        case "usage-error":
          settle(() => reject(new UsageError(m.message)));
          break;
        case "done":
          settle(() => resolve(m.report));
          break;
      }
    });
    worker.on("error", (e: unknown) => stopWith(`verify stopped: ${e instanceof Error ? e.message : String(e)}`));
    worker.on("exit", (code) =>
      // 13: the worker's own top-level await never settled, which only the connector can cause.
      stopWith(code === 13 ? "the connector is waiting on a promise that nothing will ever settle" : `the worker stopped unexpectedly (exit code ${code})`),
    );
  });
  return { outcome, untrap };
}
