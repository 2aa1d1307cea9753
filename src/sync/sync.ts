/**
 * One sync: runs update() with op.* bound to this sync, sends each operation through the
 * normalizer to the destination, and keeps the checkpoint protocol. A checkpoint commits
 * the destination's open transaction together with the checkpoint's row, and only then
 * is the state persisted, so the state is never ahead of the data.
 *
 * Longer than the usual 300 lines on purpose: the run loop, the checkpoint protocol and the
 * end-of-sync report read and change the same run's transaction, sequence and counters;
 * split apart, each half would reach into the other's private state.
 */
import type { ConnectorDefinition } from "../sdk/connector.js";
import { runInSync, type ActiveSync, type LogSink, type SyncSink } from "../sdk/active-sync.js";
import { TRUNCATES_PER_RUN, type Destination, type StoredCatalog } from "../destinations/destination.js";
import { OperationSink, type OperationTarget, type OpName } from "../extract/operation-sink.js";
import { Catalog, type SchemaChangeNote } from "../normalize/catalog.js";
import { applySchema, MAX_LISTED_PROBLEMS, parseSchema, SchemaError, type DeclaredTable } from "../normalize/declared.js";
import { Names } from "../normalize/names.js";
import type { Naming } from "../normalize/naming.js";
import { RowNormalizer } from "../normalize/row-normalizer.js";
import { OPS_WITHOUT_CHECKPOINT, StateLints } from "../state/lints.js";
import { formatBytes, serializeState, StateValueError, STATE_WARN_BYTES, writeStateFile, type StateObject } from "../state/state.js";
import { secretValues } from "../util/redact.js";
import { OperationError } from "../util/errors.js";
import { toError } from "../util/thrown.js";
import type { Counts, TableCounts } from "./counts.js";
import { Tally } from "./tally.js";
import { locateProblems } from "./schema-locations.js";

export interface CheckpointInfo {
  seq: number;
  time: string;
  state: StateObject;
  /** Operations committed by this checkpoint, per table. */
  operations: Record<string, TableCounts>;
}

export interface SyncEvents {
  /** The destination is open: this sync's run number, and the last checkpoint it held. */
  opened?(info: { run: number; lastSeq: number }): void;
  checkpoint?(info: CheckpointInfo): void;
  warning?(message: string): void;
  /** A table was created, a column added or widened (committed with the next checkpoint, or rolled back with the sync). */
  schemaChange?(change: SchemaChangeNote): void;
}

export interface SyncOptions {
  definition: ConnectorDefinition<unknown, unknown>;
  /** Configuration after validation: what update() receives. */
  configuration: unknown;
  /** State after validation: what update() receives. */
  state: StateObject;
  /** Opened when the sync starts, unless `opened` says what it held when it was opened already. */
  destination: Destination;
  opened?: StoredCatalog;
  /** Rewritten atomically after every committed checkpoint; none for in-memory runs. */
  stateFile?: string;
  /** The state file held a state: `state` is not only the state schema's defaults. */
  stateFileHeld?: boolean;
  naming: Naming;
  events?: SyncEvents;
  logger?: LogSink;
  /** Counts mirrored for another thread (live-counts.ts). */
  liveCounts?: Float64Array;
  /** Checks each checkpoint against the connector's state schema. */
  checkState?: (state: unknown) => { ok: true; value: unknown } | { ok: false; problems: string[] };
  /** Wraps the operations' entry point: verify's simulated interruption. */
  wrapSink?: (sink: OperationSink) => SyncSink;
}

export interface SyncResult {
  status: "succeeded" | "failed";
  error?: Error;
  counts: Counts;
  previousState: StateObject;
  /** The last committed state: what the next sync starts from. Earlier states are in _connector_checkpoints, not in memory. */
  state: StateObject;
  warnings: string[];
  /** What counts.schemaChanges counted, in order. */
  schemaChanges: SchemaChangeNote[];
  durationMs: number;
  /** Operations emitted, checkpoints included. */
  operations: number;
}

export class Sync implements OperationTarget {
  readonly sink: OperationSink;
  private readonly tally: Tally;
  private readonly warnings: string[] = [];
  private readonly schemaChanges: SchemaChangeNote[] = [];
  private readonly warned = new Set<string>();
  private readonly noMatch = new Map<string, number>();
  /** The distinct op.warning messages listed in the result; the log shows every call. */
  private readonly connectorWarnings = new Set<string>();
  private unlistedWarnings = 0;
  private readonly dest: Destination;
  private readonly startState: StateObject;
  private readonly lints: StateLints;
  private readonly secrets: string[];
  private committedState: StateObject;
  private normalizer!: RowNormalizer;
  private seq = 0;
  private runNumber = 0;
  private stamp = "";
  private stampMs = -1;
  private startedAt = Date.now();
  private stop: (e: Error) => void = () => {};
  private readonly stopped = new Promise<never>((_, reject) => {
    this.stop = reject;
  });

