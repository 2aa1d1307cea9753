import fs from "node:fs";
import path from "node:path";
import { Database } from "../../util/sqlite-driver.js";
import { DELETED, FIVETRAN_ID, GENERATION, SYNCED } from "../../normalize/catalog.js";
import { formatType, parseType, sqliteClass, type LogicalType, type Stored } from "../../normalize/types.js";
import { UsageError } from "../../util/errors.js";
import type { StoredSecret } from "../destination.js";
import { createTableSql, METADATA_SQL, newTable, pkWhere, q, SYSTEM_COLUMNS, touch, type Column, type Table } from "./ddl.js";
import { checkOursReadOnly, isBusy, lockedBy, notOurs, tooManyColumns, warehouseProblem } from "./file.js";
import { rebuildTable, repair } from "./rebuild.js";

export { DELETED, FIVETRAN_ID, GENERATION, SYNCED, q };
export type { Column, Table };
export { openReadOnly, readCheckpoints, type CheckpointRow } from "./read.js";

/**
 * The local SQLite warehouse: user tables plus the _connector_ metadata that describes them.
 * A class of about 300 lines, on purpose: every method runs on the one connection and inside
 * the one transaction the class owns, and keeps its map of tables true to the file. Table
 * rebuilds live in rebuild.ts, DDL in ddl.ts, file checks in file.ts, reads in read.ts, truncates in truncates.ts.
 */
export class Warehouse {
  readonly tables = new Map<string, Table>();
  private inTx = false;
  /** The generation that writes stamp on rows (destination.ts, deferred truncate). */
  generation = 0;

  private constructor(
    readonly db: Database.Database,
    readonly file: string,
  ) {}

