import path from "node:path";
import { fileURLToPath } from "node:url";
import { readConfigurationFile } from "../core/configuration.js";
import { SyncEngine, type SyncResult } from "../core/engine.js";
import { ExitError, InterruptedError, UsageError } from "../core/errors.js";
import { prepareInputs } from "../core/inputs.js";
import { loadConnector } from "../core/loader.js";
import { acquireLock } from "../core/lock.js";
import { parseNaming } from "../core/naming.js";
import { configurationFile, findConnectorFile, project, stateSource } from "../core/project.js";
import { readStateFile } from "../core/state.js";
import { Warehouse } from "../core/warehouse.js";
import { totalOperations } from "../core/counts.js";
import { elapsed, num, renderFailure, renderProgressTable, renderTableBreakdown, truncate } from "../ui/format.js";
import { printJson, Ui } from "../ui/logger.js";

export interface DebugOptions {
  configuration?: string;
  state?: string;
  naming?: string;
  verbose?: boolean;
  json?: boolean;
}

const PACKAGE_ROOT = path.resolve(fileURLToPath(import.meta.url), "../../..");
const OWN_CODE = [path.join(PACKAGE_ROOT, "dist") + path.sep, path.join(PACKAGE_ROOT, "node_modules") + path.sep];

export async function debug(dir: string | undefined, opts: DebugOptions): Promise<void> {
  const ui = new Ui({ json: Boolean(opts.json), verbose: Boolean(opts.verbose) });
  const p = project(dir);
  const connectorFile = findConnectorFile(p);
  let naming;
  try {
    naming = parseNaming(opts.naming ?? (process.env.CONNECTOR_NAMING || "fivetran"));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const stateSrc = stateSource(p, opts.state);
  const configFile = configurationFile(p, opts.configuration);
  const resetHint = `connector reset${dir ? " " + dir : ""}${opts.state ? " --state " + opts.state : ""}`;
  const release = acquireLock(p.lockFile, "debug");
  let warehouse: Warehouse | undefined;
  try {
    const rawState = readStateFile(stateSrc, resetHint);
    const rawConfig = configFile ? readConfigurationFile(configFile) : {};
    const definition = await loadConnector(connectorFile);
    const inputs = await prepareInputs(definition, rawConfig, rawState, { configurationFile: configFile, stateFile: stateSrc.file, resetHint });
    warehouse = Warehouse.open(p.warehouse);

    ui.info(`Connector: ${connectorFile}`);
    ui.info(`Configuration: ${configFile ?? "none ({})"}`);
    ui.info(`Warehouse: ${p.warehouse}`);
    ui.info(`State file: ${stateSrc.file}`);
    ui.info(`Previous state:\n${JSON.stringify(rawState, null, 2)}`);
    for (const w of inputs.warnings) ui.warn(w);

    const engine: SyncEngine = new SyncEngine({
      definition,
      configuration: inputs.configuration,
      state: inputs.state,
      warehouse,
      stateFile: stateSrc.file,
      naming,
      checkState: inputs.checkState,
      logger: { log: (level, message) => ui.log(level, message) },
      events: {
        warning: (m) => ui.warn(m),
        checkpoint: (c) => {
          if (ui.spinning || opts.json) return;
          const ops = Object.values(c.operations).reduce((n, t) => n + totalOperations(t), 0);
          ui.info(`Checkpoint ${c.seq}: committed ${num(ops)} operation(s); state ${truncate(JSON.stringify(c.state), 200)}`);
        },
      },
    });

    const started = Date.now();
    ui.startSpinner("Starting update()");
    const ticker = setInterval(() => {
      const c = engine.counts;
      const ops = totalOperations(c);
      const secs = (Date.now() - started) / 1000;
      ui.spin(`Syncing: ${num(ops)} operations · ${num(Math.round(ops / Math.max(secs, 0.001)))} ops/s · ${num(c.checkpoints)} checkpoints · ${elapsed(Date.now() - started)}`);
    }, 100);
    ticker.unref();

    const onSignal = (signal: "SIGINT" | "SIGTERM"): void => {
      clearInterval(ticker);
      engine.interrupt(signal);
      warehouse?.close();
      release();
      ui.stopSpinner();
      finish(ui, { ...snapshot(engine), status: "failed", error: new InterruptedError(signal) }, p.warehouse, opts);
      process.exit(signal === "SIGINT" ? 130 : 143);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);

    let result: SyncResult;
    try {
      result = await engine.run();
    } finally {
      clearInterval(ticker);
      ui.stopSpinner();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    result.warnings.unshift(...inputs.warnings);
    finish(ui, result, p.warehouse, opts);
    if (result.status === "failed") throw new ExitError(1);
  } finally {
    warehouse?.close();
    release();
  }
}

function snapshot(engine: SyncEngine): SyncResult {
  return { status: "failed", counts: engine.counts, previousState: {}, state: {}, checkpoints: engine.checkpoints, warnings: engine.warnings, durationMs: 0 };
}

function finish(ui: Ui, r: SyncResult, warehouse: string, opts: DebugOptions): void {
  const reason = r.error ? renderFailure(r.error, (frame) => OWN_CODE.some((dir) => frame.includes(dir))) : undefined;
  if (opts.json) {
    printJson({
      status: r.status,
      ...(reason ? { error: reason } : {}),
      counts: r.counts,
      previousState: r.previousState,
      state: r.state,
      warnings: r.warnings,
      durationMs: r.durationMs,
      warehouse,
    });
    if (reason) ui.error(`Sync FAILED: ${reason}`);
    return;
  }
  ui.info("");
  ui.info(renderProgressTable(r.counts));
  const breakdown = renderTableBreakdown(r.counts);
  if (breakdown) ui.info("\n" + breakdown);
  ui.info("");
  if (r.status === "succeeded") {
    ui.info(`State: ${truncate(JSON.stringify(r.state), 400)}`);
    ui.info(ui.color.green(`Sync SUCCEEDED in ${elapsed(r.durationMs)}`));
  } else {
    ui.error(`Sync FAILED: ${reason}`);
  }
}