  constructor(private readonly o: SyncOptions) {
    this.dest = o.destination;
    this.startState = copyState(o.state);
    this.committedState = this.startState;
    this.secrets = secretValues(o.configuration, o.definition.configuration);
    this.lints = new StateLints(this.startState);
    this.tally = new Tally(o.liveCounts);
    this.sink = new OperationSink(this);
    // fail() may come before run() races this promise: never an unhandled rejection.
    this.stopped.catch(() => {});
  }

  /** Fails the sync from outside update(): a rejection the connector left behind, a timeout. */
  fail(error: Error): void {
    this.sink.fail(error);
    this.stop(this.sink.failed!);
  }

  async run(): Promise<SyncResult> {
    this.startedAt = Date.now();
    const active: ActiveSync = { sink: this.o.wrapSink ? this.o.wrapSink(this.sink) : this.sink, logger: this.o.logger, ended: false, fail: (e) => this.fail(e) };
    // A destination that cannot be opened (someone else's file, a locked database) is a usage error, not a failed sync.
    const stored = this.o.opened ?? this.dest.open();
    this.seq = stored.lastSeq;
    this.runNumber = stored.run;
    this.o.events?.opened?.({ run: stored.run, lastSeq: stored.lastSeq });
    if (this.o.stateFile && this.o.stateFileHeld && stored.lastSeq === 0) {
      // A state file left from another warehouse (debug's, or one deleted since): the rows before its cursor are missing here.
      this.warn(
        `this sync starts from the state in ${this.o.stateFile}, but ${this.dest.location} holds no checkpoint yet, so what the source gave before that state is not loaded into it. To load everything, start from an empty state (\`connector reset\`, or --state with a new file).`,
      );
    }
    const catalog = new Catalog(stored, (change) => this.dest.apply(change), (table, column) => this.dest.holdsUnsafeIntegers(table, column));
    const names = new Names(this.o.naming, catalog, (key, message) => this.warnOnce(key, message));
    this.normalizer = new RowNormalizer(catalog, names, { schemaChanged: (c) => this.schemaChanged(c), warnOnce: (k, m) => this.warnOnce(k, m) });
    try {
      await runInSync(active, () => this.applyDeclaredSchema(catalog, names));
      this.sink.start();
      const before = activeResources();
      let returned: unknown;
      await Promise.race([runInSync(active, () => drain((returned = this.o.definition.update(this.o.configuration, this.o.state)))), this.stopped]);
      if (this.sink.failed) throw this.sink.failed;
      // Work still under way that update() started (a socket, a timer, a file read) but did not
      // wait for: the mark of a forgotten await. A connector with nothing to do leaves none, and a
      // synchronous update() (no promise, no generator) has nothing it could still be waiting for.
      if (startedSince(before)) {
        if (this.sink.count === 0) {
          this.warn(
            "update() finished without a single operation or checkpoint. If it calls an async function, await it (`await syncUsers(state)`, not `syncUsers(state)`): without await the sync ends before that function emits anything. If the source had nothing new, end update() with op.checkpoint(state).",
          );
        } else if (!isAsyncResult(returned)) {
          this.warn(
            "update() returned without waiting for work it started (a timer, a request, a file read) that is still under way, so what that work emits later is lost. If it calls an async function, await it: `async update(configuration, state) { await syncUsers(state); }`, not `syncUsers(state)`.",
          );
        }
      }
      if (this.tally.pendingOps > 0) {
        this.warn(`${this.tally.pendingOps} operation(s) came after the last checkpoint; they were committed at the end, but the state was not advanced. End update() with op.checkpoint(state).`);
      }
      // Deferred truncate: rows are marked deleted only now that update() succeeded, in the final commit.
      try {
        const { truncated } = this.dest.finish();
        this.dest.commit(null, (r) => this.noted(r.unmatchedUpdates));
        this.tally.counts.truncatedRows = truncated;
      } catch (e) {
        // A pipelined destination reports a failed checkpoint commit at its next call, which may be this one.
        throw this.explainCommit(e);
      }
      this.reportNoMatch();
      this.reportUnlisted();
      return this.result("succeeded");
    } catch (e) {
      const error = this.sink.failed ?? toError(e);
      try {
        this.dest.rollback();
      } catch {
        // The destination is already failing; the error above says why.
      }
      this.reportNoMatch();
      this.reportUnlisted();
      return this.result("failed", error);
    } finally {
      this.sink.end();
      active.ended = true;
    }
  }

