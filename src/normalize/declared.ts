import { OperationError, ReloadTableError } from "../util/errors.js";
import { applyNaming, sqliteNameKey, type Naming } from "./naming.js";
import { isPlainObject } from "../util/describe.js";
import { describe } from "../util/describe.js";
import { formatType, isWidening, parseType, type LogicalType } from "./types.js";
import { FIVETRAN_ID, type Catalog, type SchemaChangeNote } from "./catalog.js";
import { loneSurrogateInName } from "./lone-surrogates.js";

export interface DeclaredColumn {
  name: string;
  type: LogicalType | null;
  pk: boolean;
}

export interface DeclaredTable {
  name: string;
  /** The name as schema() wrote it. */
  source: string;
  columns: DeclaredColumn[];
  hasPk: boolean;
}

// Case-insensitive, as SQLite compares names: with --naming source, "_FIVETRAN_SYNCED" is the same column.
const RESERVED = /^_(fivetran|connector)_/i;

export function isReservedColumn(name: string): boolean {
  return RESERVED.test(name);
}

/**
 * Why a key column cannot be JSON. Each destination would compare such keys its own way: SQLite and DuckDB by their
 * text, PostgreSQL's jsonb by value, so one pair of rows would be two rows in one and one row (or an error) in another.
 */
export const JSON_KEY =
  'JSON cannot be a primary key: {"a":1,"b":2} and {"b":2,"a":1} are one value to PostgreSQL (jsonb) but two texts to SQLite and DuckDB, so the same rows would differ between destinations. Make the fields that identify a row the key, each a column of its own, or declare the key STRING and send one canonical text for each value';

/** Why SQLite cannot hold a name as given (it reaches SQLite unchanged with --naming source), or undefined. */
export function nameProblem(name: string): string | undefined {
  if (name.includes("\0")) return "contains a NUL character (\\0), which SQLite cannot hold in a name; remove it, or use --naming fivetran";
  return undefined;
}

/** Why a (normalised) table name cannot be used, or undefined. */
export function tableNameProblem(name: string): string | undefined {
  if (/^_connector_/i.test(name)) return "uses the reserved prefix _connector_";
  if (/^sqlite_/i.test(name)) return "starts with sqlite_, which SQLite reserves for its own tables; rename it";
  return nameProblem(name);
}

/** The existing name that differs from `name` only in case, which SQLite would take for the same name. */
export function caseTwin(name: string, existing: Iterable<string>): string | undefined {
  const key = sqliteNameKey(name);
  for (const other of existing) if (other !== name && sqliteNameKey(other) === key) return other;
  return undefined;
}

/** Checks what schema() returned and normalises its names; any problem names the table and the entry. */
export function parseSchema(value: unknown, naming: Naming): DeclaredTable[] {
  const fail = (msg: string): never => {
    throw new OperationError(`schema() ${msg}`);
  };
  if (!Array.isArray(value)) fail(`must return an array of { table, primary_key?, columns? }, got ${describe(value)}`);
  const tables: DeclaredTable[] = [];
  const seen = new Map<string, { name: string; source: string }>();
  (value as unknown[]).forEach((entry, i) => {
    if (!isPlainObject(entry)) fail(`entry ${i} must be an object, got ${describe(entry)}`);
    const e = entry as Record<string, unknown>;
    if (typeof e.table !== "string" || e.table.trim() === "") fail(`entry ${i} needs a non-empty "table" name, got ${describe(e.table)}`);
    const source = e.table as string;
    const lone = loneSurrogateInName(source);
    if (lone) fail(`table ${JSON.stringify(source)} ${lone}`);
    for (const key of Object.keys(e)) {
      if (!["table", "primary_key", "columns"].includes(key)) fail(`table "${source}": unknown key "${key}" (the keys are table, primary_key, columns)`);
    }
    const name = applyNaming(naming, source, "table");
    const problem = tableNameProblem(name);
    if (problem) fail(`table ${JSON.stringify(source)} ${problem}`);
    const first = seen.get(sqliteNameKey(name));
    if (first !== undefined) {
      if (first.name !== name) fail(`declares tables "${first.source}" and "${source}", which differ only in case; SQLite ignores case in table names, so they would be one table`);
      fail(`declares table "${source}" twice${first.source !== source ? ` ("${first.source}" and "${source}" both become "${name}")` : ""}`);
    }
    seen.set(sqliteNameKey(name), { name, source });
    // Keyed as SQLite compares names; each entry keeps the key it was declared under, for messages.
    const columns = new Map<string, DeclaredColumn & { source: string }>();
    const column = (colSource: string, what: string): string => {
      const col = applyNaming(naming, colSource, "column");
      const bad = loneSurrogateInName(colSource) ?? nameProblem(col);
      if (bad) fail(`table "${source}": ${what} ${JSON.stringify(colSource)} ${bad}`);
      return col;
    };
    if (e.columns !== undefined) {
      if (!isPlainObject(e.columns)) fail(`table "${source}": "columns" must be an object of column name to type, got ${describe(e.columns)}`);
      for (const [colSource, spec] of Object.entries(e.columns as Record<string, unknown>)) {
        if (spec === undefined) continue;
        const col = column(colSource, "column");
        if (isReservedColumn(col)) fail(`table "${source}": column "${colSource}" uses a reserved name (_fivetran_* and _connector_* belong to the warehouse)`);
        const twin = columns.get(sqliteNameKey(col));
        if (twin) {
          if (twin.name !== col) fail(`table "${source}": columns "${twin.source}" and "${colSource}" differ only in case; SQLite ignores case in column names, so they would be one column`);
          fail(`table "${source}": column "${col}" is declared twice${twin.source !== colSource ? `: "${twin.source}" and "${colSource}" both become "${col}"` : ""}`);
        }
        let type: LogicalType;
        try {
          type = parseType(spec);
        } catch (err) {
          return fail(`table "${source}", column "${colSource}": ${(err as Error).message}`);
        }
        columns.set(sqliteNameKey(col), { name: col, type, pk: false, source: colSource });
      }
    }
    let hasPk = false;
    if (e.primary_key !== undefined) {
      if (!Array.isArray(e.primary_key) || e.primary_key.some((k) => typeof k !== "string" || k === "")) {
        fail(`table "${source}": "primary_key" must be a list of column names, got ${describe(e.primary_key)}`);
      }
      const keys = e.primary_key as string[];
      if (new Set(keys).size !== keys.length) fail(`table "${source}": "primary_key" names a column twice`);
      hasPk = keys.length > 0;
      const pkCols: DeclaredColumn[] = [];
      const pkSources = new Map<string, string>();
      for (const k of keys) {
        const col = column(k, "primary key column");
        if (isReservedColumn(col)) fail(`table "${source}": primary key column "${k}" uses a reserved name`);
        const key = sqliteNameKey(col);
        const other = pkSources.get(key);
        if (other !== undefined) {
          if (applyNaming(naming, other, "column") !== col) fail(`table "${source}": primary key columns "${other}" and "${k}" differ only in case; SQLite ignores case in column names, so they would be one column`);
          fail(`table "${source}": "primary_key" names column "${col}" twice ("${other}" and "${k}")`);
        }
        pkSources.set(key, k);
        const existing = columns.get(key);
        if (existing && existing.name !== col) fail(`table "${source}": primary key column "${k}" and column "${existing.source}" differ only in case; SQLite ignores case in column names, so write them the same way`);
        const c = existing ? { name: existing.name, type: existing.type, pk: true } : { name: col, type: null, pk: true };
        if (c.type?.type === "JSON") fail(`table "${source}": primary key column "${k}" is declared JSON, and ${JSON_KEY}`);
        columns.delete(key);
        pkCols.push(c);
      }
      tables.push({ name, source, hasPk, columns: [...pkCols, ...[...columns.values()].map(plain)] });
      return;
    }
    tables.push({ name, source, hasPk, columns: [...columns.values()].map(plain) });
  });
  return tables;
}

