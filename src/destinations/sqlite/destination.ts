/**
 * The SQLite destination: `files/warehouse.db`, written inline on the connector's thread
 * (better-sqlite3 is synchronous), one transaction per checkpoint. The Warehouse keeps
 * its own copy of each table, with the statements prepared for it. Upserts are held in
 * small batches (upsert-batch.ts): every other method writes them first. What better-sqlite3
 * throws leaves as a DestinationError naming the warehouse (file.ts sqliteFailure).
 */
import { generation, type CheckpointRecord, type CommitResult, type Destination, type FinishResult, type SchemaChange, type StoredCatalog } from "../destination.js";
import type { Stored } from "../../normalize/types.js";
import { CAPABILITIES, sqliteFailure } from "./file.js";
import { applyTruncates, recordTruncate } from "./truncates.js";
import { UpsertBatch } from "./upsert-batch.js";
import { type Table, Warehouse } from "./warehouse.js";

export class SqliteDestination implements Destination {
  readonly kind = "sqlite";
  readonly capabilities = CAPABILITIES;
  private w!: Warehouse;
  private unmatched: Record<string, number> = {};
  private lastName = "";
  private last: Table | undefined;
  private run = 0;
  /** The batches that hold rows not yet written. */
  private held: UpsertBatch[] = [];

  constructor(readonly location: string) {}

  /** The open connection, for a reader that shares it (a warehouse in memory has no other). */
  get db(): Warehouse["db"] {
    if (this.held.length > 0) this.flush();
    return this.w.db;
  }

  open(): StoredCatalog {
    this.w = Warehouse.open(this.location);
    const tables = [...this.w.tables.values()].map((t) => ({ name: t.name, keyless: t.keyless, columns: t.order.map((c) => ({ name: c.name, type: c.type, declared: c.declared, pk: c.pk })) }));
    this.run = this.w.nextRun();
    this.w.generation = generation(this.run, 0);
    return { tables, sources: this.w.tableSources(), lastSeq: this.w.lastCheckpointSeq(), run: this.run, secrets: this.w.storedSecrets() };
  }

  private table(name: string): Table {
    if (name === this.lastName && this.last) return this.last;
    const t = this.w.tables.get(name);
    if (!t) throw new Error(`no table "${name}" in ${this.location}`);
    this.lastName = name;
    this.last = t;
    return t;
  }

  /** The transaction opens with the first write after a commit, so an idle destination holds no write lock. */
  private tx(): void {
    if (!this.w.inTransaction) this.w.begin();
  }

  /** Writes the held upserts, and opens the transaction: what every method but upsert does first. */
  private flush(): void {
    this.tx();
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    try {
      for (const b of held) b.write();
    } catch (e) {
      for (const b of held) b.discard();
      throw e;
    }
  }

  apply(change: SchemaChange): void {
    try {
      this.flush();
      this.last = undefined;
      switch (change.kind) {
        case "createTable":
          this.w.createTable(change.table.name, change.table.columns);
          return;
        case "addColumn":
          this.w.addColumn(this.table(change.table), change.column);
          return;
        case "setType": {
          const t = this.table(change.table);
          this.w.setColumnType(t, column(t, change.column), change.type, change.declared);
          return;
        }
        case "changeType": {
          const t = this.table(change.table);
          this.w.changeColumnType(t, column(t, change.column), change.type, change.declared);
          return;
        }
        case "dropTable":
          this.w.dropTable(change.table);
          return;
        case "tableSource":
          this.w.recordSource(change.table, change.source, change.fresh);
          return;
      }
    } catch (e) {
      throw sqliteFailure(this.location, e);
    }
  }

  upsert(table: string, row: Stored[], synced: string): void {
    try {
      this.tx();
      const t = this.table(table);
      let b = t.batch;
      if (!b || b.generation !== this.w.generation) b = t.batch = new UpsertBatch(this.w.db, t, this.w.generation);
      if (!b.listed) {
        b.listed = true;
        this.held.push(b);
      }
      b.add(row, synced);
    } catch (e) {
      throw sqliteFailure(this.location, e);
    }
  }

  update(table: string, columns: string[], values: Stored[], key: Stored[], synced: string): void {
    try {
      this.flush();
      const t = this.table(table);
      const statement = this.w.updateStatement(t, columns.map((c) => column(t, c)));
      const changed = (t.generated ? statement.run(synced, this.w.generation, ...values, ...key) : statement.run(synced, ...values, ...key)).changes;
      if (changed === 0) this.unmatched[table] = (this.unmatched[table] ?? 0) + 1;
    } catch (e) {
      throw sqliteFailure(this.location, e);
    }
  }

  delete(table: string, key: Stored[], synced: string): void {
    try {
      this.flush();
      const t = this.table(table);
      if (t.generated) this.w.deleteStatement(t).run(synced, this.w.generation, ...key);
      else this.w.deleteStatement(t).run(synced, ...key);
    } catch (e) {
      throw sqliteFailure(this.location, e);
    }
  }

  truncate(table: string): void {
    try {
      this.flush();
      // Rows written so far have this generation or an older one; rows written after, a newer one.
      recordTruncate(this.w, table, this.w.generation++);
    } catch (e) {
      throw sqliteFailure(this.location, e);
    }
  }

  finish(): FinishResult {
    try {
      this.flush();
      return { truncated: applyTruncates(this.w, this.run, new Date().toISOString()) };
    } catch (e) {
      throw sqliteFailure(this.location, e);
    }
  }

  holdsUnsafeIntegers(table: string, name: string): boolean {
    try {
      this.flush();
      const t = this.table(table);
      return this.w.holdsUnsafeIntegers(t, column(t, name));
    } catch (e) {
      throw sqliteFailure(this.location, e);
    }
  }

  commit(checkpoint: CheckpointRecord | null, committed: (result: CommitResult) => void): void {
    try {
      this.flush();
      if (checkpoint) this.w.recordCheckpoint(checkpoint.seq, checkpoint.run, checkpoint.time, checkpoint.state, checkpoint.operations);
      if (checkpoint?.secrets) this.w.recordSecrets(checkpoint.secrets);
      this.w.commit();
    } catch (e) {
      throw sqliteFailure(this.location, e);
    }
    const result = { unmatchedUpdates: this.unmatched };
    this.unmatched = {};
    committed(result);
  }

  private discard(): void {
    for (const b of this.held) b.discard();
    this.held = [];
  }

  rollback(): void {
    try {
      this.discard();
      this.last = undefined;
      this.unmatched = {};
      this.w.rollback();
    } catch (e) {
      throw sqliteFailure(this.location, e);
    }
  }

  close(): void {
    this.discard();
    this.w?.close();
  }
}

function column(t: Table, name: string) {
  const c = t.columns.get(name);
  if (!c) throw new Error(`no column "${name}" in table "${t.name}"`);
  return c;
}
