/**
 * Schema changes on a DuckDB destination: new tables and columns, types, widenings that
 * convert every stored value, dropped tables. DuckDB refuses, at commit, an ALTER TABLE on
 * a table whose rows changed earlier in the same transaction, so such a table is rebuilt
 * instead of altered; a table made in the transaction has no such limit.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { convertStored } from "../../normalize/convert.js";
import { formatType } from "../../normalize/types.js";
import type { ColumnSpec, SchemaChange, TableSpec } from "../destination.js";
import { createTableSql, DATA_SCHEMA, DELETED, GENERATION, META_SCHEMA, q, SYNCED, tableRef } from "./sql.js";
import { columnOf, type Table } from "./staging.js";
import { appenderFor, duckType } from "./types.js";
import { toCanonical } from "./values.js";

export interface SchemaContext {
  con: DuckDBConnection;
  tables: Map<string, Table>;
  table(name: string): Table;
  /** Records a table's new shape. */
  remember(spec: TableSpec): void;
  /** Tables whose stored rows changed in this transaction. */
  dirty: Set<string>;
  /** Tables made (or rebuilt) in this transaction. */
  created: Set<string>;
  /** A fresh name for a temporary table. */
  tempName(prefix: string): string;
}

/** Applies one change; the table's pending writes were merged before. */
export async function applySchemaChange(cx: SchemaContext, change: SchemaChange): Promise<void> {
  const { con } = cx;
  switch (change.kind) {
    case "createTable":
      await createTable(cx, change.table);
      return;
    case "addColumn": {
      const t = cx.table(change.table);
      const spec: TableSpec = { ...t.spec, columns: [...t.spec.columns, { ...change.column }] };
      if (cx.dirty.has(change.table)) await rebuild(cx, t, spec);
      else await con.run(`ALTER TABLE ${tableRef(change.table)} ADD COLUMN ${q(change.column.name)} ${duckType(change.column.type)}`);
      await insertColumn(cx, change.table, change.column, t.spec.columns.length);
      cx.remember(spec);
      return;
    }
    case "setType": {
      const t = cx.table(change.table);
      const col = columnOf(t, change.column);
      if (col.type === null) {
        // An untyped column is a declared key that no row has reached: the table is empty,
        // and DuckDB cannot alter a key column, so the table is made again.
        col.type = change.type;
        await con.run(`DROP TABLE ${tableRef(change.table)}`);
        await con.run(createTableSql(t.spec, t.generated));
      }
      col.type = change.type;
      col.declared = change.declared;
      await con.run(`UPDATE ${META_SCHEMA}.columns SET type = ?, declared = ? WHERE table_name = ? AND column_name = ?`, [formatType(change.type), change.declared, change.table, change.column]);
      cx.remember(t.spec);
      return;
    }
    case "changeType":
      await changeType(cx, change.table, change.column, columnOf(cx.table(change.table), change.column).type, change.type, change.declared);
      return;
    case "tableSource":
      if (change.fresh) await con.run(`DELETE FROM ${META_SCHEMA}.table_sources WHERE table_name = ?`, [change.table]);
      await con.run(`INSERT OR IGNORE INTO ${META_SCHEMA}.table_sources VALUES (?, ?)`, [change.table, change.source]);
      return;
    case "dropTable":
      cx.dirty.delete(change.table);
      await con.run(`DROP TABLE IF EXISTS ${tableRef(change.table)}`);
      await con.run(`DELETE FROM ${META_SCHEMA}.columns WHERE table_name = ?`, [change.table]);
      await con.run(`DELETE FROM ${META_SCHEMA}.truncates WHERE table_name = ?`, [change.table]);
      cx.tables.delete(change.table);
      return;
  }
}

async function createTable(cx: SchemaContext, spec: TableSpec): Promise<void> {
  const copy: TableSpec = { name: spec.name, keyless: spec.keyless, columns: spec.columns.map((c) => ({ ...c })) };
  await cx.con.run(createTableSql(copy, false));
  cx.created.add(copy.name);
  for (const [i, c] of copy.columns.entries()) await insertColumn(cx, copy.name, c, i);
  cx.remember(copy);
}

async function insertColumn(cx: SchemaContext, table: string, c: ColumnSpec, position: number): Promise<void> {
  await cx.con.run(`INSERT INTO ${META_SCHEMA}.columns VALUES (?, ?, ?, ?, ?, ?)`, [table, c.name, c.type ? formatType(c.type) : null, c.declared, c.pk, position]);
}

