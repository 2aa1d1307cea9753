import { addByTable, emptyCounts, emptyTableCounts, type Counts, type OpKind, type TableCounts } from "./counts.js";
import type { ConnectorDefinition } from "../sdk/connector.js";
import { OperationError } from "../util/errors.js";
import { applyNaming, sqliteNameKey, type Naming } from "../normalize/naming.js";
import { registry, type LogSink, type SyncSink } from "../sdk/active-sync.js";
import { applySchema, caseTwin, isReservedColumn, nameProblem, parseSchema, tableNameProblem } from "../normalize/declared.js";
import { TableSources } from "../normalize/table-sources.js";
import { toError } from "../util/thrown.js";
import { formatBytes, isPlainObject, serializeState, StateValueError, STATE_WARN_BYTES, writeStateFile, type StateObject } from "../state/state.js";
import { coercerFor, CoercionError, describe, fitsInferred, formatType, inferType, isUnsafeInteger, sourceText, widen, type LogicalType, type Stored } from "../normalize/types.js";
import { FIVETRAN_ID, hashPairs, type Column, type Table, type Warehouse } from "../destinations/sqlite/warehouse.js";
import { secretValues } from "../project/configuration.js";
import { OPS_WITHOUT_CHECKPOINT, StateLints } from "../state/lints.js";
import { lateOperation } from "../sdk/operations.js";

export interface CheckpointInfo {
  seq: number;
  time: string;
  state: StateObject;
  /** Operations committed by this checkpoint, per table. */
  operations: Record<string, TableCounts>;
}

export interface SyncEvents {
  checkpoint?(info: CheckpointInfo): void;
  warning?(message: string): void;
}

export interface SyncOptions {
  definition: ConnectorDefinition<unknown, unknown>;
  /** Configuration after validation: what update() receives. */
  configuration: unknown;
  /** State after validation: what update() receives. */
  state: StateObject;
  warehouse: Warehouse;
  /** Rewritten atomically after every committed checkpoint; none for in-memory runs. */
  stateFile?: string;
  naming: Naming;
  events?: SyncEvents;
  logger?: LogSink;
  /** Mirrors counts for another thread to read while update() blocks its own: upserts, updates, deletes, truncates, schemaChanges, checkpoints. */
  liveCounts?: Float64Array;
  /** For `connector verify`: operation number N (counting checkpoints, from 1) fails as if the process died there. */
  abortBeforeOperation?: number;
  /** Checks each checkpoint against the connector's state schema; returns problems or the state to persist. */
  checkState?: (state: unknown) => { ok: true; value: unknown } | { ok: false; problems: string[] };
}

export interface SyncResult {
  status: "succeeded" | "failed";
  error?: Error;
  counts: Counts;
  previousState: StateObject;
  /** The last committed state: what the next sync starts from. Earlier states are in _connector_checkpoints, not in memory. */
  state: StateObject;
  warnings: string[];
  durationMs: number;
}

/**
 * Runs one sync. Operations are applied to an open SQLite transaction as they are
 * emitted, so memory does not grow between checkpoints; each checkpoint commits that
 * transaction and then replaces the state file, so the file never runs ahead of the data.
 */
export class SyncEngine implements SyncSink {
  readonly counts: Counts = emptyCounts();
  readonly warnings: string[] = [];
  private readonly w: Warehouse;
  private committedState: StateObject;
  /** Operations per table since the last checkpoint; folded into counts.byTable when it commits. */
  private pending = new Map<string, TableCounts>();
  private pendingOps = 0;
  private lastTable = "";
  private lastPending: TableCounts | undefined;
  private failure: Error | undefined;
  private seq = 0;
  private runNumber = 0;
  private stamp = "";
  private stampMs = -1;
  private tableNames = new Map<string, string>();
  private columnNames = new Map<string, Map<string, string>>();
  /** Per table: the data key each column was first seen under (as SQLite compares names). */
  private keyOf = new Map<string, Map<string, string>>();
  /** Tables where two different data keys became one column: only their rows are checked for both keys at once. */
  private aliased = new Set<string>();
  /** The data of the operation in progress, to name both keys when two of them become one column. */
  private current: Record<string, unknown> | undefined;
  private readonly sources: TableSources;
  /** A copy of the starting state: update() may change the object it receives. */
  private readonly startState: StateObject;
  private warnedOnce = new Set<string>();
  private noMatch = new Map<string, number>();
  private secrets: string[];
  private startedAt = Date.now();
  private active = false;
  private operations = 0;
  private readonly lints: StateLints;
  private stop: (e: Error) => void = () => {};
  private readonly stopped = new Promise<never>((_, reject) => {
    this.stop = reject;
  });

