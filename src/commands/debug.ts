import path from "node:path";
import { fileURLToPath } from "node:url";
import { readConfigurationFile } from "../project/configuration.js";
import { configurationSecrets } from "../util/secrets.js";
import { totalOperations } from "../sync/counts.js";
import { parseDuration } from "../util/duration.js";
import { ExitError, UsageError } from "../util/errors.js";
import { parseSize } from "../util/size.js";
import { crashDetails, writeCrashReport } from "../project/crash-reports.js";
import { chooseDestination, describeWarehouse, destinationFiles } from "../project/destination.js";
import { projectRelative, recordedDestination, runRecord, saveRunRecord } from "../project/run-records.js";
import { lockProjectAndWarehouses } from "../project/lock.js";
import { namingOption } from "../normalize/naming-option.js";
import { configurationFile, findConnectorFile, project, stateSource } from "../project/project.js";
import { SyncRun } from "../host/sync-run.js";
import type { Outcome, SyncView } from "../host/sync-view.js";
import { DEFAULT_MEMORY_LIMIT, type EarlyWorker } from "../host/worker-start.js";
import { readStateFile } from "../state/state.js";
import type { WorkerInput } from "../host/protocol.js";
import type { ErrorInfo } from "../util/thrown.js";
import { newLiveCounts, Slot } from "../sync/live-counts.js";
import { crashReportNotice, elapsed, num, renderFailure, renderPeakMemory, renderProgressTable, renderSchemaChanges, renderTableBreakdown, truncate, type CrashNotice } from "../ui/format.js";
import { printJson, Ui } from "../ui/logger.js";
import { secrets, stripEscapes } from "../ui/output.js";
import { followUp, type FollowUp } from "../project/follow-up.js";
import { renderReloadAdvice } from "../ui/way-out.js";

export interface DebugOptions {
  configuration?: string;
  state?: string;
  naming?: string;
  timeout?: string;
  destination?: string;
  verbose?: boolean;
  json?: boolean;
  record?: string | boolean;
  /** With --record: replace an existing cassette without asking. */
  yes?: boolean;
  replay?: string | boolean;
  memoryLimit?: string;
}

const STILL_STOPPING = "Waiting for the connector to stop: it is blocked in a synchronous call outside JavaScript. Press Ctrl-C to exit without waiting.";

const PACKAGE_ROOT = path.resolve(fileURLToPath(import.meta.url), "../../..");
const OWN_CODE = [path.join(PACKAGE_ROOT, "dist") + path.sep, path.join(PACKAGE_ROOT, "node_modules") + path.sep];

export async function debug(dir: string | undefined, opts: DebugOptions, early?: EarlyWorker): Promise<void> {
  const ui = new Ui({ json: Boolean(opts.json), verbose: Boolean(opts.verbose) });
  const p = project(dir);
  const connectorFile = findConnectorFile(p);
  const naming = namingOption(opts.naming);
  const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
  const memoryLimit = opts.memoryLimit === undefined ? DEFAULT_MEMORY_LIMIT : parseSize(opts.memoryLimit, "--memory-limit");
  const stateSrc = stateSource(p, opts.state);
  const configFile = configurationFile(p, opts.configuration);
  const http = opts.record || opts.replay ? (await import("../replay/spec.js")).httpSpec("debug", p.dir, dir !== undefined, opts.record, opts.replay) : undefined;
  if (http?.mode === "record" && !(await mayReplace(ui, http.dir, http.label, opts))) return;
  const follow = followUp({ dir, state: stateSrc });
  const resetHint = `connector reset${follow.dir}${follow.reset}`;
  const destination = chooseDestination(p, opts.destination);
  const warehouse = describeWarehouse(destination);
  const release = lockProjectAndWarehouses(p, "debug", destinationFiles(destination).slice(0, 1));
  let run: SyncRun | undefined;
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
      ui.info(`Warehouse: ${warehouse.location}${warehouse.note ? ` (${warehouse.note})` : ""}`);
      ui.info(`State file: ${stateSrc.file}`);
      ui.info(`Previous state:\n${JSON.stringify(state, null, 2)}`);
      if (http) ui.info(http.mode === "record" ? `Recording every HTTP request to ${http.label}/` : `Replaying HTTP from ${http.label}/: no request goes to the network`);
      for (const w of warnings) ui.warn(w);
    };
    run = new SyncRun(input, debugView(ui, input, header, Boolean(opts.json)), { timeoutMs, release, memoryLimit, early });
    const outcome = await run.outcome;
    const reason = outcome.error ? failureText(outcome.error, follow, outcome.state) : undefined;
    const saved = outcome.status === "failed" && outcome.error && isCrash(outcome.error) ? writeCrashReport(p.dir, crashDetails(outcome, reason!), (value) => secrets().value(value)) : undefined;
    const crash = saved ? crashReportNotice(saved) : {};
    const crashReport = saved?.file === undefined ? undefined : projectRelative(p.dir, saved.file);
    const recorded = saveRunRecord(p.dir, runRecord(outcome, { command: "debug", destination: recordedDestination(p.dir, destination), crashReport }, (value) => secrets().value(value)));
    if (recorded.warning) ui.warn(recorded.warning);
    finish(ui, outcome, reason, warehouse.location, Boolean(opts.json), Boolean(opts.verbose), crash);
    if (outcome.signalExit) throw new ExitError(outcome.signalExit);
    if (outcome.status === "failed" || outcome.http?.error) throw new ExitError(1);
  } finally {
    release();
    run?.close();
  }
}

