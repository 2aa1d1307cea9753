import fs from "node:fs";
import path from "node:path";
import { readConfigurationFile } from "../project/configuration.js";
import { checkPlainConfiguration } from "../sync/configuration-rules.js";
import { parseDuration } from "../util/duration.js";
import { ExitError, InterruptedError, UsageError } from "../util/errors.js";
import { fieldSecrets, resolveForm, type ResolvedForm } from "../setup/form.js";
import { buildConfiguration, fieldProblems, fillForm, presetValues, type Answers, type Ask } from "../setup/form-values.js";
import { loadConnector } from "../project/loader.js";
import { configurationFile, findConnectorFile, project, type Project } from "../project/project.js";
import { connectorSecrets } from "../util/secrets.js";
import { DEFAULT_TEST_TIMEOUT_MS, runSetupTests } from "../setup/setup-tests.js";
import { validateWith } from "../util/standard-schema.js";
import type { ConnectorDefinition } from "../sdk/connector.js";
import { httpRuntime } from "../sdk/http-hooks.js";
import { httpSecretsFile } from "../project/http-secrets.js";
import { writeFileAtomic } from "../state/state.js";
import { terminalAsk } from "../ui/form-prompt.js";
import { printJson, Ui } from "../ui/logger.js";
import { consoleToStderr, secrets, writeErr } from "../ui/output.js";
import { LineRelay } from "../util/line-relay.js";
import { canPrompt } from "../ui/prompt.js";
import { renderSetupTestLine, renderSetupTestSummary, type SetupTestReport } from "../ui/setup-test-report.js";
import { EndOfInput, TerminalReader } from "../ui/terminal-reader.js";

export interface ConfigurationOptions {
  set?: string[];
  yes?: boolean;
  test?: boolean;
  configuration?: string;
  timeout?: string;
  json?: boolean;
}

const shown = (file: string): string => path.relative(process.cwd(), file) || file;

/** `connector configuration [dir]`: asks for the setup form's fields and writes configuration.json; with --test, runs the setup tests. */
export async function configurationCommand(dir: string | undefined, opts: ConfigurationOptions): Promise<void> {
  if (!opts.test) {
    const only = [opts.json && "--json", opts.timeout !== undefined && "--timeout"].filter(Boolean);
    if (only.length) throw new UsageError(`${only.join(" and ")} go${only.length === 1 ? "es" : ""} with --test: \`connector configuration --test${only.includes("--json") ? " --json" : ""}\`.`);
  } else if (opts.set?.length) {
    throw new UsageError("--set fills fields when writing the configuration; --test only reads it. Run `connector configuration --set …` first, then `connector configuration --test`.");
  }
  const ui = new Ui({ json: Boolean(opts.json), verbose: false });
  const p = project(dir);
  const connectorFile = findConnectorFile(p);
  // The connector's top-level code runs here: its console output goes to stderr, never into --json.
  consoleToStderr((line) => ui.passthrough(line));
  const def = await loadConnector(connectorFile);
  const form = resolveForm(def, connectorFile);
  if (opts.test) await runTests(ui, p, connectorFile, def, form, opts);
  else await writeConfiguration(ui, p, connectorFile, def, form, opts);
}

async function writeConfiguration(ui: Ui, p: Project, connectorFile: string, def: ConnectorDefinition<unknown, unknown>, form: ResolvedForm, opts: ConfigurationOptions): Promise<void> {
  if (form.fields.length === 0) {
    throw new UsageError(
      def.configuration
        ? `The configuration schema of ${connectorFile} gives no fields to ask: it is not an object schema with properties, or its validator offers no JSON Schema (~standard.jsonSchema). Declare the fields with \`form: { fields: [...] }\` on the Connector (docs/api.md, Setup forms).`
        : `${connectorFile} declares no setup form and no configuration schema, so there is nothing to ask. Declare the fields with \`form: { fields: [{ name: "api_key", type: "password", required: true }] }\` on the Connector (docs/api.md, Setup forms), or a \`configuration\` schema; or write configuration.json by hand: a flat JSON object of strings.`,
    );
  }
  const target = configurationFile(p, opts.configuration) ?? path.join(p.dir, "configuration.json");
  const exists = fs.existsSync(target);
  const current = exists ? currentValues(ui, target) : {};
  const preset = presetValues(form.fields, opts.set ?? [], process.env);
  secrets().add([...fieldSecrets(form.fields, { ...current, ...preset }), ...(await connectorSecrets(def.configuration, { ...current, ...preset }))]);
  const interactive = canPrompt();
  if (exists && !opts.yes && !interactive) {
    throw new UsageError(`${shown(target)} exists, and there is no terminal to ask whether to replace it. Pass --yes to replace it.`);
  }

  let reader: TerminalReader | undefined;
  let answers: Answers;
  try {
    if (interactive) {
      reader = new TerminalReader();
      const origin = form.source === "schema" ? " (from its configuration schema)" : "";
      ui.info(`The setup form of ${shown(connectorFile)}${origin}: ${form.fields.length} field${form.fields.length === 1 ? "" : "s"}. Enter takes the value in brackets; Ctrl-C stops without writing anything.`);
      if (exists && !opts.yes) {
        writeErr(`${shown(target)} exists; its values are offered in brackets. Replace it when done? (y/N) `);
        // End of input is a no, as in `connector reset`.
        const answer = await reader.line(false).catch((e: unknown) => (e instanceof EndOfInput ? "" : Promise.reject(e)));
        if (!/^(y|yes)$/i.test(answer.trim())) {
          ui.info(`Nothing was written; ${shown(target)} is unchanged.`);
          return;
        }
      }
    }
    const schema = def.configuration;
    answers = await fillForm(form.fields, {
      preset,
      current,
      ...(reader ? { ask: hidingSecrets(terminalAsk(ui, reader, current)) } : {}),
      ...(schema ? { check: (name: string, a: Answers) => fieldProblems(schema, name, a) } : {}),
    });
  } catch (e) {
    if (e instanceof InterruptedError || e instanceof EndOfInput) {
      ui.info(`Stopped; nothing was written${exists ? `, and ${shown(target)} is unchanged` : ""}.`);
      if (e instanceof EndOfInput) throw new ExitError(1);
    }
    throw e;
  } finally {
    reader?.close();
  }
  for (const name of Object.keys(preset)) {
    if (!(name in answers)) ui.warn(`the value given for ${name} is not written: the form asks for ${name} only when ${conditionText(form, name)}.`);
  }
  secrets().add(fieldSecrets(form.fields, answers));
  const configuration = await buildConfiguration(answers, def.configuration, shown(target));
  secrets().add(await connectorSecrets(def.configuration, configuration));
  let mode = 0o600;
  try {
    mode = fs.statSync(target).mode & 0o777;
  } catch {
    // A new file: readable by its owner only, since it may hold credentials.
  }
  writeFileAtomic(target, JSON.stringify(configuration, null, 2) + "\n", mode);
  const count = Object.keys(configuration).length;
  ui.info(`Wrote ${shown(target)} (${count} value${count === 1 ? "" : "s"}).`);
  ui.info(form.tests.length ? "Next: `connector configuration --test` runs the connector's setup tests against it; `connector debug` syncs with it." : "Next: `connector debug` syncs with it.");
}

