import { readConfigurationFile } from "../project/configuration.js";
import { ExitError, UsageError } from "../util/errors.js";
import { loadConnector } from "../project/loader.js";
import { namingOption } from "../normalize/naming-option.js";
import { configurationFile, findConnectorFile, project } from "../project/project.js";
import { cassetteDir } from "../replay/cassette.js";
import { scratchKind } from "../project/destination.js";
import { destinationOf } from "../destinations/registry.js";
import { compareOutcomes, writeOutcome, type Outcome } from "../replay/outcome.js";
import { loadOffline, openReplay, readOutcome, replayOutcome } from "../replay/run.js";
import { cassetteLabel } from "../replay/spec.js";
import { printJson, Ui } from "../ui/logger.js";
import { renderTestReport, type TestReport } from "../ui/test-report.js";

export interface TestOptions {
  project?: string;
  configuration?: string;
  naming?: string;
  update?: boolean;
  json?: boolean;
}

const totals = (o: Outcome) => ({ rows: Object.values(o.tables).reduce((n, t) => n + t.count, 0), tables: Object.keys(o.tables).length, checkpoints: o.checkpoints.length });

/** `connector test [name]`: replays a cassette from its recorded start state and compares the outcome with outcome.json. */
export async function testCommand(name: string | undefined, opts: TestOptions): Promise<void> {
  const ui = new Ui({ json: Boolean(opts.json), verbose: false });
  const p = project(opts.project);
  const connectorFile = findConnectorFile(p);
  const dir = cassetteDir(p.dir, name);
  const label = cassetteLabel(dir);
  const configFile = configurationFile(p, opts.configuration);
  const configuration = configFile ? readConfigurationFile(configFile) : {};
  const source = openReplay(dir, label);
  const expected = readOutcome(dir);
  if (!expected && !opts.update) {
    throw new UsageError(`The cassette ${label} has no expected outcome (${label}/outcome.json). Write it from a replay with \`connector test${name ? " " + name : ""} --update\`.`);
  }
  // Name tables as the recording did, unless told otherwise.
  const naming = opts.naming !== undefined || !expected ? namingOption(opts.naming) : (expected.naming ?? "fivetran");
  // Into a scratch warehouse of the project's kind (CONNECTOR_DESTINATION, or the one it has): outcome.json is the same for every destination.
  const destination = scratchKind(p);
  // A connector that does not load is a usage error, before anything is replayed; it loads offline, as the replay runs.
  await loadOffline(label, () => loadConnector(connectorFile));
  ui.info(`Replaying ${label} into a scratch ${destinationOf(destination).label} warehouse, from the recorded start state ${JSON.stringify(expected?.startState ?? {})}; the project's files/ is not touched.`);
  void ui.startSpinner("replaying");
  const run = await replayOutcome({ load: () => loadConnector(connectorFile), configuration, startState: expected?.startState ?? {}, source, naming, destination }).finally(() => ui.stopSpinner());
  const report: TestReport = { passed: false, cassette: label, requests: { recorded: run.recorded, served: run.served } };
  if (!run.outcome) {
    report.error = run.result.error?.message ?? "the sync failed";
  } else if (opts.update) {
    writeOutcome(dir, run.outcome);
    Object.assign(report, { passed: true, updated: true, totals: totals(run.outcome), ...(expected ? { regression: compareOutcomes(expected, run.outcome) } : {}) });
  } else {
    const regression = compareOutcomes(expected!, run.outcome);
    Object.assign(report, { passed: regression.passed, regression, totals: totals(run.outcome) });
  }
  if (opts.json) printJson(report);
  else {
    const pkOf = (t: string): string[] => expected?.tables[t]?.primaryKey ?? run.outcome?.tables[t]?.primaryKey ?? [];
    ui.info(renderTestReport(report, pkOf, ui.status));
  }
  if (!report.passed) throw new ExitError(1);
}
