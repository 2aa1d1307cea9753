import fs from "node:fs";
import { readConfigurationFile } from "../project/configuration.js";
import { addByTable, totalOperations, type TableCounts } from "../sync/counts.js";
import { plural } from "../util/describe.js";
import { UsageError } from "../util/errors.js";
import { parseJsonExact, stringifyExact } from "../util/exact.js";
import { loadConnector } from "../project/loader.js";
import { acquireLock } from "../project/lock.js";
import { configurationFile, findConnectorFile, project, requireFilesDir, requireProjectDir, stateSource, type Project } from "../project/project.js";
import { configurationSecrets, connectorSecrets, mayHoldUnmarkedSecrets } from "../util/redact.js";
import { validateWith } from "../util/standard-schema.js";
import { diffStates, formatPath, parseCliValue, parsePath, setAt, unsetAt, type StateChange } from "../state/edit.js";
import { formatBytes, isPlainObject, readStateFile, serializeState, StateValueError, writeStateFile, type JsonValue, type StateObject, type StateSource } from "../state/state.js";
import type { CheckpointRecord as CheckpointRow } from "../destinations/destination.js";
import { openReader } from "../destinations/open.js";
import type { WarehouseReader } from "../destinations/reader.js";
import { projectWarehouse } from "../project/destination-choice.js";
import { commandDestination } from "../project/run-destination.js";
import type { PostgresOptions } from "../destinations/postgres/url.js";
import type pg from "pg";
import { num, renderAligned, truncate } from "../ui/format.js";
import { printJson, Ui } from "../ui/logger.js";
import { consoleToStderr, printJsonArray, secrets, writeErr, writeOut } from "../ui/output.js";

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
  p: Project;
  source: StateSource;
  opts: StateOptions;
  /** A PostgreSQL destination (--destination), which keeps the state itself. */
  pg?: { options: PostgresOptions; location: string };
  /** While an edit holds the connector's lock: its connection. */
  client?: pg.Client;
}

function context(opts: StateOptions): Context {
  const p = project(opts.project);
  requireProjectDir(p);
  requireFilesDir(p);
  const target = commandDestination(p, opts.destination, opts.name);
  if (target && target.spec.kind !== "postgres") throw new UsageError(`connector state works on a state file or a PostgreSQL destination; for ${target.location}, the state is the file --state names (default files/state.json).`);
  if (target?.password) secrets().add([target.password]);
  const pg = target?.spec.kind === "postgres" ? { options: target.spec, location: target.location } : undefined;
  return { ui: new Ui({ json: Boolean(opts.json), verbose: false }), p, source: stateSource(p, opts.state), opts, ...(pg ? { pg } : {}) };
}

/** Where the state is, for messages. */
const where = (c: Context): string => (c.pg ? `the state of connector "${c.pg.options.connector}" in ${c.pg.location}` : c.source.file);

/** The state file (or the destination's state), with integers beyond 2^53 read exactly, so showing or editing it never changes their digits. */
async function read(c: Context): Promise<StateObject> {
  if (!c.pg) return readStateFile(c.source, "connector reset", parseJsonExact);
  const text = await stored(c);
  return text === null ? {} : (parseJsonExact(text) as StateObject);
}