  constructor(private readonly o: SyncOptions) {
    this.w = o.warehouse;
    this.startState = copyState(o.state);
    this.committedState = this.startState;
    this.secrets = secretValues(o.configuration, o.definition.configuration);
    this.lints = new StateLints(this.startState);
    this.sources = new TableSources(o.warehouse, o.naming, (key, message) => this.warnOnce(key, message));
    // fail() may come before run() races this promise: never an unhandled rejection.
    this.stopped.catch(() => {});
  }

  /** Operations emitted so far, checkpoints included. */
  get operationCount(): number {
    return this.operations;
  }

  async run(): Promise<SyncResult> {
    const reg = registry();
    if (reg.sync) throw new Error("Another sync is already running in this process; syncs cannot be nested.");
    reg.sync = this;
    const previousLogger = reg.logger;
    if (this.o.logger) reg.logger = this.o.logger;
    this.active = true;
    this.startedAt = Date.now();
    try {
      this.seq = this.w.lastCheckpointSeq();
      this.runNumber = this.w.nextRun();
      await this.applyDeclaredSchema();
      this.w.begin();
      const before = activeResources();
      await Promise.race([drain(this.o.definition.update(this.o.configuration, this.o.state)), this.stopped]);
      if (this.failure) throw this.failure;
      // Work still under way that update() started (a socket, a timer, a file read) but did not
      // wait for: the mark of a forgotten await. A connector with nothing to do leaves none.
      if (this.operations === 0 && startedSince(before)) {
        this.warn(
          "update() finished without a single operation or checkpoint. If it calls an async function, await it (`await syncUsers(state)`, not `syncUsers(state)`): without await the sync ends before that function emits anything. If the source had nothing new, end update() with op.checkpoint(state).",
        );
      }
      if (this.pendingOps > 0) {
        this.warn(`${this.pendingOps} operation(s) came after the last checkpoint; they were committed at the end, but the state was not advanced. End update() with op.checkpoint(state).`);
      }
      this.w.commit();
      this.reportNoMatch();
      return this.result("succeeded");
    } catch (e) {
      const error = this.failure ?? toError(e);
      this.w.rollback();
      this.reportNoMatch();
      return this.result("failed", error);
    } finally {
      this.active = false;
      if (reg.sync === this) reg.sync = undefined;
      reg.ended = true;
      reg.logger = previousLogger;
    }
  }

  /** Fails the sync from outside update(), for an unhandled rejection in a promise the connector left behind. */
  fail(error: Error): void {
    this.failure ??= error;
    this.stop(this.failure);
  }

  private async applyDeclaredSchema(): Promise<void> {
    if (!this.o.definition.schema) return;
    let declared: unknown;
    try {
      declared = await Promise.race([this.o.definition.schema(this.o.configuration), this.stopped]);
    } catch (e) {
      throw this.failure ?? withContext(toError(e), "schema() threw");
    }
    const tables = parseSchema(declared, this.o.naming);
    this.w.begin();
    try {
      for (const t of tables) this.sources.claim(t.source, t.name, "schema()", true);
      this.counts.schemaChanges += applySchema(this.w, tables);
      this.w.commit();
    } catch (e) {
      this.w.rollback();
      throw e;
    }
  }

  /** Adds the operations since the last checkpoint to the per-table totals, and starts a new tally. */
  private foldPending(): Record<string, TableCounts> {
    const operations = Object.fromEntries(this.pending);
    addByTable(this.counts.byTable, operations);
    this.pending = new Map();
    this.lastTable = "";
    this.lastPending = undefined;
    return operations;
  }

  private result(status: "succeeded" | "failed", error?: Error): SyncResult {
    this.foldPending();
    return {
      status,
      error,
      counts: this.counts,
      previousState: this.startState,
      state: this.committedState,
      warnings: this.warnings,
      durationMs: Date.now() - this.startedAt,
    };
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.o.events?.warning?.(message);
  }

