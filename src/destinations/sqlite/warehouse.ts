import fs from "node:fs";
import path from "node:path";
import { hashPairs } from "../../normalize/row-hash.js";
import Database from "better-sqlite3";
import { OperationError, UsageError } from "../../util/errors.js";
import { exactRow } from "../../util/exact.js";
import { checkOursReadOnly, isBusy, lockedBy, MAX_COLUMNS, notOurs, openForReading, warehouseProblem } from "./file.js";
import { CoercionError, convertStored, formatType, parseType, sqliteClass, type Coercer, type LogicalType, type Stored } from "../../normalize/types.js";

import { DELETED, FIVETRAN_ID, SYNCED } from "../../normalize/catalog.js";

export { DELETED, FIVETRAN_ID, SYNCED };

export interface Column {
  name: string;
  /** null only for a declared primary-key column whose type comes from its first value. */
  type: LogicalType | null;
  declared: boolean;
  pk: boolean;
  /** Position among the table's data columns: the column's slot in a row. */
  index: number;
}

export interface Table {
  name: string;
  columns: Map<string, Column>;
  order: Column[];
  pk: Column[];
  keyless: boolean;
  /** Bumped on every schema change, so cached statements know they are stale. */
  version: number;
  upsert?: Database.Statement;
  /** Runs the upsert statement with (synced, row) and no spread: generated for the table's columns. */
  bind?: (stmt: Database.Statement, row: Stored[], synced: string) => Database.RunResult;
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
      // One transaction, so a kill cannot leave one metadata table without the other.
      db.exec(`BEGIN IMMEDIATE; ${METADATA_SQL} COMMIT;`);
      w.load();
      w.repair();
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

  /**
   * Records the type of a column whose type was unknown (an undeclared primary-key column) or declared anew.
   * When the SQL type changes with it, the table is rebuilt, so the column's SQL type always matches.
   */
  setColumnType(t: Table, col: Column, type: LogicalType, declared = col.declared): void {
    const from = col.type;
    this.recordType(t, col, type, declared);
    if (!from || sqliteClass(from.type) !== sqliteClass(type.type)) this.rebuild(t, [{ col, from }]);
  }

  /**
   * Changes a column's type, converting every stored value to what the new type would have stored
   * (types.ts convertStored), by rebuilding the table: SQLite cannot alter a column's type.
   */
  changeColumnType(t: Table, col: Column, type: LogicalType, declared = col.declared): void {
    const from = col.type;
    this.recordType(t, col, type, declared);
    this.rebuild(t, [{ col, from }]);
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

  private functionsReady = false;

  /** SQL functions for rebuilds: connector_convert(value, from, to) and connector_row_id(column, type, value, ...). */
  private ensureFunctions(): void {
    if (this.functionsReady) return;
    const types = new Map<string, LogicalType | null>();
    const typeOf = (text: unknown): LogicalType | null => {
      if (typeof text !== "string") return null;
      let type = types.get(text);
      if (type === undefined) types.set(text, (type = parseType(text)));
      return type;
    };
    this.db.function("connector_convert", { deterministic: true, safeIntegers: true }, (value, from, to) => convertStored(value, typeOf(from), typeOf(to)!));
    this.db.function("connector_row_id", { deterministic: true, safeIntegers: true, varargs: true }, (...args: unknown[]) => {
      const pairs: [string, string][] = [];
      for (let i = 0; i + 2 < args.length; i += 3) {
        const type = typeOf(args[i + 1]);
        const value = args[i + 2];
        if (value !== null) pairs.push([args[i] as string, convertStored(value, type, STRING) as string]);
      }
      return hashPairs(pairs);
    });
    this.functionsReady = true;
  }

  /**
   * Rebuilds a table with its current columns, converting the changed ones, and keeps what the user added to it:
   * its indexes and triggers are recreated, and views that read it keep working. Columns the user added are not
   * ours to drop, so the rebuild refuses.
   */
  private rebuild(t: Table, changes: { col: Column; from: LogicalType | null }[], rowId?: string): void {
    this.ensureFunctions();
    const ours = new Set([...t.order.map((c) => c.name), SYNCED, DELETED]);
    const theirs = (this.db.prepare("SELECT name FROM pragma_table_info(?)").all(t.name) as { name: string }[]).map((r) => r.name).filter((n) => !ours.has(n));
    const what = changes.map((c) => `column "${c.col.name}" ${c.from ? `from ${formatType(c.from)} ` : ""}to ${c.col.type ? formatType(c.col.type) : "(untyped)"}`).join(", ");
    if (theirs.length) {
      throw new OperationError(
        `table "${t.name}" must be rebuilt to change ${what}, but it has column(s) that connector-sdk did not create: ${theirs.map((n) => `"${n}"`).join(", ")}. ` +
          `A rebuild would drop them: copy what they hold elsewhere and drop them (ALTER TABLE ${q(t.name)} DROP COLUMN ...), then sync again.`,
      );
    }
    const objects = this.db.prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid").all(t.name) as {
      type: string;
      name: string;
      sql: string;
    }[];
    const converted = new Map(changes.map((c) => [c.col, c.from]));
    const names = [...t.order.map((c) => c.name), SYNCED, DELETED];
    const values = names.map((n) => {
      const col = t.columns.get(n);
      if (rowId !== undefined && n === FIVETRAN_ID) return rowId;
      if (!col || !converted.has(col) || !col.type) return q(n);
      const from = converted.get(col);
      return `connector_convert(${q(n)}, ${from ? sqlText(formatType(from)) : "NULL"}, ${sqlText(formatType(col.type))})`;
    });
    const tmp = `_connector_rebuild_${t.name}`;
    this.db.exec(`DROP TABLE IF EXISTS ${q(tmp)}`);
    this.db.exec(createTableSql(t, tmp));
    try {
      // With new ids, rows that get the same one merge: the most recently synced wins.
      const insert = rowId === undefined ? "INSERT" : "INSERT OR REPLACE";
      const order = rowId === undefined ? "" : ` ORDER BY ${q(SYNCED)}, rowid`;
      this.db.exec(`${insert} INTO ${q(tmp)} (${names.map(q).join(", ")}) SELECT ${values.join(", ")} FROM ${q(t.name)}${order}`);
    } catch (e) {
      if (!(e instanceof CoercionError)) throw e;
      throw new OperationError(`cannot change ${what} in table "${t.name}": a stored value does not fit: ${e.message}. Run \`connector reset --table ${t.name}\` and sync again, or declare a type that holds it.`);
    }
    this.db.exec(`DROP TABLE ${q(t.name)}`);
    // Legacy renaming leaves the views that name this table alone: they find the new table by its name.
    this.db.pragma("legacy_alter_table = ON");
    try {
      this.db.exec(`ALTER TABLE ${q(tmp)} RENAME TO ${q(t.name)}`);
    } finally {
      this.db.pragma("legacy_alter_table = OFF");
    }
    for (const o of objects) {
      try {
        this.db.exec(o.sql);
      } catch (e) {
        throw new OperationError(
          `table "${t.name}" was rebuilt to change ${what}, but your ${o.type} "${o.name}" on it could not be recreated: ${(e as Error).message}. ` +
            `Drop it (DROP ${o.type.toUpperCase()} ${q(o.name)}), sync, and create it again.`,
        );
      }
    }
    touch(t);
  }

