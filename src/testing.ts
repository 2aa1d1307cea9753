import { asDefinition, type Connector, type ConnectorDefinition } from "./sdk/connector.js";
import type { Counts } from "./sync/counts.js";
import { runConnectorSync } from "./sync/run-sync.js";
import type { ReplayOption } from "./replay/run.js";
import type { Naming } from "./normalize/naming.js";
import { isPlainObject, type StateObject } from "./state/state.js";
import { MemoryStateStore } from "./state/store.js";
import { verify, type VerifyReport } from "./verify/verify.js";
import { readBack } from "./destinations/open.js";
import type { WarehouseReader } from "./destinations/reader.js";
import { DEFAULT_KIND, destinationForms, parseDestinationUrl, type DestinationSpec } from "./destinations/registry.js";
import { redactUrl } from "./util/redact-url.js";
import { isError } from "./util/thrown.js";

/** Inputs of runSync(). */
export interface RunSyncOptions {
  /** What configuration.json would hold. Default {}. */
  configuration?: unknown;
  /** The state to start from. Default {}: a historical sync. */
  state?: Record<string, unknown>;
  /** A SQLite warehouse file to sync into; default a warehouse in memory. */
  warehouse?: string;
  /**
   * Any destination, as `connector run --destination` takes it: `sqlite:<file>`, `duckdb:<file>` or
   * `postgres://user@host/database?schema=name` (a file relative to the working directory). Not with `warehouse`.
   */
  destination?: string;
  /** The connector's name in a shared destination (PostgreSQL), which keeps each connector's state apart; default "runSync". */
  name?: string;
  naming?: Naming;
  /**
   * Serve every HTTP request (fetch, node:http, node:https) from a recorded cassette, e.g.
   * "fixtures/default" (relative to the working directory), or { cassette, ignore: { query, headers, body } }.
   * A request the cassette cannot answer fails the sync with a SyncError that names the closest recorded request.
   */
  replay?: ReplayOption;
  /**
   * Keep the state of every checkpoint in `checkpoints` (default true). They are held in
   * memory, so a test of a very long sync (tens of thousands of checkpoints, or large
   * states) can pass false; `state` still holds the last one.
   */
  keepCheckpoints?: boolean;
  /**
   * Read every table back once the sync is over, for rows() and tables() (default true). The rows are
   * held in memory, so a sync of millions of rows (a profile, say) can pass false; rows() and tables() then throw.
   */
  keepRows?: boolean;
}

/** What runSync() resolves to. The warehouse is read back, every table, once the sync is over, and closed. */
export interface RunSyncResult {
  /** The state the sync started from: `state` as given, or the one the destination keeps itself (PostgreSQL's _connector_state). */
  previousState: StateObject;
  /** The last committed state: pass it as `state` to run an incremental sync. */
  state: StateObject;
  /** The state of every checkpoint, in order, all held in memory; empty with `keepCheckpoints: false`. */
  checkpoints: StateObject[];
  counts: Counts;
  warnings: string[];
  /** Every row of a table (by its warehouse name), ordered by primary key, with the system columns; an integer beyond ±(2^53 - 1) is a bigint. */
  rows(table: string): Record<string, unknown>[];
  /** The names of the tables in the warehouse. */
  tables(): string[];
  /** Nothing is left open: the warehouse was closed once its rows were read. Kept for the tests that call it. */
  close(): void;
}

