import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { UsageError } from "./errors.js";
import { checkOursReadOnly, isBusy, lockedBy, MAX_COLUMNS, notOurs, openForReading, warehouseProblem } from "./warehouse-file.js";
import { formatType, parseType, sqliteClass, type Coercer, type LogicalType, type Stored } from "./types.js";

export const SYNCED = "_fivetran_synced";
export const DELETED = "_fivetran_deleted";
export const FIVETRAN_ID = "_fivetran_id";

export interface Column {
  name: string;
  /** null only for a declared primary-key column whose type comes from its first value. */
  type: LogicalType | null;
  declared: boolean;
  pk: boolean;
  /** Position among the table's data columns; also the column's slot in a bound row (after the two system slots). */
  index: number;
  /** The engine's converter for this column's type, cached until the type changes. */
  convert?: Coercer;
}

export interface Table {
  name: string;
  columns: Map<string, Column>;
  order: Column[];
  pk: Column[];
  keyless: boolean;
  /** Bumped on every schema change, so cached statements know they are stale. */
  version: number;
  /** The column each key of incoming data resolved to, so names are normalised once per key, not once per row. */
  resolved: Map<string, Column>;
  /** The engine's reusable bind buffer for upserts. */
  rowBuffer?: Stored[];
  upsert?: Database.Statement;
  updates: Map<string, Database.Statement>;
  remove?: Database.Statement;
  truncate?: Database.Statement;
}

export const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

const METADATA_SQL = `
CREATE TABLE IF NOT EXISTS _connector_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  type TEXT,
  declared INTEGER NOT NULL,
  primary_key INTEGER NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (table_name, column_name)
);
CREATE TABLE IF NOT EXISTS _connector_checkpoints (
  seq INTEGER PRIMARY KEY,
  run INTEGER NOT NULL,
  time TEXT NOT NULL,
  state TEXT NOT NULL,
  operations TEXT NOT NULL
);
`;

/** The local SQLite warehouse: user tables plus the _connector_ metadata that describes them. */
export class Warehouse {
  readonly tables = new Map<string, Table>();
  private inTx = false;

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
      db.exec(METADATA_SQL);
      w.load();
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