/** A secret answer is hidden from the moment it is typed: a schema's message about it may quote it. */
function hidingSecrets(ask: Ask): Ask {
  return async (field, initial, problem) => {
    const value = await ask(field, initial, problem);
    if (field.secret && value !== undefined) secrets().add([value]);
    return value;
  };
}

function conditionText(form: ResolvedForm, name: string): string {
  const field = form.fields.find((f) => f.name === name);
  return (field?.when ?? []).map((c) => (c.empty ? `${c.field} is empty` : `${c.field} is ${c.equals}`)).join(" and ");
}

/** The current file's values, offered as the defaults; a file that cannot be read offers none, and is replaced only if the user agrees. */
function currentValues(ui: Ui, file: string): Answers {
  let raw: unknown;
  try {
    raw = readConfigurationFile(file);
  } catch (e) {
    ui.warn(`${(e as Error).message}; its values are not offered.`);
    return {};
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return {};
  const out: Answers = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    else if (v !== null && v !== undefined) out[k] = JSON.stringify(v);
  }
  return out;
}

async function runTests(ui: Ui, p: Project, connectorFile: string, def: ConnectorDefinition<unknown, unknown>, form: ResolvedForm, opts: ConfigurationOptions): Promise<void> {
  if (form.tests.length === 0) {
    throw new UsageError(
      `${connectorFile} declares no setup tests. Add them to its form, each a function that throws to fail: \`form: { tests: { "Test connection": async (configuration) => { … } } }\` (docs/api.md, Setup forms).`,
    );
  }
  const timeoutMs = opts.timeout === undefined ? DEFAULT_TEST_TIMEOUT_MS : parseDuration(opts.timeout);
  const file = configurationFile(p, opts.configuration);
  if (!file) {
    throw new UsageError(`No configuration to test: ${path.join(p.dir, "configuration.json")} does not exist. Write it with \`connector configuration\`, or name a file with --configuration.`);
  }
  const configuration = readConfigurationFile(file);
  secrets().add([...(await connectorSecrets(def.configuration, configuration)), ...fieldSecrets(form.fields, configuration)]);
  // An invalid configuration stops here, as it stops `connector debug`.
  if (def.configuration) {
    const r = await validateWith(def.configuration, configuration);
    if (!r.ok) throw new UsageError(`Invalid configuration (${file}):\n  ${r.problems.join("\n  ")}`);
  } else checkPlainConfiguration(configuration, file);

  // A credential a test's HTTP client obtains (an OAuth access token) is hidden like a configured secret, as in a sync.
  httpRuntime().secret = (value) => secrets().add([value]);
  ui.info(`Running the setup tests of ${shown(connectorFile)} against ${shown(file)}:`);
  const results = await runSetupTests({ connectorFile, configuration, secretsFile: httpSecretsFile(connectorFile) }, form.tests, timeoutMs, {
    // What a test writes goes to stderr, line by line through the output boundary.
    attach: (...streams) => {
      for (const stream of streams) {
        const relay = new LineRelay((line) => ui.passthrough(line));
        relay.release();
        stream.on("data", (chunk: Buffer) => relay.push(chunk));
        stream.on("end", () => relay.end());
      }
    },
    finished: (r) => ui.info(renderSetupTestLine(r, ui.status)),
  });
  const report: SetupTestReport = { passed: results.every((r) => r.status === "pass"), configuration: file, tests: results };
  if (opts.json) printJson(report);
  else ui.info(renderSetupTestSummary(report));
  if (!report.passed) throw new ExitError(1);
}