  private warnOnce(key: string, message: string): void {
    if (this.warnedOnce.has(key)) return;
    this.warnedOnce.add(key);
    this.warn(message);
  }

  private reportNoMatch(): void {
    for (const [table, n] of this.noMatch) {
      this.warn(`${n} update(s) on table "${table}" matched no row and changed nothing; op.update only changes rows that exist (use op.upsert to insert).`);
    }
    this.noMatch.clear();
  }

  private now(): string {
    const ms = Date.now();
    if (ms !== this.stampMs) {
      this.stampMs = ms;
      this.stamp = new Date(ms).toISOString();
    }
    return this.stamp;
  }

  /** Every operation starts here: a failed, finished or (for verify) interrupted sync takes no more. */
  private enter(name: string): void {
    if (this.failure) throw this.failure;
    if (!this.active) throw new Error(lateOperation(name));
    if (++this.operations === this.o.abortBeforeOperation) {
      this.failure = new SimulatedInterruption(this.operations, this.counts.checkpoints);
      throw this.failure;
    }
  }

  /** A failed operation poisons the sync, so it fails even if the connector catches the error. */
  private failed(name: string, e: unknown): Error {
    const err = e instanceof OperationError ? e : new OperationError(`op.${name}: ${this.explain(e as Error)}`);
    this.failure = err;
    return err;
  }

  /** SQLite and file-system errors say what failed but not where; name the file. */
  private explain(e: Error): string {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return `the warehouse ${this.w.file} failed: ${e.message} (${code})`;
    return e.message;
  }

  private tally(table: string, kind: OpKind): void {
    const n = ++this.counts[kind];
    const live = this.o.liveCounts;
    if (live) {
      live[LIVE_SLOTS[kind]] = n;
      live[4] = this.counts.schemaChanges;
    }
    let p = table === this.lastTable ? this.lastPending : undefined;
    if (!p) {
      p = this.pending.get(table);
      if (!p) this.pending.set(table, (p = emptyTableCounts()));
      this.lastTable = table;
      this.lastPending = p;
    }
    p[kind]++;
    if (++this.pendingOps === OPS_WITHOUT_CHECKPOINT + 1) {
      this.warnOnce("no-checkpoint", `more than ${OPS_WITHOUT_CHECKPOINT.toLocaleString("en-US")} operations went by without a checkpoint; a failure now replays all of them. Checkpoint every few thousand rows.`);
    }
  }

  private tableName(source: unknown, opName: string): string {
    let name = typeof source === "string" ? this.tableNames.get(source) : undefined;
    if (name === undefined) {
      if (typeof source !== "string" || source.trim() === "") {
        throw new OperationError(`op.${opName}: the table name must be a non-empty string, got ${describe(source)}`);
      }
      name = applyNaming(this.o.naming, source, "table");
      const problem = tableNameProblem(name);
      if (problem) throw new OperationError(`op.${opName}: table ${JSON.stringify(source)} ${problem}`);
      this.sources.claim(source, name, `op.${opName}`);
      this.tableNames.set(source, name);
    }
    return name;
  }

  private columnName(table: string, source: string, opName: string, allowId: boolean): string {
    let cache = this.columnNames.get(table);
    if (!cache) this.columnNames.set(table, (cache = new Map()));
    let name = cache.get(source);
    if (name === undefined) {
      name = applyNaming(this.o.naming, source, "column");
      const problem = nameProblem(name);
      if (problem) throw new OperationError(`op.${opName} on table "${table}": column ${JSON.stringify(source)} ${problem}`);
      cache.set(source, name);
      this.noteKey(table, source, name, opName);
    }
    // Reserved names start with "_"; the regex runs only for those.
    if (name.charCodeAt(0) === 95 && isReservedColumn(name) && !(allowId && name === FIVETRAN_ID)) {
      throw new OperationError(`op.${opName} on table "${table}": column "${source}" uses a reserved name; _fivetran_* and _connector_* columns belong to the warehouse`);
    }
    return name;
  }