  /** Creates a table with its data columns; a table without a primary key gets _fivetran_id. */
  createTable(name: string, columns: Omit<Column, "index">[]): Table {
    const t = newTable(name);
    const hasPk = columns.some((c) => c.pk);
    const all = hasPk ? columns : [{ name: FIVETRAN_ID, type: { type: "STRING" } as LogicalType, declared: false, pk: true }, ...columns];
    for (const c of all) {
      const col = { ...c, index: t.order.length };
      t.columns.set(col.name, col);
      t.order.push(col);
      if (col.pk) t.pk.push(col);
    }
    t.keyless = !hasPk;
    this.ddl(createTableSql(t), () => `table "${name}" would have ${(t.order.length + 2).toLocaleString("en-US")} columns`);
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

  /** Records the type of a column whose type was unknown (an undeclared primary-key column) or declared anew. */
  setColumnType(t: Table, col: Column, type: LogicalType, declared = col.declared): void {
    col.type = type;
    col.convert = undefined;
    col.declared = declared;
    this.db.prepare("UPDATE _connector_columns SET type = ?, declared = ? WHERE table_name = ? AND column_name = ?").run(formatType(type), declared ? 1 : 0, t.name, col.name);
  }

  /** Changes a column's type by rebuilding the table, because SQLite cannot alter a column's declared type. */
  changeColumnType(t: Table, col: Column, type: LogicalType, declared = col.declared): void {
    this.setColumnType(t, col, type, declared);
    const tmp = `_connector_rebuild_${t.name}`;
    const names = [...t.order.map((c) => c.name), SYNCED, DELETED].map(q).join(", ");
    this.db.exec(`DROP TABLE IF EXISTS ${q(tmp)}`);
    this.db.exec(createTableSql(t, tmp));
    this.db.exec(`INSERT INTO ${q(tmp)} (${names}) SELECT ${names} FROM ${q(t.name)}`);
    this.db.exec(`DROP TABLE ${q(t.name)}`);
    this.db.exec(`ALTER TABLE ${q(tmp)} RENAME TO ${q(t.name)}`);
    touch(t);
  }

  /** Runs CREATE or ALTER TABLE; SQLite's column limit otherwise names a scratch table (sqlite_altertab_…) and no limit. */
  private ddl(sql: string, what: () => string): void {
    try {
      this.db.exec(sql);
    } catch (e) {
      if (!/too many columns/.test((e as Error).message)) throw e;
      throw new Error(`${what()}: SQLite allows at most ${MAX_COLUMNS.toLocaleString("en-US")} columns in a table, counting ${SYNCED} and ${DELETED}. Split the data over several tables, or keep rarely used fields together in one JSON column.`);
    }
  }

  dropTable(name: string): boolean {
    const existed = this.tables.delete(name);
    this.db.exec(`DROP TABLE IF EXISTS ${q(name)}`);
    this.db.prepare("DELETE FROM _connector_columns WHERE table_name = ?").run(name);
    return existed;
  }

  /** Binds [synced, deleted, ...data columns in order]: a whole-row replace on the primary key. */
  upsertStatement(t: Table): Database.Statement {
    if (!t.upsert) {
      const cols = [SYNCED, DELETED, ...t.order.map((c) => c.name)];
      const pk = t.pk.map((c) => q(c.name)).join(", ");
      const set = cols.filter((c) => !t.pk.some((p) => p.name === c)).map((c) => `${q(c)} = excluded.${q(c)}`);
      t.upsert = this.db.prepare(
        `INSERT INTO ${q(t.name)} (${cols.map(q).join(", ")}) VALUES (${cols.map(() => "?").join(", ")}) ON CONFLICT (${pk}) DO UPDATE SET ${set.join(", ")}`,
      );
    }
    return t.upsert;
  }

  /** Binds [synced, ...set columns, ...primary key]. */
  updateStatement(t: Table, set: Column[]): Database.Statement {
    const key = set.map((c) => c.name).join("\0");
    let stmt = t.updates.get(key);
    if (!stmt) {
      const assignments = [`${q(SYNCED)} = ?`, ...set.map((c) => `${q(c.name)} = ?`)].join(", ");
      stmt = this.db.prepare(`UPDATE ${q(t.name)} SET ${assignments} WHERE ${pkWhere(t)}`);
      t.updates.set(key, stmt);
    }
    return stmt;
  }

  /** Binds [synced, ...primary key]. */
  deleteStatement(t: Table): Database.Statement {
    t.remove ??= this.db.prepare(`UPDATE ${q(t.name)} SET ${q(DELETED)} = 1, ${q(SYNCED)} = ? WHERE ${pkWhere(t)}`);
    return t.remove;
  }

  truncateStatement(t: Table): Database.Statement {
    t.truncate ??= this.db.prepare(`UPDATE ${q(t.name)} SET ${q(DELETED)} = 1 WHERE ${q(DELETED)} = 0`);
    return t.truncate;
  }

  lastCheckpointSeq(): number {
    const row = this.db.prepare("SELECT max(seq) AS seq FROM _connector_checkpoints").get() as { seq: number | null };
    return row.seq ?? 0;
  }

  nextRun(): number {
    const row = this.db.prepare("SELECT max(run) AS run FROM _connector_checkpoints").get() as { run: number | null };
    return (row.run ?? 0) + 1;
  }

  private insertCheckpoint?: Database.Statement;

  recordCheckpoint(seq: number, run: number, time: string, state: string, operations: string): void {
    this.insertCheckpoint ??= this.db.prepare("INSERT INTO _connector_checkpoints (seq, run, time, state, operations) VALUES (?, ?, ?, ?, ?)");
    this.insertCheckpoint.run(seq, run, time, state, operations);
  }

  rows(table: string): Record<string, unknown>[] {
    const t = this.tables.get(table);
    if (!t) throw new Error(`no table ${JSON.stringify(table)}; the tables are: ${[...this.tables.keys()].join(", ") || "(none)"}`);
    const order = t.pk.map((c) => q(c.name)).join(", ");
    return this.db.prepare(`SELECT * FROM ${q(table)} ORDER BY ${order}`).all() as Record<string, unknown>[];
  }
}

export interface CheckpointRow {
  seq: number;
  run: number;
  time: string;
  state: string;
  operations: string;
}

/** Opens a warehouse for reading only, for the commands that look but never write (state, inspect). */
export function openReadOnly(file: string): Database.Database {
  if (!fs.existsSync(file)) throw new UsageError(`No warehouse at ${file} yet: run \`connector debug\` first.`);
  let db: Database.Database;
  try {
    db = openForReading(file);
    const ours = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_connector_columns'").get();
    if (!ours) {
      db.close();
      throw new UsageError(`${file} is a SQLite database that connector-sdk did not create (it has no _connector_columns table).`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(warehouseProblem(file, e as Error, "read"));
  }
  return db;
}

export function readCheckpoints(db: Database.Database): CheckpointRow[] {
  return db.prepare("SELECT seq, run, time, state, operations FROM _connector_checkpoints ORDER BY seq").all() as CheckpointRow[];
}

function newTable(name: string): Table {
  return { name, columns: new Map(), order: [], pk: [], keyless: false, version: 0, updates: new Map(), resolved: new Map() };
}

function touch(t: Table): void {
  t.version++;
  t.upsert = undefined;
  t.remove = undefined;
  t.truncate = undefined;
  t.updates.clear();
}

function pkWhere(t: Table): string {
  return t.pk.map((c) => `${q(c.name)} = ?`).join(" AND ");
}

function createTableSql(t: Table, as = t.name): string {
  const cols = t.order.map((c) => `${q(c.name)}${c.type ? " " + sqliteClass(c.type.type) : ""}${c.pk ? " NOT NULL" : ""}`);
  cols.push(`${q(SYNCED)} TEXT NOT NULL`, `${q(DELETED)} INTEGER NOT NULL DEFAULT 0`);
  cols.push(`PRIMARY KEY (${t.pk.map((c) => q(c.name)).join(", ")})`);
  return `CREATE TABLE ${q(as)} (\n  ${cols.join(",\n  ")}\n)`;
}