async function stored(c: Context): Promise<string | null> {
  const admin = await import("../destinations/postgres/admin.js");
  if (c.client) return admin.readStoredState(c.client, c.pg!.options);
  const { connect } = await import("../destinations/postgres/connection.js");
  const client = await connect(c.pg!.options, "state");
  try {
    return await admin.readStoredState(client, c.pg!.options);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The paths of integers beyond ±(2^53 - 1), which update() receives rounded (it reads the state with JSON.parse). */
function unsafeIntegers(value: unknown, at: (string | number)[] = []): string[] {
  if (typeof value === "bigint") {
    const path = formatPath(at);
    return [path.startsWith("[") ? `state${path}` : `state.${path}`];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => unsafeIntegers(v, [...at, i]));
  if (isPlainObject(value)) return Object.entries(value).flatMap(([k, v]) => unsafeIntegers(v, [...at, k]));
  return [];
}

const roundedWarning = (paths: string[]): string =>
  `${paths.join(", ")} ${paths.length === 1 ? "is an integer" : "are integers"} beyond JavaScript's safe integers (±2^53): update() receives ${paths.length === 1 ? "it" : "them"} rounded. Store such a cursor as a string.`;

/** Runs `read` on the project's warehouse (or the PostgreSQL destination), read-only, and closes it. */
async function withReader<T>(c: Context, read: (reader: WarehouseReader) => Promise<T>): Promise<T> {
  const reader = await openReader(c.pg ? { kind: "postgres", ...c.pg.options } : projectWarehouse(c.p));
  try {
    return await read(reader);
  } finally {
    await reader.close();
  }
}

/** One checkpoint and its state, read alone: a long history is never loaded whole. */
async function checkpointState(reader: WarehouseReader, seqText: string): Promise<{ row: CheckpointRow; state: StateObject }> {
  const seq = Number(seqText);
  const row = Number.isSafeInteger(seq) ? await reader.checkpoint(seq) : undefined;
  if (!row) {
    const range = await reader.checkpointRange();
    throw new UsageError(`No checkpoint ${JSON.stringify(seqText)}; the checkpoints are ${range ? `${range.first} to ${range.last}` : "none yet"} (see \`connector state history\`).`);
  }
  return { row, state: JSON.parse(row.state) as StateObject };
}

const show = (v: JsonValue | undefined): string => truncate(stringifyExact(secrets().value(v)), 120);

function describeOps(ops: Record<string, TableCounts>): string {
  const parts = Object.entries(ops).map(([table, t]) => {
    const bits = (["upserts", "updates", "deletes", "truncates"] as const).filter((k) => t[k] > 0).map((k) => `${num(t[k])} ${t[k] === 1 ? k.slice(0, -1) : k}`);
    return `${table}: ${bits.join(", ") || "nothing"}`;
  });
  return parts.join("; ") || "no operations";
}

export async function stateShow(opts: StateOptions): Promise<void> {
  const c = context(opts);
  const state = await read(c);
  if (c.pg) {
    if ((await stored(c)) === null) c.ui.info(`No state yet for connector "${c.pg.options.connector}" in ${c.pg.location}: the next run is a first run from {}.`);
  } else if (!fs.existsSync(c.source.file)) c.ui.info(`No state file at ${c.source.file} yet: the next sync is a first run from {}.`);
  const rounded = unsafeIntegers(state);
  if (rounded.length) c.ui.warn(roundedWarning(rounded));
  if (process.stdout.isTTY && !opts.json) {
    writeOut(colorJson(secrets().value(state), c.ui) + "\n");
  } else {
    printJson(state);
  }
}

function colorJson(value: StateObject, ui: Ui): string {
  return stringifyExact(value, 2).replace(/^(\s*)("(?:[^"\\]|\\.)*")(:)/gm, (_m, indent: string, key: string, colon: string) => `${indent}${ui.color.cyan(key)}${colon}`);
}

export async function stateHistory(opts: StateOptions): Promise<void> {
  const c = context(opts);
  await withReader(c, async (reader) => {
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
  const { from, to } = await withReader(c, async (reader) => {
    let from: { label: string; state: StateObject };
    if (a === undefined) {
      const range = await reader.checkpointRange();
      if (!range) throw new UsageError("No checkpoints yet to compare the state file with.");
      from = { label: `checkpoint ${range.last}`, state: (await checkpointState(reader, String(range.last))).state };
    } else {
      from = { label: `checkpoint ${a}`, state: (await checkpointState(reader, a)).state };
    }
    const to = b === undefined ? { label: c.pg ? where(c) : `the state file ${c.source.file}`, state: await read(c) } : { label: `checkpoint ${b}`, state: (await checkpointState(reader, b)).state };
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

function formatChange(ch: StateChange): string {
  if (ch.kind === "added") return `+ ${ch.path}: ${show(ch.after)}`;
  if (ch.kind === "removed") return `- ${ch.path}: ${show(ch.before)}`;
  return `~ ${ch.path}: ${show(ch.before)} → ${show(ch.after)}`;
}

/** Runs an edit under the project lock (or the connector's lock in PostgreSQL), so it never races a sync that is writing the same state. */
async function locked<T>(c: Context, edit: () => Promise<T>): Promise<T> {
  if (c.pg) {
    const { withConnectorLock } = await import("../destinations/postgres/admin.js");
    return withConnectorLock(c.pg.options, "state", async (client) => {
      c.client = client;
      try {
        return await edit();
      } finally {
        c.client = undefined;
      }
    });
  }
  const release = acquireLock(c.p.lockFile, "state");
  try {
    return await edit();
  } finally {
    release();
  }
}

/** Validates a new state (plain JSON, size, the connector's state schema) and writes it atomically. */
async function writeState(c: Context, next: StateObject, what: string): Promise<void> {
  try {
    serializeState(next, { bigints: true });
  } catch (e) {
    if (e instanceof StateValueError) throw new UsageError(`The new state is not valid: ${e.message}`);
    throw e;
  }
  await checkAgainstSchema(c, next);
  if (c.pg && c.client) {
    const { writeStoredState } = await import("../destinations/postgres/admin.js");
    await writeStoredState(c.client, c.pg.options, serializeState(next, { bigints: true }));
  } else {
    writeStateFile(c.source.file, next);
  }
  c.ui.info(`${what} in ${where(c)}.`);
}

async function checkAgainstSchema(c: Context, state: StateObject): Promise<void> {
  let file: string;
  try {
    file = findConnectorFile(c.p);
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
}

export async function stateSet(pathText: string | undefined, valueText: string | undefined, opts: StateOptions): Promise<void> {
  const c = context(opts);
  if (opts.file) {
    if (pathText !== undefined) throw new UsageError("Give either --file <f> or <json-path> <json-value>, not both.");
    const replacement = readStateFile({ file: opts.file, explicit: true }, null, parseJsonExact);
    const rounded = unsafeIntegers(replacement);
    if (rounded.length) throw new UsageError(`${opts.file}: ${roundedWarning(rounded)}`);
    await locked(c, () => writeState(c, replacement, `Replaced the whole state with ${opts.file}`));
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
  await locked(c, async () => writeState(c, setAt(await read(c), parts, value), `Set ${formatPath(parts)} to ${show(value)}`));
}

export async function stateUnset(pathText: string, opts: StateOptions): Promise<void> {
  const c = context(opts);
  const parts = parsePathOrThrow(pathText);
  await locked(c, async () => {
    const { state, removed } = unsetAt(await read(c), parts);
    if (!removed) c.ui.info(`${formatPath(parts)} is not in the state; nothing changed.`);
    else await writeState(c, state, `Removed ${formatPath(parts)}`);
  });
}

export async function stateRewind(seqText: string, opts: StateOptions): Promise<void> {
  const c = context(opts);
  const { row, state, later } = await withReader(c, async (reader) => {
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
  await locked(c, () => writeState(c, state, `Rewound the state to checkpoint ${row.seq} (${row.time})`));
  if (later.first === 0) {
    c.ui.info("It was the latest checkpoint: the next sync resumes where the last one stopped.");
    return;
  }
  const total = Object.values(later.replay).reduce((n, t) => n + totalOperations(t), 0);
  c.ui.info(
    `The next \`connector ${c.pg ? "run" : "debug"}\` replays what checkpoints ${later.first} to ${later.last} committed (${plural(num(total), "operation")}): ${describeOps(later.replay)}. ` +
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
