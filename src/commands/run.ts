import path from "node:path";
import { fileURLToPath } from "node:url";
import { readConfigurationFile } from "../project/configuration.js";
import { configurationSecrets } from "../util/secrets.js";
import { parseDuration } from "../util/duration.js";
import { ExitError, UsageError } from "../util/errors.js";
import { parseSize } from "../util/size.js";
import { lockProjectAndWarehouses } from "../project/lock.js";
import { namingOption } from "../normalize/naming-option.js";
import { configurationFile, findConnectorFile, project, stateSource } from "../project/project.js";
import { connectorName, destinationFiles, runDestination } from "../project/destination.js";
import { destinationOf } from "../destinations/registry.js";
import { SyncRun } from "../host/sync-run.js";
import type { Outcome, SyncView } from "../host/sync-view.js";
import { waitUnlessStopped } from "../host/signals.js";
import { DEFAULT_MEMORY_LIMIT } from "../host/worker-start.js";
import type { WorkerInput } from "../host/protocol.js";
import { readStateFile, type StateObject } from "../state/state.js";
import { newLiveCounts } from "../sync/live-counts.js";
import { crashDetails, writeCrashReport } from "../project/crash-reports.js";
import { projectRelative, recordedDestination, runRecord, saveRunRecord } from "../project/run-records.js";
import type { ErrorInfo } from "../util/thrown.js";
import { crashReportNotice, renderFailure } from "../ui/format.js";
import { runOutput, type RunOutput } from "../ui/run-output.js";
import { secrets } from "../ui/output.js";
import { followUp } from "../project/follow-up.js";
import { renderReloadAdvice } from "../ui/way-out.js";

export interface RunOptions {
  destination?: string;
  name?: string;
  configuration?: string;
  state?: string;
  naming?: string;
  timeout?: string;
  retries?: string;
  retryDelay?: string;
  logFormat?: string;
  verbose?: boolean;
  json?: boolean;
  memoryLimit?: string;
}

const PACKAGE_ROOT = path.resolve(fileURLToPath(import.meta.url), "../../..");
const OWN_CODE = [path.join(PACKAGE_ROOT, "dist") + path.sep, path.join(PACKAGE_ROOT, "node_modules") + path.sep];
/** The longest back-off between two attempts. */
const MAX_DELAY_MS = 10 * 60_000;

/** `connector run`: the sync of `connector debug`, into a production destination, for cron, systemd and Kubernetes. */
export async function run(dir: string | undefined, opts: RunOptions): Promise<void> {
  const format = opts.logFormat ?? "plain";
  if (format !== "plain" && format !== "json") throw new UsageError(`--log-format must be "plain" or "json", got ${JSON.stringify(opts.logFormat)}`);
  // A usage error is the error boundary's to print, as a JSON line under --log-format json (cli.ts).
  await runWith(dir, opts, runOutput(format, { verbose: Boolean(opts.verbose), json: Boolean(opts.json) }));
}

