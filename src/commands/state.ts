import { readConfigurationFile } from "../project/configuration.js";
import { addByTable, totalOperations, type TableCounts } from "../sync/counts.js";
import { plural } from "../util/describe.js";
import { UsageError } from "../util/errors.js";
import { parseJsonExact } from "../util/exact.js";
import { loadConnector } from "../project/loader.js";
import { configurationFile, findConnectorFile, project, requireFilesDir, requireProjectDir, stateSource } from "../project/project.js";
import { checkpointState, checkStateValue, connectorState, roundedWarning, unsafeIntegers, type ConnectorState } from "../project/state-store.js";
import { configurationSecrets, connectorSecrets, mayHoldUnmarkedSecrets } from "../util/secrets.js";
import { validateWith } from "../util/standard-schema.js";
import path from "node:path";
import { didYouMean, undeclaredKeys } from "../state/schema-keys.js";
import { diffStates, formatPath, parseCliValue, parsePath, setAt, unsetAt } from "../state/edit.js";
import { formatBytes, isPlainObject, readStateFile, StateValueError, type StateObject } from "../state/state.js";
import { commandDestination } from "../project/destination.js";
import { num, renderAligned } from "../ui/format.js";
import { printJson, Ui } from "../ui/logger.js";
import { consoleToStderr, printJsonArray, secrets, writeErr, writeOut } from "../ui/output.js";
import { colorJson, describeOps, formatChange, showValue } from "../ui/state-render.js";

export interface StateOptions {
  project?: string;
  state?: string;
  json?: boolean;
  file?: string;
  configuration?: string;
  destination?: string;
  name?: string;
}

interface Context {
  ui: Ui;
  store: ConnectorState;
}

function context(opts: StateOptions): Context {
  const p = project(opts.project);
  requireProjectDir(p);
  requireFilesDir(p);
  const target = commandDestination(p, opts.destination, opts.name);
  if (target?.password) secrets().add([target.password]);
  return { ui: new Ui({ json: Boolean(opts.json), verbose: false }), store: connectorState(p, stateSource(p, opts.state), target) };
}

export async function stateShow(opts: StateOptions): Promise<void> {
  const c = context(opts);
  const { store } = c;
  const state = await store.read();
  if (!(await store.exists())) {
    c.ui.info(store.store.absent);
  }
  const rounded = unsafeIntegers(state);
  if (rounded.length) c.ui.warn(roundedWarning(rounded));
  if (process.stdout.isTTY && !opts.json) {
    writeOut(colorJson(secrets().value(state), c.ui.color.cyan) + "\n");
  } else {
    printJson(state);
  }
}

export async function stateHistory(opts: StateOptions): Promise<void> {
  const c = context(opts);
  await c.store.withReader(async (reader) => {
    if (opts.json) {
      const entries = async function* () {
        for await (const r of reader.eachCheckpoint({ states: true })) {
          yield { seq: r.seq, run: r.run, time: r.time, stateBytes: r.stateBytes, state: JSON.parse(r.state!), operations: JSON.parse(r.operations) };
        }
      };
      await printJsonArray(entries());
      return;
    }
    // Sizes, not states: the table of a 20,000-checkpoint history is small.
    const table: string[][] = [];
    for await (const r of reader.eachCheckpoint()) {
      table.push([String(r.seq), String(r.run), r.time, formatBytes(r.stateBytes), describeOps(JSON.parse(r.operations) as Record<string, TableCounts>)]);
    }
    if (table.length === 0) {
      c.ui.info("No checkpoints yet.");
      return;
    }
    writeOut(renderAligned(["Seq", "Run", "Time", "State", "Operations since the previous checkpoint"], table, (i) => i < 2) + "\n");
  });
}

export async function stateDiff(a: string | undefined, b: string | undefined, opts: StateOptions): Promise<void> {
  const c = context(opts);
  const { from, to } = await c.store.withReader(async (reader) => {
    let from: { label: string; state: StateObject };
    if (a === undefined) {
      const range = await reader.checkpointRange();
      if (!range) throw new UsageError("No checkpoints yet to compare the state file with.");
      from = { label: `checkpoint ${range.last}`, state: (await checkpointState(reader, String(range.last))).state };
    } else {
      from = { label: `checkpoint ${a}`, state: (await checkpointState(reader, a)).state };
    }
    const to = b === undefined ? { label: c.store.label, state: await c.store.read() } : { label: `checkpoint ${b}`, state: (await checkpointState(reader, b)).state };
    return { from, to };
  });
  const changes = diffStates(from.state, to.state);
  if (opts.json) {
    printJson({ from: from.label, to: to.label, changes });
    return;
  }
  c.ui.info(`From ${from.label} to ${to.label}:`);
  writeOut((changes.length ? changes.map(formatChange).join("\n") : "No differences.") + "\n");
}

/** Validates a new state (plain JSON, size, the connector's state schema) and writes it atomically. */
async function writeState(c: Context, next: StateObject, what: string): Promise<void> {
  checkStateValue(next);
  await checkAgainstSchema(c, next);
  await c.store.write(next);
  c.ui.info(`${what} in ${c.store.where}.`);
}

