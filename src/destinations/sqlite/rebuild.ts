/**
 * Changing a column's SQL type: SQLite cannot alter one, so the table is rebuilt with every
 * stored value converted (normalize/convert.ts), keeping the user's indexes, triggers and
 * views. And the repair of a warehouse an earlier version wrote, done the same way.
 */
import type Database from "better-sqlite3";
import { FIVETRAN_ID, SYNCED } from "../../normalize/catalog.js";
import { CoercionError, formatType, parseType, sqliteClass, type LogicalType } from "../../normalize/types.js";
import { convertStored } from "../../normalize/convert.js";
import { coerceNaiveDateTime, coerceUtcDateTime } from "../../normalize/coerce-datetime.js";
import { hashPairs } from "../../normalize/row-hash.js";
import { OperationError, ReloadTableError } from "../../util/errors.js";
import { createTableSql, FORMAT_VERSION, q, rowIdSql, sqlText, STRING, SYSTEM_COLUMNS, systemColumns, touch, type Column, type Table } from "./ddl.js";
import type { Warehouse } from "./warehouse.js";

const ready = new WeakSet<Database.Database>();

/** SQL functions for rebuilds: connector_convert(value, from, to) and connector_row_id(column, type, value, ...). */
function registerFunctions(db: Database.Database): void {
if (ready.has(db)) return;
  const types = new Map<string, LogicalType | null>();
  const typeOf = (text: unknown): LogicalType | null => {
    if (typeof text !== "string") return null;
    let type = types.get(text);
    if (type === undefined) types.set(text, (type = parseType(text)));
    return type;
  };
  db.function("connector_convert", { deterministic: true, safeIntegers: true }, (value, from, to) => convertStored(value, typeOf(from), typeOf(to)!));
  db.function("connector_row_id", { deterministic: true, safeIntegers: true, varargs: true }, (...args: unknown[]) => {
    const pairs: [string, string][] = [];
    for (let i = 0; i + 2 < args.length; i += 3) {
      const type = typeOf(args[i + 1]);
      const value = args[i + 2];
      // The hash is of the text as sent, so a JSON value's text is not reordered as a widening would.
      if (value !== null) pairs.push([args[i] as string, convertStored(value, type?.type === "JSON" ? null : type, STRING) as string]);
    }
    return hashPairs(pairs);
  });
  ready.add(db);
}

/**
 * Rebuilds a table with its current columns, converting the changed ones, and keeps what the user added to it:
 * its indexes and triggers are recreated, and views that read it keep working. Columns the user added are not
 * ours to drop, so the rebuild refuses.
 */
