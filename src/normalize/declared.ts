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

/** One problem of what schema() returned, with the entry it is in (when it is in one), to point at it. */
export interface SchemaProblem {
  message: string;
  /** The index of the entry in schema()'s array. */
  entry?: number;
  /** The entry's table, as schema() wrote it. */
  table?: string;
}

/** The problems of schema()'s array, all of them: the message lists each. `located` is set once the connector's lines are known. */
export class SchemaError extends OperationError {
  override name = "SchemaError";
  constructor(
    readonly problems: SchemaProblem[],
    located?: string[],
  ) {
    super(schemaMessage(problems, located));
  }
}

/** The most problems listed; a schema() with more is wrong in some systematic way the first ones show. */
export const MAX_LISTED_PROBLEMS = 50;

function schemaMessage(problems: SchemaProblem[], located?: string[]): string {
  if (problems.length === 1 && !located?.[0]) return `schema() ${problems[0]!.message}`;
  const shown = problems.slice(0, MAX_LISTED_PROBLEMS).map((p, i) => `  ${p.message}${located?.[i] ? `\n      ${located[i]}` : ""}`);
  const more = problems.length > MAX_LISTED_PROBLEMS ? [`  … and ${problems.length - MAX_LISTED_PROBLEMS} more`] : [];
  if (problems.length === 1) return `schema() ${problems[0]!.message}\n    ${located![0]}`;
  return [`schema() has ${problems.length} problems:`, ...shown, ...more].join("\n");
}

/** Thrown inside parseSchema for a problem that ends the checks of its entry (or of one column); always caught there. */
class Problem extends Error {}