/** A sync that failed; `result` still holds what the last checkpoint committed. */
export class SyncError extends Error {
  override name = "SyncError";
  constructor(
    message: string,
    readonly result: RunSyncResult,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Runs a connector through the real engine, in-process, as `connector debug` would.
 * Resolves when the sync succeeds; rejects with a SyncError when it fails.
 */
export async function runSync<C, S>(connector: Connector<C, S> | ConnectorDefinition<C, S>, options: RunSyncOptions = {}): Promise<RunSyncResult> {
  const def = asDefinition(connector);
  if (!def) throw new TypeError("runSync() needs a Connector or an object with an update function");
  const rawState = (options.state ?? {}) as StateObject;
  if (!isPlainObject(rawState)) throw new TypeError("runSync(): state must be a plain object");
  // Loaded only when asked for: the interception library is not needed by every test.
  const replayModule = options.replay === undefined ? undefined : await import("./replay/run.js");
  const source = replayModule?.replayFromOption(options.replay!);
  const { destination, read } = readBack(targetOf(options));
  // The state of each committed checkpoint, in memory: what the result returns.
  const store = new MemoryStateStore();
  // Collected here: the sync keeps only the last state.
  const checkpoints: StateObject[] = [];
  const keep = options.keepCheckpoints ?? true;
  const http = source ? replayModule!.startReplay(source, options.configuration ?? {}) : undefined;
  let r;
  try {
    r = await runConnectorSync({
      definition: def,
      configuration: options.configuration ?? {},
      state: rawState,
      sources: { resetHint: "runSync({ state: {} })" },
      destination,
      stateStore: store,
      naming: options.naming ?? "fivetran",
      events: keep ? { checkpoint: (c) => checkpoints.push(c.state) } : undefined,
      shared: true,
      keepOpen: true,
    });
  } catch (e) {
    destination.close();
    throw e;
  } finally {
    await http?.stop();
  }
  const failed = r.status === "failed";
  // A failed sync's warehouse may be out of reach (a server that refused it): its rows() then says why.
  const tables =
    options.keepRows === false
      ? new Error("runSync() was given keepRows: false, so it read no rows back")
      : await readAll(read).catch((e: unknown) => {
          if (failed) return isError(e) ? e : new Error(String(e));
          throw e;
        });
  if (options.keepRows === false) destination.close();
  const result: RunSyncResult = {
    previousState: r.previousState,
    state: (await store.load()) ?? r.state,
    checkpoints,
    counts: r.counts,
    warnings: r.warnings,
    rows: (table) => {
      if (tables instanceof Error) throw tables;
      const rows = tables.get(table);
      if (!rows) throw new Error(`no table ${JSON.stringify(table)} in the warehouse; the tables are: ${[...tables.keys()].join(", ") || "(none)"}`);
      return rows.map((row) => ({ ...row }));
    },
    tables: () => {
      if (tables instanceof Error) throw tables;
      return [...tables.keys()];
    },
    close: () => {},
  };
  if (failed) throw new SyncError(r.error?.message ?? "sync failed", result, { cause: r.error });
  return result;
}

/** The destination runSync() writes to: `destination`'s URL, `warehouse`'s SQLite file, or none (memory). */
function targetOf(options: RunSyncOptions): DestinationSpec | undefined {
  if (options.destination !== undefined && options.warehouse !== undefined) throw new TypeError("runSync(): give `destination` or `warehouse`, not both");
  const url = options.destination ?? (options.warehouse === undefined || options.warehouse === ":memory:" ? undefined : `${DEFAULT_KIND}:${options.warehouse}`);
  if (url === undefined) return undefined;
  const parsed = parseDestinationUrl(url, { from: "runSync()'s destination", name: options.name ?? "runSync", base: process.cwd() });
  if (!parsed) throw new TypeError(`runSync(): destination must be a destination URL (${destinationForms()}), got ${JSON.stringify(redactUrl(url))}`);
  return parsed.spec;
}

/** Every table's rows, read through the destination's own reader: what rows() and tables() answer from, the same on every destination. */
async function readAll(read: () => Promise<WarehouseReader>): Promise<Map<string, Record<string, unknown>[]>> {
  const reader = await read();
  try {
    const tables = new Map<string, Record<string, unknown>[]>();
    for (const t of await reader.tables()) tables.set(t.table, await reader.rows(t.table));
    return tables;
  } finally {
    await reader.close();
  }
}

/** Inputs of verifyConnector(). */
export interface VerifyConnectorOptions {
  configuration?: unknown;
  /** Interrupted syncs to try; default 5. */
  trials?: number;
  /** Makes the interruption points repeatable. */
  seed?: number;
  naming?: Naming;
  /** Serve every run's HTTP from a recorded cassette, as runSync's `replay` does: deterministic and offline. */
  replay?: ReplayOption;
  /** Fails any one sync that runs longer than this many milliseconds, for an update() that may never return. */
  timeout?: number;
}

/**
 * The programmatic `connector verify`: a baseline run twice, an incremental re-run, N
 * syncs aborted at random operations and resumed, and a run after a reset, each
 * compared with the baseline. Resolves to the report; `report.passed` is the verdict.
 * Unlike the CLI, which loads connector.ts afresh for every run, it reuses the module
 * you pass, so module-level state carries over between its runs. While it runs, a promise
 * the connector did not await that is rejected fails the sync in progress (and is not
 * reported to your test runner as an unhandled rejection).
 */
export async function verifyConnector<C, S>(connector: Connector<C, S> | ConnectorDefinition<C, S>, options: VerifyConnectorOptions = {}): Promise<VerifyReport> {
  const def = asDefinition(connector);
  if (!def) throw new TypeError("verifyConnector() needs a Connector or an object with an update function");
  const { replay, timeout, ...rest } = options;
  const source = replay === undefined ? undefined : (await import("./replay/run.js")).replayFromOption(replay);
  return verify({ load: async () => def, ...rest, timeoutMs: timeout, shared: true, ...(source ? { replay: source } : {}) });
}

export type { CheckResult, Difference, VerifyReport } from "./verify/verify.js";
export type { ReplayOption } from "./replay/run.js";
export type { MatchIgnore } from "./replay/match.js";
export type { Counts, TableCounts } from "./sync/counts.js";
export type { Naming, StateObject };
