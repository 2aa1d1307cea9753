/**
 * A destination that writes a protocol message stream instead of a database: the way out of
 * the normal sync (sync/run-sync.ts) for `connector airbyte read` and `connector singer`. So
 * normalisation, the schemas, checkpoints and the state checks behave exactly as in `connector
 * debug`; only the rows leave as messages. A checkpoint's STATE is written after every record
 * it covers, and is flushed before the sync goes on, so a STATE on stdout always covers what
 * precedes it. Operations on tables the engine did not select are dropped and counted.
 */
import type { CheckpointRecord, ColumnSpec, CommitResult, Destination, FinishResult, LogicalType, SchemaChange, Stored, StoredCatalog, TableSpec } from "../destinations/destination.js";
import { OperationError } from "../util/errors.js";
import { RowJson } from "./record-json.js";

/** What one protocol makes of the operations. */
export interface Protocol {
  readonly name: string;
  /** Whether a table's operations are emitted. */
  selected(table: string): boolean;
  /** A table's columns are known or changed (Singer sends its SCHEMA again). */
  schema?(table: string, columns: ColumnSpec[]): void;
  /** A row, as `{"col":value,…` without its closing brace. */
  record(table: string, open: string): void;
  /** A delete, as the key columns' `{"col":value,…` without its closing brace, and the time it was synced. */
  deleted(table: string, openKey: string, synced: string): void;
  truncate(table: string): void;
  /** A committed checkpoint's state, serialised. */
  state(state: string): void;
  /** Writes what is buffered. */
  flush(): void;
}

export class StreamDestination implements Destination {
  readonly kind = "stream";
  readonly capabilities = { label: "A message stream", maxIdentifierLength: 1 << 20, maxColumns: 1 << 20 };
  readonly location: string;
  private readonly tables = new Map<string, RowJson>();
  /** Operations on tables the engine did not select, per table. */
  readonly dropped = new Map<string, number>();
  /** Records written since the last STATE, and in all. */
  sinceState = 0;
  records = 0;

  constructor(private readonly p: Protocol) {
    this.location = `${p.name} messages on stdout`;
  }

  open(): StoredCatalog {
    return { tables: [], sources: {}, lastSeq: 0, run: 1 };
  }

  apply(change: SchemaChange): void {
    switch (change.kind) {
      case "createTable":
        this.tables.set(change.table.name, new RowJson(change.table.columns));
        break;
      case "addColumn":
        this.table(change.table).add(change.column);
        break;
      case "setType":
      case "changeType":
        this.table(change.table).setType(change.column, change.type as LogicalType);
        break;
      case "dropTable":
        this.tables.delete(change.table);
        return;
      case "tableSource":
        return;
    }
    const name = change.kind === "createTable" ? change.table.name : change.table;
    if (this.p.schema && this.p.selected(name)) this.p.schema(name, this.table(name).columns);
  }

  private table(name: string): RowJson {
    const t = this.tables.get(name);
    if (!t) throw new Error(`internal: no table ${name} in the message stream's catalog`);
    return t;
  }

  private drop(table: string): boolean {
    if (this.p.selected(table)) return false;
    this.dropped.set(table, (this.dropped.get(table) ?? 0) + 1);
    return true;
  }

  upsert(table: string, row: Stored[]): void {
    if (this.drop(table)) return;
    this.p.record(table, this.table(table).open(row));
    this.sinceState++;
    this.records++;
  }

  update(table: string): void {
    if (this.drop(table)) return;
    throw new OperationError(
      `op.update("${table}") changes only some columns of a row, which the ${this.p.name} protocol cannot carry: a record there is the whole row, so a deduplicating destination would set every other column to null. Send the whole row with op.upsert("${table}", row) instead.`,
    );
  }

  delete(table: string, key: Stored[], synced: string): void {
    if (this.drop(table)) return;
    this.p.deleted(table, this.table(table).openKey(key), synced);
    this.sinceState++;
    this.records++;
  }

  truncate(table: string): void {
    if (this.drop(table)) return;
    this.p.truncate(table);
  }

  holdsUnsafeIntegers(): boolean {
    return false;
  }

  finish(): FinishResult {
    return { truncated: {} };
  }

  commit(checkpoint: CheckpointRecord | null, committed: (result: CommitResult) => void): void {
    if (checkpoint) {
      this.p.state(checkpoint.state);
      this.sinceState = 0;
    }
    this.p.flush();
    committed({ unmatchedUpdates: {} });
  }

  rollback(): void {
    this.p.flush();
  }

  close(): void {
    this.p.flush();
  }

  /** The tables the sync created, with their columns as they ended. */
  specs(): TableSpec[] {
    return [...this.tables].map(([name, t]) => ({ name, columns: t.columns, keyless: false }));
  }
}