/** Checks what schema() returned and normalises its names; a SchemaError lists every problem, each naming its table and entry. */
export function parseSchema(value: unknown, naming: Naming): DeclaredTable[] {
  if (!Array.isArray(value)) throw new SchemaError([{ message: `must return an array of { table, primary_key?, columns? }, got ${describe(value)}` }]);
  const problems: SchemaProblem[] = [];
  const tables: DeclaredTable[] = [];
  const seen = new Map<string, { name: string; source: string }>();
  (value as unknown[]).forEach((entry, i) => {
    let source: string | undefined;
    const fail = (msg: string): never => {
      throw new Problem(msg);
    };
    /** Runs one check; a problem is listed and the next check runs. */
    const check = (run: () => void): boolean => {
      try {
        run();
        return true;
      } catch (e) {
        if (!(e instanceof Problem)) throw e;
        problems.push({ message: e.message, entry: i, ...(source !== undefined ? { table: source } : {}) });
        return false;
      }
    };
    const e = isPlainObject(entry) ? (entry as Record<string, unknown>) : undefined;
    if (!e) return void check(() => fail(`entry ${i} must be an object, got ${describe(entry)}`));
    if (typeof e.table !== "string" || e.table.trim() === "") return void check(() => fail(`entry ${i} needs a non-empty "table" name, got ${describe(e.table)}`));
    source = e.table;
    const table = source;
    const lone = loneSurrogateInName(table);
    if (lone) return void check(() => fail(`table ${JSON.stringify(table)} ${lone}`));
    for (const key of Object.keys(e)) {
      if (!["table", "primary_key", "columns"].includes(key)) check(() => fail(`table "${table}": unknown key "${key}" (the keys are table, primary_key, columns)`));
    }
    const name = applyNaming(naming, source, "table");
    const named = check(() => {
      const problem = tableNameProblem(name);
      if (problem) fail(`table ${JSON.stringify(table)} ${problem}`);
      const first = seen.get(sqliteNameKey(name));
      if (first !== undefined) {
        if (first.name !== name) fail(`declares tables "${first.source}" and "${table}", which differ only in case; SQLite ignores case in table names, so they would be one table`);
        fail(`declares table "${table}" twice${first.source !== table ? ` ("${first.source}" and "${table}" both become "${name}")` : ""}`);
      }
    });
    if (named) seen.set(sqliteNameKey(name), { name, source });
    // Keyed as SQLite compares names; each entry keeps the key it was declared under, for messages.
    const columns = new Map<string, DeclaredColumn & { source: string }>();
    const column = (colSource: string, what: string): string => {
      const col = applyNaming(naming, colSource, "column");
      const bad = loneSurrogateInName(colSource) ?? nameProblem(col);
      if (bad) fail(`table "${table}": ${what} ${JSON.stringify(colSource)} ${bad}`);
      return col;
    };
    let ok = named;
    if (e.columns !== undefined) {
      if (!isPlainObject(e.columns)) ok = check(() => fail(`table "${table}": "columns" must be an object of column name to type, got ${describe(e.columns)}`)) && ok;
      else {
        for (const [colSource, spec] of Object.entries(e.columns as Record<string, unknown>)) {
          if (spec === undefined) continue;
          ok =
            check(() => {
              const col = column(colSource, "column");
              if (isReservedColumn(col)) fail(`table "${table}": column "${colSource}" uses a reserved name (_fivetran_* and _connector_* belong to the warehouse)`);
              const twin = columns.get(sqliteNameKey(col));
              if (twin) {
                if (twin.name !== col) fail(`table "${table}": columns "${twin.source}" and "${colSource}" differ only in case; SQLite ignores case in column names, so they would be one column`);
                fail(`table "${table}": column "${col}" is declared twice${twin.source !== colSource ? `: "${twin.source}" and "${colSource}" both become "${col}"` : ""}`);
              }
              let type: LogicalType;
              try {
                type = parseType(spec);
              } catch (err) {
                return fail(`table "${table}", column "${colSource}": ${(err as Error).message}`);
              }
              columns.set(sqliteNameKey(col), { name: col, type, pk: false, source: colSource });
            }) && ok;
        }
      }
    }
    let hasPk = false;
    const pkCols: DeclaredColumn[] = [];
    if (e.primary_key !== undefined) {
      ok =
        check(() => {
          if (!Array.isArray(e.primary_key) || e.primary_key.some((k) => typeof k !== "string" || k === "")) {
            fail(`table "${table}": "primary_key" must be a list of column names, got ${describe(e.primary_key)}`);
          }
          const keys = e.primary_key as string[];
          if (new Set(keys).size !== keys.length) fail(`table "${table}": "primary_key" names a column twice`);
          hasPk = keys.length > 0;
          const pkSources = new Map<string, string>();
          for (const k of keys) {
            const col = column(k, "primary key column");
            if (isReservedColumn(col)) fail(`table "${table}": primary key column "${k}" uses a reserved name`);
            const key = sqliteNameKey(col);
            const other = pkSources.get(key);
            if (other !== undefined) {
              if (applyNaming(naming, other, "column") !== col) fail(`table "${table}": primary key columns "${other}" and "${k}" differ only in case; SQLite ignores case in column names, so they would be one column`);
              fail(`table "${table}": "primary_key" names column "${col}" twice ("${other}" and "${k}")`);
            }
            pkSources.set(key, k);
            const existing = columns.get(key);
            if (existing && existing.name !== col) fail(`table "${table}": primary key column "${k}" and column "${existing.source}" differ only in case; SQLite ignores case in column names, so write them the same way`);
            const c = existing ? { name: existing.name, type: existing.type, pk: true } : { name: col, type: null, pk: true };
            if (c.type?.type === "JSON") fail(`table "${table}": primary key column "${k}" is declared JSON, and ${JSON_KEY}`);
            pkCols.push(c);
            columns.delete(key);
          }
        }) && ok;
    }
    if (ok) tables.push({ name, source, hasPk, columns: [...pkCols, ...[...columns.values()].map(plain)] });
  });
  if (problems.length) throw new SchemaError(problems);
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