const plain = (c: DeclaredColumn): DeclaredColumn => ({ name: c.name, type: c.type, pk: c.pk });

/** Creates or extends the declared tables; returns the schema changes it made. */
export function applySchema(w: Catalog, tables: DeclaredTable[]): SchemaChangeNote[] {
  const changes: SchemaChangeNote[] = [];
  for (const d of tables) {
    const existing = w.tables.get(d.name);
    const tableTwin = existing ? undefined : caseTwin(d.name, w.tables.keys());
    if (tableTwin) {
      throw new ReloadTableError(
        `schema() declares table "${d.source}", but the warehouse has table "${tableTwin}"; SQLite ignores case in table names, so they would be one table. Use the spelling "${tableTwin}", or drop table "${tableTwin}" first.`,
        tableTwin,
      );
    }
    if (!existing) {
      w.createTable(
        d.name,
        d.columns.map((c) => ({ name: c.name, type: c.type, declared: c.type !== null, pk: c.pk })),
      );
      changes.push({ table: d.name, column: null, oldType: null, newType: null });
      continue;
    }
    const wantPk = d.hasPk ? d.columns.filter((c) => c.pk).map((c) => c.name) : [FIVETRAN_ID];
    const havePk = existing.pk.map((c) => c.name);
    if (wantPk.join("\0") !== havePk.join("\0")) {
      throw new ReloadTableError(
        `the primary key of table "${d.name}" changed from (${havePk.join(", ")}) to (${wantPk.join(", ")}). The warehouse cannot change a primary key in place: the table must be loaded again from the start.`,
        d.name,
      );
    }
    for (const c of d.columns) {
      const col = existing.columns.get(c.name);
      const colTwin = col ? undefined : caseTwin(c.name, existing.columns.keys());
      if (colTwin) throw new OperationError(`schema() declares column "${d.name}.${c.name}", but the table has column "${colTwin}"; SQLite ignores case in column names, so they would be one column. Use the spelling "${colTwin}".`);
      if (!col) {
        if (c.type) {
          w.addColumn(existing, { name: c.name, type: c.type, declared: true });
          changes.push({ table: d.name, column: c.name, oldType: null, newType: formatType(c.type) });
        }
        continue;
      }
      if (!c.type) continue;
      if (!col.type) {
        w.setColumnType(existing, col, c.type, true);
      } else if (formatType(col.type) !== formatType(c.type)) {
        if (col.pk || !isWidening(col.type, c.type)) {
          throw new ReloadTableError(
            `the type of ${col.pk ? "primary key " : ""}column "${d.name}.${c.name}" changed from ${formatType(col.type)} to ${formatType(c.type)}, which the rows already stored may not fit: the table must be loaded again from the start.`,
            d.name,
          );
        }
        changes.push({ table: d.name, column: c.name, oldType: formatType(col.type), newType: formatType(c.type) });
        w.changeColumnType(existing, col, c.type, true);
      } else if (!col.declared) {
        w.setColumnType(existing, col, c.type, true);
      }
    }
  }
  return changes;
}