  static open(file: string): Warehouse {
    if (file !== ":memory:") {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      checkOursReadOnly(file);
    }
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma("busy_timeout = 5000");
      db.pragma("journal_mode = WAL");
      // FULL after WAL: a checkpoint's commit must be durable before the state file moves past it.
      db.pragma("synchronous = FULL");
    } catch (e) {
      throw new UsageError(warehouseProblem(file, e as Error, "open"));
    }
    const w = new Warehouse(db, file);
    try {
      w.ensureOurs();
      // One transaction, so a kill cannot leave one metadata table without the other.
      db.exec(`BEGIN IMMEDIATE; ${METADATA_SQL} COMMIT;`);
      w.load();
      repair(w);
    } catch (e) {
      db.close();
      if (e instanceof UsageError) throw e;
      throw new UsageError(warehouseProblem(file, e as Error, "use"));
    }
    return w;
  }

  private ensureOurs(): void {
    const names = (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    if (names.length > 0 && !names.includes("_connector_columns")) throw new UsageError(notOurs(this.file));
  }

  private load(): void {
    const rows = this.db.prepare("SELECT table_name, column_name, type, declared, primary_key FROM _connector_columns ORDER BY table_name, position").all() as {
      table_name: string;
      column_name: string;
      type: string | null;
      declared: number;
      primary_key: number;
    }[];
    for (const r of rows) {
      let t = this.tables.get(r.table_name);
      if (!t) {
        t = newTable(r.table_name);
        this.tables.set(r.table_name, t);
      }
      const col: Column = { name: r.column_name, type: r.type ? parseType(r.type) : null, declared: r.declared === 1, pk: r.primary_key === 1, index: t.order.length };
      t.columns.set(col.name, col);
      t.order.push(col);
      if (col.pk) t.pk.push(col);
      if (col.name === FIVETRAN_ID) t.keyless = true;
    }
    const generated = this.db.prepare("SELECT m.name AS t FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = ?").all(GENERATION) as { t: string }[];
    for (const { t } of generated) {
      const table = this.tables.get(t);
      if (table) table.generated = true;
    }
  }

  begin(): void {
    try {
      this.db.exec("BEGIN IMMEDIATE");
    } catch (e) {
      if (isBusy(e)) throw new UsageError(lockedBy(this.file));
      throw e;
    }
    this.inTx = true;
  }

  commit(): void {
    this.db.exec("COMMIT");
    this.inTx = false;
  }

  /** Discards the open transaction, and with it any table or column it created: the in-memory schema is reread. */
  rollback(): void {
    if (this.inTx && this.db.inTransaction) {
      this.db.exec("ROLLBACK");
      this.tables.clear();
      this.load();
    }
    this.inTx = false;
  }

  get inTransaction(): boolean {
    return this.inTx;
  }

  close(): void {
    if (this.db.open) {
      this.rollback();
      this.db.close();
    }
  }

  /** Creates a table with its data columns, _fivetran_id first for a table without a primary key. */
  createTable(name: string, columns: Omit<Column, "index">[]): Table {
    const t = newTable(name);
    for (const c of columns) {
      const col = { ...c, index: t.order.length };
      t.columns.set(col.name, col);
      t.order.push(col);
      if (col.pk) t.pk.push(col);
    }
    t.keyless = columns.some((c) => c.name === FIVETRAN_ID);
    this.ddl(createTableSql(t), () => `table "${name}" would have ${(t.order.length + SYSTEM_COLUMNS.length).toLocaleString("en-US")} columns`);
    const insert = this.db.prepare("INSERT INTO _connector_columns (table_name, column_name, type, declared, primary_key, position) VALUES (?, ?, ?, ?, ?, ?)");
    for (const c of t.order) insert.run(name, c.name, c.type ? formatType(c.type) : null, c.declared ? 1 : 0, c.pk ? 1 : 0, c.index);
    this.tables.set(name, t);
    return t;
  }

  addColumn(t: Table, c: Omit<Column, "index" | "pk">): Column {
    const col: Column = { ...c, pk: false, index: t.order.length };
    this.ddl(`ALTER TABLE ${q(t.name)} ADD COLUMN ${q(col.name)} ${col.type ? sqliteClass(col.type.type) : ""}`, () => `table "${t.name}" has no room for column "${col.name}"`);
    this.db
      .prepare("INSERT INTO _connector_columns (table_name, column_name, type, declared, primary_key, position) VALUES (?, ?, ?, ?, 0, ?)")
      .run(t.name, col.name, col.type ? formatType(col.type) : null, col.declared ? 1 : 0, col.index);
    t.columns.set(col.name, col);
    t.order.push(col);
    touch(t);
    return col;
  }

  /**
   * Records the type of a column whose type was unknown (an undeclared primary-key column) or declared anew.
   * When the SQL type changes with it, the table is rebuilt, so the column's SQL type always matches.
   */
  setColumnType(t: Table, col: Column, type: LogicalType, declared = col.declared): void {
    const from = col.type;
    this.recordType(t, col, type, declared);
    if (!from || sqliteClass(from.type) !== sqliteClass(type.type)) rebuildTable(this.db, t, [{ col, from }]);
  }

  /**
   * Changes a column's type, converting every stored value to what the new type would have stored
   * (types.ts convertStored), by rebuilding the table: SQLite cannot alter a column's type.
   */
  changeColumnType(t: Table, col: Column, type: LogicalType, declared = col.declared): void {
    const from = col.type;
    this.recordType(t, col, type, declared);
    rebuildTable(this.db, t, [{ col, from }]);
  }

  /** Whether an integer column holds a value beyond ±(2^53 - 1), which a DOUBLE cannot hold exactly. */
  holdsUnsafeIntegers(t: Table, col: Column): boolean {
    const c = q(col.name);
    return this.db.prepare(`SELECT 1 FROM ${q(t.name)} WHERE ${c} > 9007199254740991 OR ${c} < -9007199254740991 LIMIT 1`).get() !== undefined;
  }

  private recordType(t: Table, col: Column, type: LogicalType, declared: boolean): void {
    col.type = type;
    col.declared = declared;
    this.db.prepare("UPDATE _connector_columns SET type = ?, declared = ? WHERE table_name = ? AND column_name = ?").run(formatType(type), declared ? 1 : 0, t.name, col.name);
  }

  /**
   * Runs CREATE or ALTER TABLE. Normalize refuses a table past the declared column limit (normalize/limits.ts) first;
   * SQLite's own error, should it come, would name a scratch table, so it is said as normalize says it.
   */
  private ddl(sql: string, what: () => string): void {
    try {
      this.db.exec(sql);
    } catch (e) {
      if (!/too many columns/.test((e as Error).message)) throw e;
      throw tooManyColumns(what());
    }
  }

  dropTable(name: string): boolean {
    const existed = this.tables.delete(name);
    this.db.exec(`DROP TABLE IF EXISTS ${q(name)}`);
    this.db.prepare("DELETE FROM _connector_columns WHERE table_name = ?").run(name);
    this.db.prepare("DELETE FROM _connector_truncates WHERE table_name = ?").run(name);
    return existed;
  }

  /** The names the connector gave each table before normalisation, from earlier syncs. */
  tableSources(): Record<string, string[]> {
    const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_connector_table_sources'").get();
    const out: Record<string, string[]> = {};
    if (!exists) return out;
    for (const r of this.db.prepare("SELECT table_name, source_name FROM _connector_table_sources ORDER BY rowid").all() as { table_name: string; source_name: string }[]) {
      (out[r.table_name] ??= []).push(r.source_name);
    }
    return out;
  }

  recordSource(table: string, source: string, fresh: boolean): void {
    this.db.exec("CREATE TABLE IF NOT EXISTS _connector_table_sources (table_name TEXT NOT NULL, source_name TEXT NOT NULL, PRIMARY KEY (table_name, source_name))");
    if (fresh) this.db.prepare("DELETE FROM _connector_table_sources WHERE table_name = ?").run(table);
    this.db.prepare("INSERT OR IGNORE INTO _connector_table_sources (table_name, source_name) VALUES (?, ?)").run(table, source);
  }

  /** Binds [synced, generation (when the table has the column), ...set columns, ...primary key]. */
  updateStatement(t: Table, set: Column[]): Database.Statement {
    const key = set.map((c) => c.name).join("\0");
    let stmt = t.updates.get(key);
    if (!stmt) {
      const assignments = [`${q(SYNCED)} = ?`, ...(t.generated ? [`${q(GENERATION)} = ?`] : []), ...set.map((c) => `${q(c.name)} = ?`)].join(", ");
      stmt = this.db.prepare(`UPDATE ${q(t.name)} SET ${assignments} WHERE ${pkWhere(t)}`);
      t.updates.set(key, stmt);
    }
    return stmt;
  }

  /** Binds [synced, generation (when the table has the column), ...primary key]. */
  deleteStatement(t: Table): Database.Statement {
    t.remove ??= this.db.prepare(`UPDATE ${q(t.name)} SET ${q(DELETED)} = 1, ${q(SYNCED)} = ?${t.generated ? `, ${q(GENERATION)} = ?` : ""} WHERE ${pkWhere(t)}`);
    return t.remove;
  }

  lastCheckpointSeq(): number {
    const row = this.db.prepare("SELECT max(seq) AS seq FROM _connector_checkpoints").get() as { seq: number | null };
    return row.seq ?? 0;
  }

  /** Above every run that committed a checkpoint or finished, so generations only grow. */
  nextRun(): number {
    const row = this.db.prepare("SELECT max(coalesce((SELECT max(run) FROM _connector_checkpoints), 0), coalesce((SELECT max(run) FROM _connector_runs), 0)) AS run").get() as { run: number };
    return row.run + 1;
  }

  private insertCheckpoint?: Database.Statement;

  recordCheckpoint(seq: number, run: number, time: string, state: string, operations: string): void {
    this.insertCheckpoint ??= this.db.prepare("INSERT INTO _connector_checkpoints (seq, run, time, state, operations) VALUES (?, ?, ?, ?, ?)");
    this.insertCheckpoint.run(seq, run, time, state, operations);
  }

  /** connector-sdk/http's sealed secrets, in the checkpoint's transaction; the table is made by the first one. */
  recordSecrets(json: string): void {
    this.db.exec("CREATE TABLE IF NOT EXISTS _connector_secrets (key TEXT PRIMARY KEY, value TEXT NOT NULL, obtained_at INTEGER NOT NULL)");
    const put = this.db.prepare("INSERT INTO _connector_secrets (key, value, obtained_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, obtained_at = excluded.obtained_at");
    for (const [key, s] of Object.entries(JSON.parse(json) as Record<string, StoredSecret>)) put.run(key, s.value, s.at);
  }

  storedSecrets(): Record<string, StoredSecret> {
    const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_connector_secrets'").get();
    if (!exists) return {};
    const rows = this.db.prepare("SELECT key, value, obtained_at AS at FROM _connector_secrets").all() as { key: string; value: string; at: number }[];
    return Object.fromEntries(rows.map((r) => [r.key, { value: r.value, at: r.at }]));
  }
}