/** Whether --record may go on where a cassette already is: --yes, else the person at the terminal says so; with no terminal, a usage error. */
async function mayReplace(ui: Ui, dir: string, label: string, opts: DebugOptions): Promise<boolean> {
  const held = (await import("../replay/existing-cassette.js")).existingCassette(dir);
  if (!held || opts.yes) return true;
  const { canPrompt, confirm } = await import("../ui/prompt.js");
  const other = `connector debug --record <another-name>`;
  if (!canPrompt()) {
    throw new UsageError(`${label}/ already holds ${held}, which --record would replace. Pass --yes to replace it, or record under another name: \`${other}\`.`);
  }
  if (await confirm(`${label}/ already holds ${held}. Record over it?`)) return true;
  ui.info(`Recording cancelled; ${label}/ is unchanged. To keep both, record under another name: \`${other}\`.`);
  return false;
}

/** How debug shows a run: a header, a spinner with live counts on a terminal, else a line per checkpoint. */
function debugView(ui: Ui, input: WorkerInput, header: (warnings: string[]) => void, json: boolean): SyncView {
  const live = new Float64Array(input.liveCounts);
  const started = Date.now();
  let ticker: NodeJS.Timeout | undefined;
  return {
    secrets: (values) => secrets().add(values),
    ready(warnings) {
      header(warnings);
      void ui.startSpinner("Starting update()");
      ticker = setInterval(() => ui.spin(progressLine(live, Date.now() - started)), 100);
    },
    log: (level, message) => ui.log(level, message),
    checkpoint(info) {
      if (!ui.spinning && !json) {
        const ops = Object.values(info.operations).reduce((n, t) => n + totalOperations(t), 0);
        ui.info(`Checkpoint ${info.seq}: committed ${num(ops)} operation(s); state ${truncate(JSON.stringify(secrets().value(info.state)), 200)}`);
      }
    },
    output: (line) => ui.passthrough(line),
    settled() {
      if (ticker) clearInterval(ticker);
      ui.stopSpinner();
    },
    slowStop: () => ui.error(STILL_STOPPING),
    forced() {
      ui.stopSpinner();
      ui.error(`Interrupted again: exiting without waiting for the sync to stop. The warehouse is rolled back to the last checkpoint when it is next opened.`);
    },
  };
}

function progressLine(live: Float64Array, ms: number): string {
  const ops = live[Slot.upserts]! + live[Slot.updates]! + live[Slot.deletes]! + live[Slot.truncates]!;
  const rate = Math.round(ops / Math.max(ms / 1000, 0.001));
  return `Syncing: ${num(ops)} operations · ${num(rate)} ops/s · ${num(live[Slot.checkpoints]!)} checkpoints · ${elapsed(ms)}`;
}

/** The failure, and for one whose way out is to reload a table, how, with this run's project folder and state file. */
function failureText(error: ErrorInfo, follow: FollowUp, state: object): string {
  const text = renderFailure(error, (frame) => OWN_CODE.some((dir) => frame.includes(dir)));
  return error.reloadTable === undefined ? text : `${text}\n${renderReloadAdvice(error.reloadTable, follow, Object.keys(state).length === 0)}`;
}

/** A failure worth a crash report: not one the connector reported with op.error, a stop the user asked for, or a table to load again (its way out is printed). */
const isCrash = (error: ErrorInfo): boolean =>
  error.name !== "ConnectorError" && error.name !== "Interrupted" && error.reloadTable === undefined;

function finish(ui: Ui, r: Outcome, reason: string | undefined, warehouse: string, json: boolean, verbose: boolean, crash: CrashNotice): void {
  if (json) {
    // printJson hides secrets; messages also lose any terminal escapes the connector put in them.
    printJson({
      status: r.status,
      ...(reason ? { error: stripEscapes(reason) } : {}),
      counts: r.counts,
      ...(r.counts.http ? { http: r.counts.http } : {}),
      previousState: r.previousState,
      state: r.state,
      warnings: r.warnings.map((w) => stripEscapes(w)),
      schemaChanges: r.schemaChanges,
      durationMs: r.durationMs,
      warehouse,
      ...(r.http ? { cassette: r.http } : {}),
      ...(r.memory ? { memory: r.memory } : {}),
      ...(crash.file ? { crashReport: crash.file } : {}),
    });
    if (reason) ui.error(`Sync FAILED: ${reason}`);
    if (crash.line) ui.error(crash.line);
    if (crash.warning) ui.warn(crash.warning);
    if (r.http?.error) ui.error(`Recording FAILED: ${r.http.error}`);
    return;
  }
  ui.info("");
  ui.info(renderProgressTable(r.counts));
  const breakdown = renderTableBreakdown(r.counts);
  if (breakdown) ui.info("\n" + breakdown);
  const changes = renderSchemaChanges(r.schemaChanges, verbose);
  if (changes) ui.info("\n" + changes);
  ui.info("");
  for (const w of r.warnings.slice(r.inputWarnings ?? 0)) ui.warn(w);
  if (r.status === "succeeded") {
    ui.info(`State: ${truncate(JSON.stringify(secrets().value(r.state)), 400)}`);
    ui.info(ui.status(`Sync SUCCEEDED in ${elapsed(r.durationMs)}`));
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
  if (crash.line) ui.error(crash.line);
  if (crash.warning) ui.warn(crash.warning);
  if (r.memory) ui.info(renderPeakMemory(r.memory));
}
