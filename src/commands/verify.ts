import { readConfigurationFile } from "../project/configuration.js";
import { parseDuration } from "../util/duration.js";
import { ExitError, UsageError } from "../util/errors.js";
import { namingOption } from "../normalize/naming-option.js";
import { configurationFile, findConnectorFile, project, type Project } from "../project/project.js";
import { configurationSecrets } from "../util/secrets.js";
import { commandDestination, PROJECT_KINDS, scratchKind } from "../project/destination.js";
import { allDestinations, destinationOf } from "../destinations/registry.js";
import { listCassettes } from "../replay/cassette.js";
import { httpSpec } from "../replay/spec.js";
import type { HttpSpec } from "../replay/run.js";
import { VerifyRun, type Stopped, type VerifyView } from "../host/verify-run.js";
import type { CheckName, CheckResult, ScratchTarget, VerifyReport } from "../verify/verify.js";
import { printJson, Ui } from "../ui/logger.js";
import { secrets, stripEscapes } from "../ui/output.js";
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

const STILL_STOPPING = "Waiting for the connector to stop: it is blocked in a synchronous call outside JavaScript. Press Ctrl-C to exit without waiting.";
const CHECKS: CheckName[] = ["baseline", "incremental", "interrupted", "reset"];

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
  announceCassette(ui, p.dir, cassette);
  const destination = scratchDestination(ui, p, opts);
  const replay = cassette ? { dir: cassette.dir, label: cassette.label } : undefined;
  const run = new VerifyRun({ connectorFile, configuration, trials, seed, naming, timeoutMs, destination, ...(replay ? { replay } : {}) }, verifyView(ui, connectorFile));
  try {
    report(ui, clean(await run.outcome), seed, Boolean(opts.json));
  } finally {
    await run.close();
  }
}

/** Says which cassette every run replays, or that the project has one that --replay would use. */
function announceCassette(ui: Ui, dir: string, cassette: HttpSpec | undefined): void {
  if (cassette) return ui.info(`Every run replays HTTP from ${cassette.label}/: offline, and the same source every time.`);
  const names = listCassettes(dir);
  if (!names.length) return;
  const flag = names.includes("default") ? "--replay" : `--replay ${names[0]}`;
  ui.info(`This project has a recorded cassette (fixtures/${names.includes("default") ? "default" : names[0]}/): \`connector verify ${flag}\` runs every check against it, offline and deterministic.`);
}

/** Where verify's syncs write: scratch warehouses of the chosen kind, or beside a destination named with --destination that takes them (a server: a scratch schema per sync). */
function scratchDestination(ui: Ui, p: Project, opts: VerifyOptions): ScratchTarget {
  // A bare kind (`--destination duckdb`) names scratch warehouses of that kind, not the project's own file.
  const kindOnly = opts.destination !== undefined && (PROJECT_KINDS as readonly string[]).includes(opts.destination.trim().toLowerCase());
  const target = kindOnly ? undefined : commandDestination(p, opts.destination, opts.name);
  if (target?.password) secrets().add([target.password]);
  if (!target) return { kind: scratchKind(p, opts.destination) };
  const kind = destinationOf(target.spec);
  const place = { dir: "", id: Math.random().toString(36).slice(2, 10), beside: target.spec };
  if (!kind.scratch(place, "baseline")) {
    const servers = allDestinations().filter((m) => !m.projectFile).map((m) => `a ${m.label} URL`);
    throw new UsageError(`verify --destination takes ${PROJECT_KINDS.join(", ")} or ${servers.join(" or ")}; ${target.location} is a file, and verify never writes to a real warehouse file.`);
  }
  const note = kind.scratchNote?.(place);
  if (note) ui.info(note);
  return { kind: kind.kind, beside: target.spec, id: place.id };
}

/** The report, or for a verify that did not finish, the checks it did and where it stopped; exits 1 unless it passed. */
function report(ui: Ui, result: VerifyReport | Stopped, seed: number, json: boolean): void {
  if ("passed" in result) {
    if (json) printJson(result);
    else ui.info("\n" + renderVerifyReport(result, ui.status));
    if (!result.passed) throw new ExitError(1);
    return;
  }
  const checks = unfinished(result);
  const verdict = result.signalExit
    ? `VERIFY INTERRUPTED during ${result.during} (seed ${seed}; rerun with --seed ${seed} to repeat); its scratch folder was removed.`
    : undefined;
  if (json) {
    printJson({ passed: false, seed, stopped: { reason: result.reason, during: result.during }, checks });
    if (verdict) ui.error(verdict);
  } else {
    ui.info("\n" + renderVerifyReport({ passed: false, seed, operations: 0, checkpoints: 0, checks, trials: [] }, ui.status, verdict));
  }
  throw new ExitError(result.signalExit ?? 1);
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

/** How verify shows its run: a spinner with the step it is on, else a line per step. */
function verifyView(ui: Ui, connectorFile: string): VerifyView {
  return {
    secrets: (values) => secrets().add(values),
    ready(step) {
      ui.info(`Verifying ${connectorFile} in scratch warehouses; the project's files/ is not touched.`);
      // The spinner appears a moment later (ora loads lazily): show the step reached by then.
      void ui.startSpinner("Starting").then(() => ui.spin(step()));
    },
    progress: (message) => (ui.spinning ? ui.spin(message) : ui.info(message)),
    output: (line) => ui.passthrough(line),
    stopping: () => ui.stopSpinner(),
    slowStop: () => ui.error(STILL_STOPPING),
    forced(step) {
      ui.stopSpinner();
      ui.error(`Interrupted again during ${step}: exiting without waiting for the sync to stop; its scratch folder was removed.`);
    },
  };
}
