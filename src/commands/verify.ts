import { readConfigurationFile } from "../core/configuration.js";
import { ExitError, UsageError } from "../core/errors.js";
import { loadConnector } from "../core/loader.js";
import { namingOption } from "../core/naming.js";
import { configurationFile, findConnectorFile, project } from "../core/project.js";
import { listCassettes } from "../core/replay/cassette.js";
import { httpSpec } from "../core/replay/spec.js";
import { verify } from "../core/verify.js";
import { connectorSecrets } from "../core/redact.js";
import { printJson, Ui } from "../ui/logger.js";
import { consoleToStderr, secrets, stripEscapes } from "../ui/output.js";
import { renderVerifyReport } from "../ui/verify-report.js";

export interface VerifyOptions {
  configuration?: string;
  trials?: string;
  seed?: string;
  naming?: string;
  json?: boolean;
  replay?: string | boolean;
}

function wholeNumber(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} takes a whole number of at least ${min}, got ${JSON.stringify(value)}`);
  return n;
}

export async function verifyCommand(dir: string | undefined, opts: VerifyOptions): Promise<void> {
  const ui = new Ui({ json: Boolean(opts.json), verbose: false });
  const p = project(dir);
  const connectorFile = findConnectorFile(p);
  const trials = wholeNumber("--trials", opts.trials, 1);
  const seed = wholeNumber("--seed", opts.seed, 0);
  const naming = namingOption(opts.naming);
  const configFile = configurationFile(p, opts.configuration);
  const configuration = configFile ? readConfigurationFile(configFile) : {};
  // The connector runs in this process: its console output goes to stderr, never into the --json report.
  consoleToStderr((line) => ui.passthrough(line));
  const cassette = httpSpec("verify", p.dir, dir !== undefined, undefined, opts.replay);
  const replay = cassette ? (await import("../core/replay/run.js")).openReplay(cassette.dir, cassette.label) : undefined;
  // Fail on a connector that does not load before any scratch run starts.
  const def = await loadConnector(connectorFile);
  secrets().add(await connectorSecrets(def.configuration, configuration));
  ui.info(`Verifying ${connectorFile} in scratch warehouses; the project's files/ is not touched.`);
  if (cassette) ui.info(`Every run replays HTTP from ${cassette.label}/: offline, and the same source every time.`);
  else {
    const names = listCassettes(p.dir);
    if (names.length) {
      const flag = names.includes("default") ? "--replay" : `--replay ${names[0]}`;
      ui.info(`This project has a recorded cassette (fixtures/${names.includes("default") ? "default" : names[0]}/): \`connector verify ${flag}\` runs every check against it, offline and deterministic.`);
    }
  }
  void ui.startSpinner("baseline");
  const found = await verify({
    load: () => loadConnector(connectorFile),
    configuration,
    trials,
    seed,
    naming,
    ...(replay ? { replay } : {}),
    progress: (m) => (ui.spinning ? ui.spin(m) : ui.info(m)),
  }).finally(() => ui.stopSpinner());
  // Secrets hidden before the report is cut into 40-character cells; no terminal escapes in the details.
  const report = secrets().value({ ...found, checks: found.checks.map((c) => ({ ...c, detail: stripEscapes(c.detail) })) });
  if (opts.json) printJson(report);
  else {
    const mark = (s: string): string => (s === "PASS" ? ui.color.green(s) : s === "FAIL" ? ui.color.red(s) : s === "WARN" ? ui.color.yellow(s) : s);
    ui.info("\n" + renderVerifyReport(report, mark));
  }
  if (!report.passed) throw new ExitError(1);
}