async function checkAgainstSchema(c: Context, state: StateObject): Promise<void> {
  let file: string;
  try {
    file = findConnectorFile(c.store.project);
  } catch {
    return;
  }
  let def;
  try {
    def = await loadConnector(file);
  } catch (e) {
    c.ui.warn(`could not load the connector to check its state schema, so the state was written unchecked: ${(e as Error).message.split("\n")[0]}`);
    return;
  }
  if (!def.state) return;
  const r = await validateWith(def.state, state);
  if (!r.ok) throw new UsageError(`The new state does not match the connector's state schema:\n  ${r.problems.join("\n  ")}`);
  for (const u of undeclaredKeys(def.state, state, r.value)) {
    c.ui.warn(`key "${u.key}" is not declared by the state schema of ${path.basename(file)}${didYouMean(u)}, so update() will not see it, and the connector's next checkpoint will fail on it if it keeps it.`);
  }
}

export async function stateSet(pathText: string | undefined, valueText: string | undefined, opts: StateOptions): Promise<void> {
  const c = context(opts);
  if (opts.file) {
    if (pathText !== undefined) throw new UsageError("Give either --file <f> or <json-path> <json-value>, not both.");
    const replacement = readStateFile({ file: opts.file, explicit: true }, null, parseJsonExact);
    const rounded = unsafeIntegers(replacement);
    if (rounded.length) throw new UsageError(`${opts.file}: ${roundedWarning(rounded)}`);
    await c.store.locked(() => writeState(c, replacement, `Replaced the whole state with ${opts.file}`));
    return;
  }
  if (pathText === undefined || valueText === undefined) throw new UsageError("Usage: connector state set <json-path> <json-value>, or connector state set --file <f>.");
  const parts = parsePathOrThrow(pathText);
  const value = parseCliValue(valueText);
  if (unsafeIntegers(value).length) {
    throw new UsageError(
      `${valueText.trim()} holds an integer beyond JavaScript's safe integers (±2^53), which update() would receive rounded. Store it as a string: connector state set ${pathText} '${JSON.stringify(valueText.trim())}'`,
    );
  }
  await c.store.locked(async () => writeState(c, setPath(await c.store.read(), parts, value), `Set ${formatPath(parts)} to ${showValue(value)}`));
}

function setPath(state: StateObject, parts: ReturnType<typeof parsePath>, value: ReturnType<typeof parseCliValue>): StateObject {
  try {
    return setAt(state, parts, value);
  } catch (e) {
    if (e instanceof StateValueError) throw new UsageError(`The new state is not valid: ${e.message}`);
    throw e;
  }
}

export async function stateUnset(pathText: string, opts: StateOptions): Promise<void> {
  const c = context(opts);
  const parts = parsePathOrThrow(pathText);
  await c.store.locked(async () => {
    const { state, removed } = unsetAt(await c.store.read(), parts);
    if (!removed) c.ui.info(`${formatPath(parts)} is not in the state; nothing changed.`);
    else await writeState(c, state, `Removed ${formatPath(parts)}`);
  });
}

export async function stateRewind(seqText: string, opts: StateOptions): Promise<void> {
  const c = context(opts);
  const { row, state, later } = await c.store.withReader(async (reader) => {
    const { row, state } = await checkpointState(reader, seqText);
    // What the later checkpoints committed, by table: their operations, never their states.
    const later = { first: 0, last: 0, replay: {} as Record<string, TableCounts> };
    for await (const r of reader.eachCheckpoint({ after: row.seq })) {
      if (!later.first) later.first = r.seq;
      later.last = r.seq;
      addByTable(later.replay, JSON.parse(r.operations) as Record<string, TableCounts>);
    }
    return { row, state, later };
  });
  if (!isPlainObject(state)) throw new UsageError(`Checkpoint ${row.seq} holds no state object.`);
  await c.store.locked(() => writeState(c, state, `Rewound the state to checkpoint ${row.seq} (${row.time})`));
  if (later.first === 0) {
    c.ui.info("It was the latest checkpoint: the next sync resumes where the last one stopped.");
    return;
  }
  const total = Object.values(later.replay).reduce((n, t) => n + totalOperations(t), 0);
  c.ui.info(
    `The next \`connector ${c.store.inDestination ? "run" : "debug"}\` replays what checkpoints ${later.first} to ${later.last} committed (${plural(num(total), "operation")}): ${describeOps(later.replay)}. ` +
      "The rows stay in the warehouse meanwhile; replaying them is harmless, as every operation is idempotent.",
  );
}

function parsePathOrThrow(text: string) {
  try {
    return parsePath(text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Runs before every state command: whatever it prints hides the configuration's secrets,
 * both the values under secret-looking keys and those the connector's schema marks secret.
 */
export async function hideSecrets(opts: StateOptions): Promise<void> {
  const p = project(opts.project);
  const file = configurationFile(p, opts.configuration);
  if (!file) return;
  let configuration: unknown;
  try {
    configuration = readConfigurationFile(file);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    throw new UsageError(`${e.message}. \`connector state\` reads the configuration to hide its secret values; fix it, or name another file with --configuration.`);
  }
  secrets().add(configurationSecrets(undefined, configuration));
  if (!mayHoldUnmarkedSecrets(configuration)) return;
  let connectorFile: string;
  try {
    connectorFile = findConnectorFile(p);
  } catch {
    return;
  }
  // The connector's top-level console.log must not land in stdout, which carries the state.
  const restore = consoleToStderr((line) => writeErr(line + "\n"));
  try {
    const def = await loadConnector(connectorFile);
    secrets().add(await connectorSecrets(def.configuration, configuration));
  } catch (e) {
    new Ui({ json: false, verbose: false }).warn(
      `could not load the connector to learn which configuration values its schema marks secret, so only values under secret-looking keys are hidden: ${(e as Error).message.split("\n")[0]}`,
    );
  } finally {
    restore();
  }
}