  private data(value: unknown, opName: string, table: string, what: string): Record<string, unknown> {
    if (!isPlainObject(value)) throw new OperationError(`op.${opName} on table "${table}": ${what} must be a plain object, got ${describe(value)}`);
    this.current = value;
    // Delete reads only the key columns of its data, so it checks every key here.
    if (opName === "delete" || (this.aliased.size !== 0 && this.aliased.has(table))) this.checkKeys(table, value, opName);
    return value;
  }

  /** Notes the column a new data key becomes; a second key for one column is an error if the same row holds both. */
  private noteKey(table: string, source: string, name: string, opName: string): void {
    let keys = this.keyOf.get(table);
    if (!keys) this.keyOf.set(table, (keys = new Map()));
    const key = sqliteNameKey(name);
    const first = keys.get(key);
    if (first === undefined) {
      keys.set(key, source);
      return;
    }
    this.aliased.add(table);
    if (this.current) this.checkKeys(table, this.current, opName);
  }

  /** Fails when two keys of one row become the same column, where one value would silently overwrite the other. */
  private checkKeys(table: string, data: Record<string, unknown>, opName: string): void {
    const cache = this.columnNames.get(table);
    const seen = new Map<string, string>();
    for (const key in data) {
      const name = cache?.get(key) ?? applyNaming(this.o.naming, key, "column");
      const k = sqliteNameKey(name);
      const other = seen.get(k);
      if (other !== undefined) {
        const why = applyNaming(this.o.naming, other, "column") === name ? `both become column "${name}"` : "name the same column, because SQLite ignores case in column names";
        throw new OperationError(
          `op.${opName} on table "${table}": the keys ${JSON.stringify(other)} and ${JSON.stringify(key)} ${why}, so one value would overwrite the other. Rename or remove one of them${this.o.naming === "fivetran" ? ", or run with --naming source to keep names as sent" : ""}.`,
        );
      }
      seen.set(k, key);
    }
  }

  /** Coerces a value for a column, adding a type to an untyped column or widening an inferred one when the value needs it. */
  private store(t: Table, col: Column, value: unknown): Stored {
    if (value === null || value === undefined) return null;
    if (col.type && col.declared) return this.coerce(t, col, col.type, value);
    const inferred = this.infer(t.name, col.name, value)!;
    if (!col.type) {
      this.w.setColumnType(t, col, inferred, false);
    } else if (!fitsInferred(inferred, col.type, value)) {
      if (col.pk) {
        throw new OperationError(
          `table "${t.name}", primary key column "${col.name}": ${describe(value)} is ${formatType(inferred)}, but the key is ${formatType(col.type)}; a primary key cannot change type`,
        );
      }
      let wider = widen(col.type, inferred);
      // A DOUBLE cannot hold an integer beyond 2^53 exactly: a column that would hold one becomes STRING instead.
      if (wider.type === "DOUBLE" && (isUnsafeInteger(value) || (col.type.type === "LONG" && this.w.holdsUnsafeIntegers(t, col)))) wider = { type: "STRING" };
      this.w.changeColumnType(t, col, wider, false);
      this.counts.schemaChanges++;
    }
    return this.coerce(t, col, col.type!, value);
  }

  /** The inferred type of a value, or an error naming the table and column when the value has no faithful form. */
  private infer(table: string, column: string, value: unknown): LogicalType | undefined {
    try {
      return inferType(value);
    } catch (e) {
      if (!(e instanceof CoercionError)) throw e;
      throw new OperationError(`table "${table}", column "${column}": ${e.message}`);
    }
  }