  private async applyDeclaredSchema(catalog: Catalog, names: Names): Promise<void> {
    if (!this.o.definition.schema) return;
    let declared: unknown;
    try {
      declared = await this.o.definition.schema(this.o.configuration);
    } catch (e) {
      const err = toError(e);
      err.message = `schema() threw: ${err.message}`;
      throw err;
    }
    let tables: DeclaredTable[];
    try {
      tables = parseSchema(declared, this.o.naming);
    } catch (e) {
      if (!(e instanceof SchemaError)) throw e;
      // Each problem with the connector's own line; no stack, whose frames would be connector-sdk's.
      const located = new SchemaError(e.problems, locateProblems(e.problems.slice(0, MAX_LISTED_PROBLEMS), declared, this.o.definition.schema));
      located.stack = `${located.name}: ${located.message}`;
      throw located;
    }
    for (const t of tables) names.sources.claim(t.source, t.name, "schema()", true);
    for (const change of applySchema(catalog, tables)) this.schemaChanged(change);
    this.dest.commit(null, () => {});
  }

  private result(status: "succeeded" | "failed", error?: Error): SyncResult {
    this.tally.fold();
    return {
      status,
      error,
      counts: this.tally.counts,
      previousState: this.startState,
      state: this.committedState,
      warnings: this.warnings,
      schemaChanges: this.schemaChanges,
      durationMs: Date.now() - this.startedAt,
      operations: this.sink.count,
    };
  }

  private schemaChanged(change: SchemaChangeNote): void {
    this.tally.schemaChange();
    this.schemaChanges.push(change);
    this.o.events?.schemaChange?.(change);
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.o.events?.warning?.(message);
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(message);
  }

  private noted(unmatched: Record<string, number>): void {
    for (const [table, n] of Object.entries(unmatched)) this.noMatch.set(table, (this.noMatch.get(table) ?? 0) + n);
  }

  private reportNoMatch(): void {
    for (const [table, n] of this.noMatch) {
      this.warn(`${n} update(s) on table "${table}" matched no row and changed nothing; op.update only changes rows that exist (use op.upsert to insert).`);
    }
    this.noMatch.clear();
  }

  /** op.warning: a log line at once, and the message among the run's warnings (each distinct message once, at most MAX_LISTED). */
  warning(message: string): void {
    this.o.logger?.log("WARNING", message);
    if (this.connectorWarnings.has(message)) return;
    if (this.connectorWarnings.size >= MAX_LISTED_WARNINGS) {
      this.unlistedWarnings++;
      return;
    }
    this.connectorWarnings.add(message);
    this.warn(message);
  }

  private reportUnlisted(): void {
    if (this.unlistedWarnings === 0) return;
    this.warn(`op.warning was called ${this.unlistedWarnings.toLocaleString("en-US")} more time(s), with messages beyond the ${MAX_LISTED_WARNINGS} listed here; the log shows them all.`);
    this.unlistedWarnings = 0;
  }

  private now(): string {
    const ms = Date.now();
    if (ms !== this.stampMs) {
      this.stampMs = ms;
      this.stamp = new Date(ms).toISOString();
    }
    return this.stamp;
  }

  private counted(table: string, kind: "upserts" | "updates" | "deletes" | "truncates"): void {
    this.tally.op(table, kind);
    if (this.tally.pendingOps === OPS_WITHOUT_CHECKPOINT + 1) {
      this.warnOnce("no-checkpoint", `more than ${OPS_WITHOUT_CHECKPOINT.toLocaleString("en-US")} operations went by without a checkpoint; a failure now replays all of them. Checkpoint every few thousand rows.`);
    }
  }

  table(source: unknown, opName: OpName): string {
    return this.normalizer.names.table(source, opName);
  }

  upsert(name: string, data: Record<string, unknown>): void {
    this.normalizer.names.data(name, data, "upsert");
    const t = this.normalizer.upsert(name, data);
    this.dest.upsert(name, t.row, this.now());
    this.counted(name, "upserts");
  }

  update(name: string, data: Record<string, unknown>): void {
    this.normalizer.names.data(name, data, "update");
    this.counted(name, "updates");
    const u = this.normalizer.update(name, data);
    if (!u) {
      this.noMatch.set(name, (this.noMatch.get(name) ?? 0) + 1);
      return;
    }
    this.dest.update(name, u.columns, u.values, u.key, this.now());
  }

  delete(name: string, keys: Record<string, unknown>): void {
    this.normalizer.names.data(name, keys, "delete");
    this.counted(name, "deletes");
    const key = this.normalizer.deleteKey(name, keys);
    if (key) this.dest.delete(name, key, this.now());
  }