  /**
   * Brings a warehouse written by an earlier version up to date, in one transaction: a column whose SQL type
   * disagrees with its logical type (an untyped primary key that stored 42 as REAL 42.0) is rebuilt with its values
   * converted; BLOBs left in STRING columns become base64; keyless tables get the _fivetran_id that sourceText() gives.
   */
  private repair(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    const declared = new Map<string, string>();
    for (const r of this.db.prepare("SELECT m.name AS t, p.name AS c, p.type AS type FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'").all() as {
      t: string;
      c: string;
      type: string;
    }[]) {
      declared.set(`${r.t}\0${r.c}`, r.type.toUpperCase());
    }
    const work: { t: Table; changes: { col: Column; from: LogicalType | null }[]; rehash: boolean }[] = [];
    for (const t of this.tables.values()) {
      const changes = t.order.filter((c) => declared.get(`${t.name}\0${c.name}`) !== (c.type ? sqliteClass(c.type.type) : "")).map((c) => ({ col: c, from: null as LogicalType | null }));
      let rehash = false;
      if (version < FORMAT_VERSION) {
        for (const c of t.order) {
          if (c.type?.type === "STRING" && !changes.some((x) => x.col === c) && this.db.prepare(`SELECT 1 FROM ${q(t.name)} WHERE typeof(${q(c.name)}) = 'blob' LIMIT 1`).get()) {
            changes.push({ col: c, from: { type: "BINARY" } });
          }
        }
        rehash = t.keyless && this.db.prepare(`SELECT 1 FROM ${q(t.name)} LIMIT 1`).get() !== undefined;
      }
      if (changes.length || rehash) work.push({ t, changes, rehash });
    }
    if (work.length === 0 && version >= FORMAT_VERSION) return;
    this.begin();
    try {
      for (const { t, changes, rehash } of work) this.rebuild(t, changes, rehash ? rowIdSql(t) : undefined);
      this.db.pragma(`user_version = ${FORMAT_VERSION}`);
      this.commit();
    } catch (e) {
      this.rollback();
      throw e;
    }
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

  /** The upsert statement and a binder that runs it with (synced, row) without spreading the row. */
  binder(t: Table): { stmt: Database.Statement; bind: NonNullable<Table["bind"]> } {
    const stmt = this.upsertStatement(t);
    if (!t.bind) {
      const args = ["y", "0", ...t.order.map((_, i) => `r[${i}] ?? null`)].join(", ");
      t.bind = new Function("s", "r", "y", `return s.run(${args});`) as NonNullable<Table["bind"]>;
    }
    return { stmt, bind: t.bind };
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
    const rows = this.db.prepare(`SELECT * FROM ${q(table)} ORDER BY ${order}`).safeIntegers(true).all() as Record<string, unknown>[];
    for (const row of rows) exactRow(row);
    return rows;
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

/**
 * The version of what the warehouse stores, in PRAGMA user_version. 1: columns' SQL types match their logical
 * types, widened values are converted, and _fivetran_id hashes the values as sent.
 */
const FORMAT_VERSION = 1;

const STRING: LogicalType = { type: "STRING" };

/** The documented key of a keyless row: SHA-256 over the JSON of its [column, text] pairs sorted by column, cut to 32 hex digits. */

/** SQL that recomputes _fivetran_id from the stored values (what sourceText() gives for the values as sent). */
function rowIdSql(t: Table): string {
  const args = t.order.filter((c) => c.name !== FIVETRAN_ID).map((c) => `${sqlText(c.name)}, ${c.type ? sqlText(formatType(c.type)) : "NULL"}, ${q(c.name)}`);
  return args.length ? `connector_row_id(${args.join(", ")})` : `connector_row_id()`;
}

const sqlText = (text: string): string => `'${text.replace(/'/g, "''")}'`;

function newTable(name: string): Table {
  return { name, columns: new Map(), order: [], pk: [], keyless: false, version: 0, updates: new Map() };
}

function touch(t: Table): void {
  t.version++;
  t.upsert = undefined;
  t.bind = undefined;
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