  private coerce(t: Table, col: Column, type: LogicalType, value: unknown): Stored {
    try {
      const stored = (col.convert ??= coercerFor(type))(value);
      if (type.type === "JSON" && typeof value === "string" && /^\s*[[{]/.test(value)) this.checkDoubleEncoding(t, col, value);
      return stored;
    } catch (e) {
      if (!(e instanceof CoercionError)) throw e;
      throw new OperationError(`table "${t.name}", column "${col.name}" (${formatType(type)}): ${e.message}`);
    }
  }

  private checkDoubleEncoding(t: Table, col: Column, value: string): void {
    try {
      JSON.parse(value);
    } catch {
      return;
    }
    this.warnOnce(
      `json:${t.name}.${col.name}`,
      `table "${t.name}", column "${col.name}" (JSON) received a string that is itself JSON; it is stored as a JSON string, double-encoded. Pass the object, not JSON.stringify(object).`,
    );
  }

  private newColumn(t: Table, name: string, value: unknown): Column {
    const twin = caseTwin(name, t.columns.keys());
    if (twin) {
      throw new OperationError(`table "${t.name}": column "${name}" and the existing column "${twin}" differ only in case; SQLite ignores case in column names, so they would be one column. Use the spelling "${twin}".`);
    }
    const type = this.infer(t.name, name, value)!;
    this.counts.schemaChanges++;
    return this.w.addColumn(t, { name, type, declared: false });
  }

  private missingKey(t: Table, col: Column, opName: string): never {
    const hint = t.keyless ? ` (table "${t.name}" has no primary key, so ${opName} needs the row's _fivetran_id)` : "";
    throw new OperationError(`op.${opName} on table "${t.name}": primary key column "${col.name}" is missing or null${hint}`);
  }

  /** The primary-key values of update and delete data, coerced like the stored keys. */
  private keyValues(t: Table, data: Record<string, unknown>, opName: string): Stored[] {
    const values: Stored[] = [];
    for (const col of t.pk) {
      let v: Stored = null;
      for (const key in data) {
        if (this.resolve(t, key, opName) === col) {
          v = this.store(t, col, data[key]);
          break;
        }
      }
      if (v === null) this.missingKey(t, col, opName);
      values.push(v);
    }
    return values;
  }

  /** The column a data key maps to, or the normalised name of a column that does not exist yet. */
  private resolve(t: Table, key: string, opName: string): Column | string {
    let col = t.resolved.get(key);
    if (col === undefined) {
      // _fivetran_id may only name the key of a keyless table, in update and delete.
      const name = this.columnName(t.name, key, opName, t.keyless && opName !== "upsert");
      col = t.columns.get(name);
      if (!col) return name;
      t.resolved.set(key, col);
    }
    if (col.name === FIVETRAN_ID && opName === "upsert") {
      throw new OperationError(`op.upsert on table "${t.name}": column "${key}" uses a reserved name; _fivetran_* and _connector_* columns belong to the warehouse`);
    }
    return col;
  }

  /**
   * The documented key of a row of a table without a primary key: a hash of its non-null values as the connector
   * sent them (sourceText), by column, so it does not depend on the type a column has widened to. Replaying a row
   * finds the row it wrote before.
   */
  private rowHash(t: Table, d: Record<string, unknown>, row: Stored[]): string {
    const pairs: [string, string][] = [];
    for (const key in d) {
      const value = d[key];
      if (value === null || value === undefined) continue;
      const col = this.resolve(t, key, "upsert") as Column;
      // A STRING column already holds the text.
      pairs.push([col.name, col.type?.type === "STRING" ? (row[col.index + 2] as string) : sourceText(value)]);
    }
    return hashPairs(pairs);
  }

  /** A table first seen in an upsert: created keyless with the row's non-null columns, as one schema change. */
  private createFromRow(name: string, d: Record<string, unknown>): Table {
    const columns = new Map<string, LogicalType>();
    for (const key of Object.keys(d)) {
      const type = this.infer(name, key, d[key]);
      const col = this.columnName(name, key, "upsert", false);
      if (type && !columns.has(col)) columns.set(col, type);
    }
    this.counts.schemaChanges++;
    return this.w.createTable(name, [...columns].map(([col, type]) => ({ name: col, type, declared: false, pk: false })));
  }

  upsert(table: unknown, data: unknown): void {
    this.enter("upsert");
    try {
      const name = this.tableName(table, "upsert");
      const d = this.data(data, "upsert", name, "data");
      const t = this.w.tables.get(name) ?? this.createFromRow(name, d);
      // One buffer per table, reused: run() copies its arguments, so nothing keeps a row alive.
      const width = t.order.length + 2;
      const row = (t.rowBuffer ??= []);
      row.length = width;
      for (let i = 0; i < width; i++) row[i] = null;
      for (const key in d) {
        const value = d[key];
        let col = this.resolve(t, key, "upsert");
        if (typeof col === "string") {
          if (value === null || value === undefined) continue;
          col = this.newColumn(t, col, value);
        }
        row[col.index + 2] = this.store(t, col, value);
      }
      if (t.keyless) row[t.pk[0]!.index + 2] = this.rowHash(t, d, row);
      for (const pk of t.pk) {
        if (row[pk.index + 2] === null) this.missingKey(t, pk, "upsert");
      }
      row[0] = this.now();
      row[1] = 0;
      this.w.upsertStatement(t).run(...row);
      this.tally(name, "upserts");
    } catch (e) {
      throw this.failed("upsert", e);
    }
  }

  update(table: unknown, data: unknown): void {
    this.enter("update");
    try {
      const name = this.tableName(table, "update");
      const d = this.data(data, "update", name, "data");
      this.tally(name, "updates");
      const t = this.w.tables.get(name);
      if (!t) {
        this.noMatch.set(name, (this.noMatch.get(name) ?? 0) + 1);
        return;
      }
      const key = this.keyValues(t, d, "update");
      const set: Column[] = [];
      const values: Stored[] = [this.now()];
      for (const k in d) {
        let col = this.resolve(t, k, "update");
        if (typeof col !== "string" && col.pk) continue;
        const value = d[k];
        if (typeof col === "string") {
          if (value === null || value === undefined) continue;
          col = this.newColumn(t, col, value);
        }
        values.push(this.store(t, col, value));
        set.push(col);
      }
      const changed = this.w.updateStatement(t, set).run(...values, ...key).changes;
      if (changed === 0) this.noMatch.set(name, (this.noMatch.get(name) ?? 0) + 1);
    } catch (e) {
      throw this.failed("update", e);
    }
  }

  delete(table: unknown, keys: unknown): void {
    this.enter("delete");
    try {
      const name = this.tableName(table, "delete");
      const d = this.data(keys, "delete", name, "keys");
      this.tally(name, "deletes");
      const t = this.w.tables.get(name);
      if (!t) return;
      this.w.deleteStatement(t).run(this.now(), ...this.keyValues(t, d, "delete"));
    } catch (e) {
      throw this.failed("delete", e);
    }
  }

  truncate(table: unknown): void {
    this.enter("truncate");
    try {
      const name = this.tableName(table, "truncate");
      this.tally(name, "truncates");
      const t = this.w.tables.get(name);
      if (t) this.w.truncateStatement(t).run();
    } catch (e) {
      throw this.failed("truncate", e);
    }
  }

  checkpoint(state: unknown): void {
    this.enter("checkpoint");
    try {
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
      const operations = Object.fromEntries(this.pending);
      for (const lint of this.lints.checkpoint(this.seq + 1, persisted, bytes, this.pendingOps)) this.warnOnce(lint.key, lint.message);
      const time = new Date().toISOString();
      this.seq++;
      this.w.recordCheckpoint(this.seq, this.runNumber, time, json, JSON.stringify(operations));
      this.w.commit();
      this.committedState = persisted;
      this.counts.checkpoints++;
      if (this.o.liveCounts) this.o.liveCounts[5] = this.counts.checkpoints;
      if (this.o.stateFile) {
        try {
          writeStateFile(this.o.stateFile, persisted);
        } catch (e) {
          throw new OperationError(`checkpoint ${this.seq} is committed to the warehouse, but the state file ${this.o.stateFile} could not be written: ${(e as Error).message}`);
        }
      }
      this.foldPending();
      this.pendingOps = 0;
      // Nothing keeps the info: a long run's states would pile up (the history is in _connector_checkpoints).
      this.o.events?.checkpoint?.({ seq: this.seq, time, state: persisted, operations });
      this.w.begin();
    } catch (e) {
      throw this.failed("checkpoint", e);
    }
  }
}

/** The deliberate failure that `connector verify` injects to interrupt a sync. */
export class SimulatedInterruption extends OperationError {
  override name = "SimulatedInterruption";
  constructor(
    readonly operation: number,
    readonly afterCheckpoint: number,
  ) {
    super(`interrupted by verify before operation ${operation}, after checkpoint ${afterCheckpoint}`);
  }
}

const LIVE_SLOTS: Record<OpKind, number> = { upserts: 0, updates: 1, deletes: 2, truncates: 3 };

function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

function startedSince(before: Map<string, number>): boolean {
  for (const [kind, n] of activeResources()) if (n > (before.get(kind) ?? 0)) return true;
  return false;
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

function withContext(e: Error, context: string): Error {
  e.message = `${context}: ${e.message}`;
  return e;
}