  truncate(name: string): void {
    if (this.tally.counts.truncates >= TRUNCATES_PER_RUN) {
      throw new OperationError(
        `op.truncate on table "${name}": a sync may truncate at most ${TRUNCATES_PER_RUN.toLocaleString("en-US")} times. Truncate a table once per sync, before reloading it, not once per page.`,
      );
    }
    this.counted(name, "truncates");
    this.dest.truncate(name);
  }

  checkpoint(state: unknown): void {
    let json: string;
    try {
      json = serializeState(state);
    } catch (e) {
      if (e instanceof StateValueError) throw new OperationError(`op.checkpoint: ${e.message}`);
      throw e;
    }
    if (this.o.checkState) {
      const checked = this.o.checkState(state);
      if (!checked.ok) throw new OperationError(`op.checkpoint: the state does not match the connector's state schema:\n  ${checked.problems.join("\n  ")}`);
    }
    // A copy taken now: the connector may keep mutating its state object after the call.
    const persisted = JSON.parse(json) as StateObject;
    const bytes = Buffer.byteLength(json);
    if (bytes > STATE_WARN_BYTES) this.warnOnce("state-size", `the state is ${formatBytes(bytes)}, over 1 MB; keep cursors in state, not lists of processed records (the limit is 10 MB).`);
    for (const secret of this.secrets) {
      if (json.includes(secret)) this.warnOnce("state-secret", "the state contains a value of a secret-looking configuration key (token, key, secret, password); never store credentials in state.");
    }
    const operations = this.tally.pendingByTable();
    for (const lint of this.lints.checkpoint(this.seq + 1, persisted, bytes, this.tally.pendingOps)) this.warnOnce(lint.key, lint.message);
    const time = new Date().toISOString();
    const seq = (this.seq += 1);
    this.tally.checkpoint();
    this.sink.checkpoints++;
    // The state is persisted only once the destination says the commit is durable.
    this.dest.commit({ seq, run: this.runNumber, time, state: json, operations: JSON.stringify(operations) }, (r) => {
      this.noted(r.unmatchedUpdates);
      this.committedState = persisted;
      if (this.o.stateFile) {
        try {
          writeStateFile(this.o.stateFile, persisted);
        } catch (e) {
          throw new OperationError(`checkpoint ${seq} is committed to the warehouse, but the state file ${this.o.stateFile} could not be written: ${(e as Error).message}`);
        }
      }
      // Nothing keeps the info: a long run's states would pile up (the history is in _connector_checkpoints).
      this.o.events?.checkpoint?.({ seq, time, state: persisted, operations });
    });
  }

  /** Database and file-system errors say what failed but not where; name the destination. */
  private explainCommit(e: unknown): Error {
    const err = toError(e);
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return new OperationError(`the warehouse ${this.dest.location} failed while committing: ${err.message} (${code})`);
    if (err.name === "DestinationError") return new OperationError(`the ${this.dest.kind} destination ${this.dest.location} failed while committing: ${err.message}`);
    return err;
  }

  explain(name: OpName, e: unknown): Error {
    const err = toError(e);
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return new OperationError(`op.${name}: the warehouse ${this.dest.location} failed: ${err.message} (${code})`);
    if (err.name === "DestinationError") return new OperationError(`op.${name}: the ${this.dest.kind} destination ${this.dest.location} failed: ${err.message}`);
    return new OperationError(`op.${name}: ${err.message}`);
  }
}

/** The distinct op.warning messages a result lists, so a warning per row cannot fill the memory. */
const MAX_LISTED_WARNINGS = 100;

function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

function startedSince(before: Map<string, number>): boolean {
  for (const [kind, n] of activeResources()) if (n > (before.get(kind) ?? 0)) return true;
  return false;
}

/** A promise or a generator: what an update() that waits for its work returns. */
function isAsyncResult(result: unknown): boolean {
  if (result === null || (typeof result !== "object" && typeof result !== "function")) return false;
  return typeof (result as { then?: unknown }).then === "function" || Symbol.asyncIterator in result || Symbol.iterator in result;
}

async function drain(result: unknown): Promise<void> {
  if (result && typeof result === "object") {
    if (Symbol.asyncIterator in result) {
      for await (const _ of result as AsyncIterable<unknown>) void _;
      return;
    }
    if (Symbol.iterator in result && typeof (result as { next?: unknown }).next === "function") {
      for (const _ of result as Iterable<unknown>) void _;
      return;
    }
  }
  await result;
}

/** A deep copy of a JSON state; the original if it holds something structuredClone refuses. */
function copyState(state: StateObject): StateObject {
  try {
    return structuredClone(state);
  } catch {
    return state;
  }
}
