/**
 * Schema changes on a PostgreSQL destination: new tables and columns, types, widenings that
 * convert every stored value, table sources, dropped tables. Each change also updates the
 * connector's rows in `_connector_columns`, in the run's open transaction.
 */
import type pg from "pg";
import { convertStored } from "../../normalize/convert.js";
import { formatType } from "../../normalize/types.js";
import type { ColumnSpec, LogicalType, SchemaChange, TableSpec } from "../destination.js";
import { DELETED, GENERATION, type META, q, SYNCED } from "./schema.js";
import { columnOf, copyInto, type Table } from "./staging.js";
import { copyField, pgType } from "./types.js";
import { toCanonical } from "./values.js";

/** Rows fetched at a time when a widening converts a column. */
const FETCH = 5000;
export interface SchemaContext {
  /** The open connection (throws when it was lost). */
  readonly db: pg.Client;
  /** The connector's name, on every bookkeeping row. */
  name: string;
  /** The PostgreSQL schema that holds the tables. */
  schema: string;
  /** Where the destination is, for messages. */
  location: string;
  /** A table's schema-qualified, quoted name. */
  ref(table: string): string;
  /** A bookkeeping table's schema-qualified, quoted name. */
  meta(table: keyof typeof META): string;
  tables: Map<string, Table>;
  table(name: string): Table;
  /** Records a table's new shape. */
  remember(spec: TableSpec): void;
  /** A fresh name for a temporary table or cursor. */
  tempName(prefix: string): string;
}