/**
 * A widening: each stored value is converted in JavaScript by the same rules as every
 * destination (convertStored), into a map keyed by the primary key, and the table is
 * rebuilt from it in the open transaction.
 */
async function changeType(cx: SchemaContext, table: string, name: string, from: ColumnSpec["type"], to: NonNullable<ColumnSpec["type"]>, declared: boolean): Promise<void> {
  const { con } = cx;
  const t = cx.table(table);
  const key = t.pk;
  const map = cx.tempName("convert");
  await con.run(`CREATE TEMP TABLE ${q(map)} (${[...key.map((c) => `${q(c.name)} ${duckType(c.type)}`), `v ${duckType(to)}`].join(", ")})`);
  const appender = await con.createAppender(map, "main", "temp");
  const keyAppends = key.map((c) => appenderFor(c.type));
  const append = appenderFor(to);
  const result = await con.stream(`SELECT ${[...key.map((c) => q(c.name)), q(name)].join(", ")} FROM ${tableRef(table)} WHERE ${q(name)} IS NOT NULL`);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const r of chunk.getRows()) {
      key.forEach((c, i) => keyAppends[i]!(appender, toCanonical(c.type, r[i]!)));
      append(appender, convertStored(toCanonical(from, r[key.length]!), from, to));
      appender.endRow();
    }
  }
  appender.flushSync();
  appender.closeSync();
  const spec: TableSpec = { ...t.spec, columns: t.spec.columns.map((c) => (c.name === name ? { ...c, type: to, declared } : c)) };
  await rebuild(cx, t, spec, { column: name, map });
  await con.run(`DROP TABLE temp.${q(map)}`);
  await con.run(`UPDATE ${META_SCHEMA}.columns SET type = ?, declared = ? WHERE table_name = ? AND column_name = ?`, [formatType(to), declared, table, name]);
  cx.remember(spec);
}

/**
 * Gives a table `_connector_generation`, 0 in every row: each was written before the truncate that asks for it.
 * Only a truncate does, in its own transaction, so a table never truncated keeps Fivetran's columns.
 */
export async function addGeneration(cx: SchemaContext, t: Table): Promise<void> {
  // DuckDB cannot add a column with NOT NULL; a rebuild makes it as createTableSql does.
  if (cx.dirty.has(t.spec.name)) await rebuild(cx, t, t.spec, undefined, true);
  else await cx.con.run(`ALTER TABLE ${tableRef(t.spec.name)} ADD COLUMN ${q(GENERATION)} BIGINT DEFAULT 0`);
  cx.tables.set(t.spec.name, { ...t, generated: true, direct: undefined });
}

/** Makes the table again with a new shape and copies its rows, keeping the indexes the user added. */
async function rebuild(cx: SchemaContext, t: Table, spec: TableSpec, converted?: { column: string; map: string }, generated = t.generated): Promise<void> {
  const { con } = cx;
  const name = spec.name;
  const indexes = (await con.runAndReadAll(`SELECT sql FROM duckdb_indexes() WHERE schema_name = '${DATA_SCHEMA}' AND table_name = ? AND sql IS NOT NULL`, [name]))
    .getRowObjects()
    .map((r) => String(r.sql));
  const tmp = cx.tempName("_connector_rebuild");
  await con.run(createTableSql({ ...spec, name: tmp }, generated));
  const old = new Set(t.spec.columns.map((c) => c.name));
  const exprs = spec.columns.map((c) => (c.name === converted?.column ? "m.v" : old.has(c.name) ? `o.${q(c.name)}` : "NULL"));
  const join = converted ? ` LEFT JOIN temp.${q(converted.map)} m ON ${t.pk.map((c) => `o.${q(c.name)} = m.${q(c.name)}`).join(" AND ")}` : "";
  const cols = [...spec.columns.map((c) => q(c.name)), q(SYNCED), q(DELETED)];
  exprs.push(`o.${q(SYNCED)}`, `o.${q(DELETED)}`);
  if (generated) {
    cols.push(q(GENERATION));
    exprs.push(t.generated ? `o.${q(GENERATION)}` : "0");
  }
  await con.run(`INSERT INTO ${tableRef(tmp)} (${cols.join(", ")}) SELECT ${exprs.join(", ")} FROM ${tableRef(name)} o${join}`);
  await con.run(`DROP TABLE ${tableRef(name)}`);
  await con.run(`ALTER TABLE ${tableRef(tmp)} RENAME TO ${q(name)}`);
  for (const sql of indexes) await con.run(sql);
  cx.dirty.delete(name);
  cx.created.add(name);
}