async function runWith(dir: string | undefined, opts: RunOptions, out: RunOutput): Promise<void> {
  const p = project(dir);
  const connectorFile = findConnectorFile(p);
  const name = connectorName(p, opts.name);
  const target = runDestination(p, opts.destination, name);
  if (target.password) secrets().add([target.password]);
  const naming = namingOption(opts.naming);
  const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
  const retries = opts.retries === undefined ? 0 : Number(opts.retries);
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) throw new UsageError(`--retries takes a whole number from 0 to 100, got ${JSON.stringify(opts.retries)}`);
  const baseDelay = opts.retryDelay === undefined ? 1000 : parseDuration(opts.retryDelay);
  const memoryLimit = opts.memoryLimit === undefined ? DEFAULT_MEMORY_LIMIT : parseSize(opts.memoryLimit, "--memory-limit");
  const configFile = configurationFile(p, opts.configuration);
  const configuration = configFile ? readConfigurationFile(configFile) : {};
  secrets().add(configurationSecrets(undefined, configuration));
  const kind = destinationOf(target.spec);
  const keepsState = Boolean(kind.capabilities.stateInDestination);
  const stateSrc = keepsState ? (opts.state !== undefined || process.env.CONNECTOR_STATE ? stateSource(p, opts.state) : undefined) : stateSource(p, opts.state);
  const follow = followUp({ dir, state: stateSrc, target, name });
  const resetHint = `connector reset${follow.dir}${follow.reset}`;
  // A file destination: the project's lock (its state file) and the file's (any project may name it). A destination with its own lock (PostgreSQL's advisory lock) takes it itself.
  const release = kind.ownLock ? () => {} : lockProjectAndWarehouses(p, "run", destinationFiles(target.spec).slice(0, 1));
  const header = { connector: connectorFile, name, destination: target.location, from: target.from, configuration: configFile, stateFile: keepsState ? undefined : stateSrc?.file };
  const attempts = retries + 1;
  try {
    for (let attempt = 1; ; attempt++) {
      // Read again at every attempt: a state file moved on with each checkpoint. (PostgreSQL: a seed, used until a checkpoint is committed.)
      const state: StateObject = stateSrc ? readStateFile(stateSrc, resetHint) : {};
      const input: WorkerInput = {
        connectorFile,
        configuration,
        configurationFile: configFile,
        state,
        ...(keepsState ? {} : { stateFile: stateSrc!.file }),
        resetHint,
        destination: target.spec,
        naming,
        liveCounts: newLiveCounts(),
      };
      out.start(header, attempt, attempts);
      const sync = new SyncRun(input, runView(out, state, keepsState), { timeoutMs, release, memoryLimit });
      let outcome: Outcome;
      try {
        outcome = await sync.outcome;
      } finally {
        sync.close();
      }
      let reason = outcome.error ? renderFailure(outcome.error, (frame) => OWN_CODE.some((d) => frame.includes(d))) : undefined;
      if (outcome.error?.reloadTable !== undefined) reason += `\n${renderReloadAdvice(outcome.error.reloadTable, follow, Object.keys(outcome.state).length === 0)}`;
      // A table that must be loaded again fails the same way at every attempt: it is reported at once.
      if (outcome.status === "succeeded" || outcome.signalExit || attempt === attempts || outcome.error?.reloadTable !== undefined) {
        const saved = outcome.error && reason && isCrash(outcome.error) ? writeCrashReport(p.dir, crashDetails(outcome, reason), (value) => secrets().value(value)) : undefined;
        const crash = saved ? crashReportNotice(saved) : undefined;
        record(p.dir, outcome, attempt, target, saved?.file, out);
        out.report({ outcome, reason, destination: target.location, name, attempts: attempt, crash });
        if (outcome.signalExit) throw new ExitError(outcome.signalExit);
        if (outcome.status === "failed") throw new ExitError(1);
        return;
      }
      record(p.dir, outcome, attempt, target, undefined, out);
      const delayMs = Math.min(baseDelay * 2 ** (attempt - 1), MAX_DELAY_MS);
      out.retry({ attempt, attempts, reason: reason ?? "failed", delayMs });
      await waitUnlessStopped(delayMs);
    }
  } finally {
    release();
  }
}

/** A failure worth a crash report, as for debug: not one the connector reported with op.error, a stop the user asked for, or a table to load again (its way out is printed). */
const isCrash = (error: ErrorInfo): boolean => error.name !== "ConnectorError" && error.name !== "Interrupted" && error.reloadTable === undefined;

/** Adds the attempt to the project's run records (files/runs.jsonl), for `connector ui`; a folder that cannot take it is a warning. */
function record(dir: string, outcome: Outcome, attempt: number, target: ReturnType<typeof runDestination>, crashFile: string | undefined, out: RunOutput): void {
  // A server is named as `connector ui --destination` names it, so the view finds its runs.
  const destination = destinationFiles(target.spec).length ? recordedDestination(dir, target.spec) : { kind: target.spec.kind, location: target.location };
  const crashReport = crashFile === undefined ? undefined : projectRelative(dir, crashFile);
  const saved = saveRunRecord(dir, runRecord(outcome, { command: "run", destination, attempt, crashReport }, (value) => secrets().value(value)));
  if (saved.warning) out.warning(saved.warning);
}

function runView(out: RunOutput, state: StateObject, keepsState: boolean): SyncView {
  return {
    secrets: (values) => secrets().add(values),
    // A destination that keeps the state says which one the sync starts from; a state file was read here.
    ready: (warnings, stored) => out.ready(keepsState ? (stored ?? state) : state, warnings),
    log: (level, message) => out.log(level, message),
    warning: (message) => out.warning(message),
    checkpoint: (info) => out.checkpoint(info),
    output: (line) => out.output(line),
    settled: () => {},
    slowStop: () => out.note("Waiting for the connector to stop: it is blocked in a synchronous call outside JavaScript. Send the signal again to exit without waiting."),
    forced: () => out.note("Interrupted again: exiting without waiting for the sync to stop. The destination keeps what the last checkpoint committed; the rest is rolled back."),
  };
}