/** Applies one change; the table's pending writes were merged before. */
export async function applySchemaChange(cx: SchemaContext, change: SchemaChange): Promise<void> {
  switch (change.kind) {
    case "createTable":
      await createTable(cx, change.table);
      return;
    case "addColumn": {
      const t = cx.table(change.table);
      await cx.db.query(`ALTER TABLE ${cx.ref(change.table)} ADD COLUMN ${q(change.column.name)} ${pgType(change.column.type)}`);
      await insertColumn(cx, change.table, change.column, t.spec.columns.length);
      cx.remember({ ...t.spec, columns: [...t.spec.columns, { ...change.column }] });
      return;
    }
    case "setType": {
      const t = cx.table(change.table);
      const col = columnOf(t, change.column);
      // An untyped column is a declared key that no row has reached yet: the table is empty.
      if (col.type === null) await cx.db.query(`ALTER TABLE ${cx.ref(change.table)} ALTER COLUMN ${q(col.name)} TYPE ${pgType(change.type)} USING ${q(col.name)}::${pgType(change.type)}`);
      await setColumn(cx, change.table, change.column, change.type, change.declared);
      cx.remember({ ...t.spec, columns: t.spec.columns.map((c) => (c.name === change.column ? { ...c, type: change.type, declared: change.declared } : c)) });
      return;
    }
    case "changeType":
      await changeType(cx, cx.table(change.table), change.column, change.type, change.declared);
      return;
    case "tableSource":
      if (change.fresh) await cx.db.query(`DELETE FROM ${cx.meta("sources")} WHERE table_name = $1 AND connector = $2`, [change.table, cx.name]);
      await cx.db.query(`INSERT INTO ${cx.meta("sources")} VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [cx.name, change.table, change.source]);
      return;
    case "dropTable":
      await cx.db.query(`DROP TABLE IF EXISTS ${cx.ref(change.table)}`);
      for (const m of ["columns", "sources", "truncates"] as const) {
        await cx.db.query(`DELETE FROM ${cx.meta(m)} WHERE table_name = $1 AND connector = $2`, [change.table, cx.name]);
      }
      cx.tables.delete(change.table);
      return;
  }
}

async function createTable(cx: SchemaContext, spec: TableSpec): Promise<void> {
  const owner = await cx.db.query<{ connector: string }>(`SELECT connector FROM ${cx.meta("columns")} WHERE table_name = $1 AND connector <> $2 LIMIT 1`, [spec.name, cx.name]);
  if (owner.rows[0]) {
    throw new Error(
      `table "${spec.name}" in ${cx.location} belongs to connector "${owner.rows[0].connector}". Connectors that share a schema need different table names; give this one its own schema (?schema=…).`,
    );
  }
  const exists = await cx.db.query("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2", [cx.schema, spec.name]);
  if (exists.rowCount) {
    throw new Error(`a table "${spec.name}" already exists in ${cx.location}, and connector-sdk did not make it for connector "${cx.name}". Drop or rename it, or write to another schema (?schema=…).`);
  }
  const copy: TableSpec = { name: spec.name, keyless: spec.keyless, columns: spec.columns.map((c) => ({ ...c })) };
  const cols = copy.columns.map((c) => `${q(c.name)} ${pgType(c.type)}${c.pk ? " NOT NULL" : ""}`);
  cols.push(`${q(SYNCED)} timestamptz NOT NULL`, `${q(DELETED)} boolean NOT NULL DEFAULT false`);
  cols.push(`PRIMARY KEY (${copy.columns.filter((c) => c.pk).map((c) => q(c.name)).join(", ")})`);
  try {
    await cx.db.query(`CREATE TABLE ${cx.ref(copy.name)} (${cols.join(", ")})`);
  } catch (e) {
    // Another session made a table of that name meanwhile, and committed first.
    const code = (e as { code?: string }).code;
    if (code === "42P07" || code === "23505") throw new Error(`a table "${spec.name}" was made in ${cx.location} by another session while this one was making it (another connector writing the same table?). Connectors that share a schema need different table names.`);
    throw e;
  }
  for (const [i, c] of copy.columns.entries()) await insertColumn(cx, copy.name, c, i);
  cx.remember(copy);
}

/**
 * Gives a table `_connector_generation`, 0 in every row: each was written before the truncate that asks for it
 * (a constant default: no rewrite of the table). Only a truncate does, in its own transaction, so a table never
 * truncated keeps Fivetran's columns.
 */
export async function addGeneration(cx: SchemaContext, t: Table): Promise<void> {
  await cx.db.query(`ALTER TABLE ${cx.ref(t.spec.name)} ADD COLUMN ${q(GENERATION)} bigint NOT NULL DEFAULT 0`);
  cx.tables.set(t.spec.name, { ...t, generated: true });
}

/** The connector's tables that have `_connector_generation`. */
export async function generatedTables(db: pg.Client, schema: string): Promise<Set<string>> {
  const r = await db.query<{ t: string }>("SELECT table_name AS t FROM information_schema.columns WHERE table_schema = $1 AND column_name = $2", [schema, GENERATION]);
  return new Set(r.rows.map((x) => x.t));
}

async function insertColumn(cx: SchemaContext, table: string, c: ColumnSpec, position: number): Promise<void> {
  await cx.db.query(`INSERT INTO ${cx.meta("columns")} VALUES ($1, $2, $3, $4, $5, $6, $7)`, [cx.name, table, c.name, c.type ? formatType(c.type) : null, c.declared, c.pk, position]);
}

async function setColumn(cx: SchemaContext, table: string, name: string, type: LogicalType, declared: boolean): Promise<void> {
  await cx.db.query(`UPDATE ${cx.meta("columns")} SET type = $1, declared = $2 WHERE table_name = $3 AND column_name = $4 AND connector = $5`, [
    formatType(type),
    declared,
    table,
    name,
    cx.name,
  ]);
}

/**
 * A widening. PostgreSQL cannot run convertStored, so each stored value is read, converted
 * in JavaScript by the rules every destination shares, and written back: through a map
 * table keyed by the primary key, after the column has taken its new type.
 */
async function changeType(cx: SchemaContext, t: Table, name: string, to: LogicalType, declared: boolean): Promise<void> {
  const from = columnOf(t, name).type;
  const map = cx.tempName("_connector_convert");
  const keys = t.pk;
  await cx.db.query(`CREATE TEMP TABLE ${q(map)} (${[...keys.map((c) => `${q(c.name)} ${pgType(c.type)}`), `v ${pgType(to)}`].join(", ")})`);
  const fields = [...keys.map((c) => copyField(c.type)), copyField(to)];
  const cursor = cx.tempName("_connector_cursor");
  await cx.db.query(`DECLARE ${q(cursor)} NO SCROLL CURSOR FOR SELECT ${[...keys.map((c) => q(c.name)), q(name)].join(", ")} FROM ${cx.ref(t.spec.name)} WHERE ${q(name)} IS NOT NULL`);
  for (;;) {
    const chunk = await cx.db.query<unknown[]>({ text: `FETCH ${FETCH} FROM ${q(cursor)}`, rowMode: "array" });
    if (chunk.rows.length === 0) break;
    let text = "";
    for (const r of chunk.rows) {
      const values = [...keys.map((c, i) => toCanonical(c.type, r[i])), convertStored(toCanonical(from, r[keys.length]), from, to)];
      text += values.map((v, i) => fields[i]!(v)).join("\t") + "\n";
    }
    await copyInto(cx.db, map, text);
  }
  await cx.db.query(`CLOSE ${q(cursor)}`);
  const target = cx.ref(t.spec.name);
  await cx.db.query(`ALTER TABLE ${target} ALTER COLUMN ${q(name)} TYPE ${pgType(to)} USING NULL`);
  await cx.db.query(`UPDATE ${target} AS t SET ${q(name)} = m.v FROM pg_temp.${q(map)} AS m WHERE ${keys.map((c) => `t.${q(c.name)} = m.${q(c.name)}`).join(" AND ")}`);
  await cx.db.query(`DROP TABLE pg_temp.${q(map)}`);
  await setColumn(cx, t.spec.name, name, to, declared);
  cx.remember({ ...t.spec, columns: t.spec.columns.map((c) => (c.name === name ? { ...c, type: to, declared } : c)) });
}