export function rebuildTable(db: Database.Database, t: Table, changes: { col: Column; from: LogicalType | null }[], rowId?: string): void {
  registerFunctions(db);
  const ours = new Set([...t.order.map((c) => c.name), ...SYSTEM_COLUMNS]);
  const theirs = (db.prepare("SELECT name FROM pragma_table_info(?)").all(t.name) as { name: string }[]).map((r) => r.name).filter((n) => !ours.has(n));
  const what = changes.map((c) => `column "${c.col.name}" ${c.from ? `from ${formatType(c.from)} ` : ""}to ${c.col.type ? formatType(c.col.type) : "(untyped)"}`).join(", ");
  if (theirs.length) {
    throw new OperationError(
      `table "${t.name}" must be rebuilt to change ${what}, but it has column(s) that connector-sdk did not create: ${theirs.map((n) => `"${n}"`).join(", ")}. ` +
        `A rebuild would drop them: copy what they hold elsewhere and drop them (ALTER TABLE ${q(t.name)} DROP COLUMN ...), then sync again.`,
    );
  }
  const objects = db.prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid").all(t.name) as {
    type: string;
    name: string;
    sql: string;
  }[];
  const converted = new Map(changes.map((c) => [c.col, c.from]));
  const names = [...t.order.map((c) => c.name), ...systemColumns(t)];
  const values = names.map((n) => {
    const col = t.columns.get(n);
    if (rowId !== undefined && n === FIVETRAN_ID) return rowId;
    if (!col || !converted.has(col) || !col.type) return q(n);
    const from = converted.get(col);
    return `connector_convert(${q(n)}, ${from ? sqlText(formatType(from)) : "NULL"}, ${sqlText(formatType(col.type))})`;
  });
  const tmp = `_connector_rebuild_${t.name}`;
  db.exec(`DROP TABLE IF EXISTS ${q(tmp)}`);
  db.exec(createTableSql(t, tmp));
  try {
    // With new ids, rows that get the same one merge: the most recently synced wins.
    const insert = rowId === undefined ? "INSERT" : "INSERT OR REPLACE";
    const order = rowId === undefined ? "" : ` ORDER BY ${q(SYNCED)}, rowid`;
    db.exec(`${insert} INTO ${q(tmp)} (${names.map(q).join(", ")}) SELECT ${values.join(", ")} FROM ${q(t.name)}${order}`);
  } catch (e) {
    if (!(e instanceof CoercionError)) throw e;
    throw new ReloadTableError(`cannot change ${what} in table "${t.name}": a stored value does not fit: ${e.message}. Declare a type that holds it, or load the table again from the start.`, t.name);
  }
  db.exec(`DROP TABLE ${q(t.name)}`);
  // Legacy renaming leaves the views that name this table alone: they find the new table by its name.
  db.pragma("legacy_alter_table = ON");
  try {
    db.exec(`ALTER TABLE ${q(tmp)} RENAME TO ${q(t.name)}`);
  } finally {
    db.pragma("legacy_alter_table = OFF");
  }
  for (const o of objects) {
    try {
      db.exec(o.sql);
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
 * A table without _connector_generation stays so: its first truncate adds it (truncates.ts).
 */
export function repair(w: Warehouse): void {
  const version = w.db.pragma("user_version", { simple: true }) as number;
  const declared = new Map<string, string>();
  for (const r of w.db.prepare("SELECT m.name AS t, p.name AS c, p.type AS type FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'").all() as {
    t: string;
    c: string;
    type: string;
  }[]) {
    declared.set(`${r.t}\0${r.c}`, r.type.toUpperCase());
  }
  const work: { t: Table; changes: { col: Column; from: LogicalType | null }[]; rehash: boolean }[] = [];
  for (const t of w.tables.values()) {
    const changes = t.order.filter((c) => declared.get(`${t.name}\0${c.name}`) !== (c.type ? sqliteClass(c.type.type) : "")).map((c) => ({ col: c, from: null as LogicalType | null }));
    let rehash = false;
    if (version < 1) {
      for (const c of t.order) {
        if (c.type?.type === "STRING" && !changes.some((x) => x.col === c) && w.db.prepare(`SELECT 1 FROM ${q(t.name)} WHERE typeof(${q(c.name)}) = 'blob' LIMIT 1`).get()) {
          changes.push({ col: c, from: { type: "BINARY" } });
        }
      }
      rehash = t.keyless && w.db.prepare(`SELECT 1 FROM ${q(t.name)} LIMIT 1`).get() !== undefined;
    }
    if (changes.length || rehash) work.push({ t, changes, rehash });
  }
  if (work.length === 0 && version >= FORMAT_VERSION) return;
  w.begin();
  try {
    for (const { t, changes, rehash } of work) rebuildTable(w.db, t, changes, rehash ? rowIdSql(t) : undefined);
    if (version < 2) for (const t of w.tables.values()) for (const c of t.order) canonicalDateTimes(w.db, t, c);
    w.db.pragma(`user_version = ${FORMAT_VERSION}`);
    w.commit();
  } catch (e) {
    w.rollback();
    throw e;
  }
}

/**
 * Version 2: one text per instant. Earlier versions kept a date-time's fraction as sent (`.123000Z` beside `.123Z`)
 * and wrote `.000` for a NAIVE_DATETIME from a Date; rewrite those to the canonical text. A primary key whose
 * canonical text another row already holds is left as it was (OR IGNORE): that row is the one later syncs update.
 */
function canonicalDateTimes(db: Database.Database, t: Table, c: Column): void {
  const type = c.type?.type;
  if (type !== "UTC_DATETIME" && type !== "NAIVE_DATETIME") return;
  const col = q(c.name);
  const maybe = type === "UTC_DATETIME" ? `${col} GLOB '*.????*0Z'` : `(${col} GLOB '*.000' OR ${col} GLOB '*.????*0')`;
  const rows = db.prepare(`SELECT rowid AS r, ${col} AS v FROM ${q(t.name)} WHERE typeof(${col}) = 'text' AND ${maybe}`).all() as { r: number; v: string }[];
  const update = db.prepare(`UPDATE OR IGNORE ${q(t.name)} SET ${col} = ? WHERE rowid = ?`);
  const canonical = type === "UTC_DATETIME" ? coerceUtcDateTime : coerceNaiveDateTime;
  for (const { r, v } of rows) {
    let text: string;
    try {
      text = canonical(v);
    } catch {
      continue;
    }
    if (text !== v) update.run(text, r);
  }
}
