/**
 * One sync: runs update() with op.* bound to this sync, sends each operation through the
 * normalizer to the destination, and keeps the checkpoint protocol. A checkpoint commits
 * the destination's open transaction together with the checkpoint's row, and only then
 * is the state persisted, so the state is never ahead of the data.
 */
import type { ConnectorDefinition } from "../sdk/connector.js";
import { runInSync, type ActiveSync, type LogSink, type SyncSink } from "../sdk/active-sync.js";
import { emptyHttpCounts, httpRuntime } from "../sdk/http-hooks.js";
import { CheckpointSecrets } from "./checkpoint-secrets.js";
import { DestinationError, TRUNCATES_PER_RUN, type Destination, type StoredCatalog } from "../destinations/destination.js";
import { OperationSink, type OperationTarget, type OpName } from "../extract/operation-sink.js";
import { Limits } from "../normalize/limits.js";
import { Catalog, type SchemaChangeNote } from "../normalize/catalog.js";
import { applySchema } from "../normalize/declared.js";
import { Names } from "../normalize/names.js";
import type { Naming } from "../normalize/naming.js";
import { RowNormalizer } from "../normalize/row-normalizer.js";
import { OPS_WITHOUT_CHECKPOINT } from "../state/lints.js";
import { copyState, type StateObject } from "../state/state.js";
import type { StateStore } from "../state/store.js";
import { OperationError } from "../util/errors.js";
import { placeThrown, toError } from "./throw-sites.js";
import type { Counts, TableCounts } from "./counts.js";
import { Tally } from "./tally.js";
import { SyncedClock } from "./synced-clock.js";
import { declaredTables } from "./declared-schema.js";
import { drain, forgottenAwait, watchUpdate } from "./traps.js";
import { SyncWarnings } from "./warnings.js";
import { StateChecks, type CheckState } from "./state-checks.js";

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
  /** Where each committed checkpoint's state goes (the state file, memory); none where the destination commits it with the rows. */
  stateStore?: StateStore;
  /** The state file held a state: `state` is not only the state schema's defaults. */
  stateFileHeld?: boolean;
  naming: Naming;
  events?: SyncEvents;
  logger?: LogSink;
  /** Counts mirrored for another thread (live-counts.ts). */
  liveCounts?: Float64Array;
  /** Checks each checkpoint against the connector's state schema. */
  checkState?: CheckState;
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
  private readonly warnings: SyncWarnings;
  private readonly schemaChanges: SchemaChangeNote[] = [];
  private readonly dest: Destination;
  private readonly startState: StateObject;
  private readonly stateChecks: StateChecks;
  private readonly http = emptyHttpCounts();
  private sealed?: CheckpointSecrets;
  private committedState: StateObject;
  private names!: Names;
  private normalizer!: RowNormalizer;
  private seq = 0;
  private runNumber = 0;
  private readonly clock = new SyncedClock();
  private startedAt = Date.now();
  private stop: (e: Error) => void = () => {};
  private readonly stopped = new Promise<never>((_, reject) => {
    this.stop = reject;
  });

  constructor(private readonly o: SyncOptions) {
    this.dest = o.destination;
    this.startState = copyState(o.state);
    this.committedState = this.startState;
    this.tally = new Tally(o.liveCounts);
    this.warnings = new SyncWarnings((message) => o.events?.warning?.(message));
    this.stateChecks = new StateChecks(this.startState, o.configuration, o.definition.configuration, (k, m) => this.warnings.once(k, m), o.checkState);
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
    const active: ActiveSync = { sink: this.o.wrapSink ? this.o.wrapSink(this.sink) : this.sink, logger: this.o.logger, ended: false, fail: (e) => this.fail(e), http: this.http, checkpoints: () => this.tally.counts.checkpoints };
    // A destination that cannot be opened (someone else's file, a locked database) is a usage error, not a failed sync.
    if (!this.o.opened) await this.dest.ready?.();
    const stored = this.o.opened ?? this.dest.open();
    active.secrets = this.sealed = new CheckpointSecrets(httpRuntime().store, { ...stored.secrets }, (m) => this.warnings.once("http-side-store", m));
    this.seq = stored.lastSeq;
    this.runNumber = stored.run;
    this.o.events?.opened?.({ run: stored.run, lastSeq: stored.lastSeq });
    if (this.o.stateStore && this.o.stateFileHeld && stored.lastSeq === 0) this.warnings.stateWithoutRows(this.o.stateStore.where, this.dest.location);
    const catalog = new Catalog(stored, (change) => this.dest.apply(change), (table, column) => this.dest.holdsUnsafeIntegers(table, column), new Limits(this.dest.capabilities));
    const names = (this.names = new Names(this.o.naming, catalog, (key, message) => this.warnings.once(key, message)));
    this.normalizer = new RowNormalizer(catalog, names, { schemaChanged: (c) => this.schemaChanged(c), warnOnce: (k, m) => this.warnings.once(k, m) });
    try {
      await runInSync(active, () => this.applyDeclaredSchema(catalog, names));
      this.sink.start();
      const before = watchUpdate();
      let returned: unknown;
      const yielded = (message: string): void => this.warnings.once("update-yields", message);
      await Promise.race([runInSync(active, () => drain((returned = this.o.definition.update(this.o.configuration, this.o.state)), yielded)), this.stopped]);
      if (this.sink.failed) throw this.sink.failed;
      const forgotten = forgottenAwait(before, returned, this.sink.count);
      if (forgotten) this.warnings.add(forgotten);
      if (this.tally.pendingOps > 0) {
        this.warnings.add(`${this.tally.pendingOps} operation(s) came after the last checkpoint; they were committed at the end, but the state was not advanced. End update() with op.checkpoint(state).`);
      }
      // Deferred truncate: rows are marked deleted only now that update() succeeded, in the final commit.
      try {
        const { truncated } = this.dest.finish();
        this.dest.commit(null, (r) => this.noted(r.unmatchedUpdates));
        this.tally.counts.truncatedRows = truncated;
      } catch (e) {
        // A pipelined destination reports a failed checkpoint commit at its next call, which may be this one.
        throw this.explain("commit", e);
      }
      this.warnings.report();
      return this.result("succeeded");
    } catch (e) {
      const error = this.sink.failed ?? toError(placeThrown(this.o.definition.update, e));
      try {
        this.dest.rollback();
      } catch {
        // The destination is already failing; the error above says why.
      }
      this.warnings.report();
      return this.result("failed", error);
    } finally {
      this.sink.end();
      active.ended = true;
    }
  }

  private async applyDeclaredSchema(catalog: Catalog, names: Names): Promise<void> {
    const tables = await declaredTables(this.o.definition, this.o.configuration, this.o.naming);
    if (!tables) return;
    for (const t of tables) names.sources.claim(t.source, t.name, "schema()", true);
    for (const change of applySchema(catalog, tables)) this.schemaChanged(change);
    this.dest.commit(null, () => {});
  }

  private result(status: "succeeded" | "failed", error?: Error): SyncResult {
    this.tally.fold();
    return {
      status,
      error,
      counts: this.http.requests ? { ...this.tally.counts, http: { ...this.http } } : this.tally.counts,
      previousState: this.startState,
      state: this.committedState,
      warnings: this.warnings.list,
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

  private noted(unmatched: Record<string, number>): void {
    for (const [table, n] of Object.entries(unmatched)) this.warnings.unmatched(table, n);
  }

  /** op.warning: a log line at once, and the message among the run's warnings (each distinct message once, up to a cap). */
  warning(message: string): void {
    this.o.logger?.log("WARNING", message);
    this.warnings.connector(message);
  }

  private counted(table: string, kind: "upserts" | "updates" | "deletes" | "truncates"): void {
    this.tally.op(table, kind);
    if (this.tally.pendingOps === OPS_WITHOUT_CHECKPOINT + 1) {
      this.warnings.once("no-checkpoint", `more than ${OPS_WITHOUT_CHECKPOINT.toLocaleString("en-US")} operations went by without a checkpoint; a failure now replays all of them. Checkpoint every few thousand rows.`);
    }
  }

  table(source: unknown, opName: OpName): string {
    return this.names.table(source, opName);
  }

  upsert(name: string, data: Record<string, unknown>): void {
    const t = this.normalizer.upsert(name, data);
    this.dest.upsert(name, t.row, this.clock.now());
    this.counted(name, "upserts");
  }

  update(name: string, data: Record<string, unknown>): void {
    this.counted(name, "updates");
    const u = this.normalizer.update(name, data);
    if (!u) {
      this.warnings.unmatched(name);
      return;
    }
    this.dest.update(name, u.columns, u.values, u.key, this.clock.now());
  }

  delete(name: string, keys: Record<string, unknown>): void {
    this.counted(name, "deletes");
    const key = this.normalizer.deleteKey(name, keys);
    if (key) this.dest.delete(name, key, this.clock.now());
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
    const { json, persisted } = this.stateChecks.check(state, this.seq + 1, this.tally.pendingOps);
    const operations = this.tally.pendingByTable();
    const time = new Date().toISOString();
    const seq = (this.seq += 1);
    this.tally.checkpoint();
    this.sink.checkpoints++;
    // The state is persisted only once the destination says the commit is durable.
    const secrets = this.sealed?.take();
    this.dest.commit({ seq, run: this.runNumber, time, state: json, operations: JSON.stringify(operations), ...(secrets ? { secrets } : {}) }, (r) => {
      this.noted(r.unmatchedUpdates);
      this.committedState = persisted;
      if (this.o.stateStore) {
        try {
          this.o.stateStore.committed(persisted);
        } catch (e) {
          throw new OperationError(`checkpoint ${seq} is committed to the warehouse, but the state file ${this.o.stateStore.where} could not be written: ${(e as Error).message}`);
        }
      }
      // Nothing keeps the info: a long run's states would pile up (the history is in _connector_checkpoints).
      this.o.events?.checkpoint?.({ seq, time, state: persisted, operations });
    });
  }

  /** Turns what an operation threw into the error that fails the sync: a destination's own failure names the destination. */
  explain(name: OpName | "commit", e: unknown): Error {
    const err = toError(e);
    const [op, during] = name === "commit" ? ["", " while committing"] : [`op.${name}: `, ""];
    if (err instanceof DestinationError) return new OperationError(`${op}${err.subject} failed${during}: ${err.message}`);
    return name === "commit" ? err : new OperationError(`${op}${err.message}`);
  }
}
