import { OperationError } from "./errors.js";
import { applyNaming, type Naming } from "./naming.js";
import { isPlainObject } from "./state.js";
import { describe, formatType, isWidening, parseType, type LogicalType } from "./types.js";
import { FIVETRAN_ID, type Warehouse } from "./warehouse.js";

export interface DeclaredColumn {
  name: string;
  type: LogicalType | null;
  pk: boolean;
}

export interface DeclaredTable {
  name: string;
  columns: DeclaredColumn[];
  hasPk: boolean;
}

const RESERVED = /^_(fivetran|connector)_/;

export function isReservedColumn(name: string): boolean {
  return RESERVED.test(name);
}

/** Checks what schema() returned and normalises its names; any problem names the table and the entry. */
export function parseSchema(value: unknown, naming: Naming): DeclaredTable[] {
  const fail = (msg: string): never => {
    throw new OperationError(`schema() ${msg}`);
  };
  if (!Array.isArray(value)) fail(`must return an array of { table, primary_key?, columns? }, got ${describe(value)}`);
  const tables: DeclaredTable[] = [];
  const seen = new Map<string, string>();
  (value as unknown[]).forEach((entry, i) => {
    if (!isPlainObject(entry)) fail(`entry ${i} must be an object, got ${describe(entry)}`);
    const e = entry as Record<string, unknown>;
    if (typeof e.table !== "string" || e.table.trim() === "") fail(`entry ${i} needs a non-empty "table" name, got ${describe(e.table)}`);
    const source = e.table as string;
    for (const key of Object.keys(e)) {
      if (!["table", "primary_key", "columns"].includes(key)) fail(`table "${source}": unknown key "${key}" (the keys are table, primary_key, columns)`);
    }
    const name = applyNaming(naming, source, "table");
    if (seen.has(name)) fail(`declares table "${source}" twice${seen.get(name) !== source ? ` ("${seen.get(name)}" and "${source}" both become "${name}")` : ""}`);
    seen.set(name, source);
    const columns = new Map<string, DeclaredColumn>();
    if (e.columns !== undefined) {
      if (!isPlainObject(e.columns)) fail(`table "${source}": "columns" must be an object of column name to type, got ${describe(e.columns)}`);
      for (const [colSource, spec] of Object.entries(e.columns as Record<string, unknown>)) {
        if (spec === undefined) continue;
        const col = applyNaming(naming, colSource, "column");
        if (isReservedColumn(col)) fail(`table "${source}": column "${colSource}" uses a reserved name (_fivetran_* and _connector_* belong to the warehouse)`);
        if (columns.has(col)) fail(`table "${source}": column "${colSource}" is declared twice (as "${col}")`);
        let type: LogicalType;
        try {
          type = parseType(spec);
        } catch (err) {
          return fail(`table "${source}", column "${colSource}": ${(err as Error).message}`);
        }
        columns.set(col, { name: col, type, pk: false });
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
      for (const k of keys) {
        const col = applyNaming(naming, k, "column");
        if (isReservedColumn(col)) fail(`table "${source}": primary key column "${k}" uses a reserved name`);
        const existing = columns.get(col);
        const c = existing ?? { name: col, type: null, pk: true };
        c.pk = true;
        columns.delete(col);
        pkCols.push(c);
      }
      tables.push({ name, hasPk, columns: [...pkCols, ...columns.values()] });
      return;
    }
    tables.push({ name, hasPk, columns: [...columns.values()] });
  });
  return tables;
}

/** Creates or extends the declared tables; returns how many schema changes it made. */
export function applySchema(w: Warehouse, tables: DeclaredTable[]): number {
  let changes = 0;
  for (const d of tables) {
    const existing = w.tables.get(d.name);
    if (!existing) {
      w.createTable(
        d.name,
        d.columns.map((c) => ({ name: c.name, type: c.type, declared: c.type !== null, pk: c.pk })),
      );
      changes++;
      continue;
    }
    const wantPk = d.hasPk ? d.columns.filter((c) => c.pk).map((c) => c.name) : [FIVETRAN_ID];
    const havePk = existing.pk.map((c) => c.name);
    if (wantPk.join("\0") !== havePk.join("\0")) {
      throw new OperationError(
        `the primary key of table "${d.name}" changed from (${havePk.join(", ")}) to (${wantPk.join(", ")}). The warehouse cannot change a primary key in place: run \`connector reset --table ${d.name}\` and sync again.`,
      );
    }
    for (const c of d.columns) {
      const col = existing.columns.get(c.name);
      if (!col) {
        if (c.type) {
          w.addColumn(existing, { name: c.name, type: c.type, declared: true });
          changes++;
        }
        continue;
      }
      if (!c.type) continue;
      if (!col.type) {
        w.setColumnType(existing, col, c.type, true);
      } else if (formatType(col.type) !== formatType(c.type)) {
        if (col.pk || !isWidening(col.type, c.type)) {
          throw new OperationError(
            `the type of ${col.pk ? "primary key " : ""}column "${d.name}.${c.name}" changed from ${formatType(col.type)} to ${formatType(c.type)}, which the rows already stored may not fit. Run \`connector reset --table ${d.name}\` and sync again.`,
          );
        }
        w.changeColumnType(existing, col, c.type, true);
        changes++;
      } else if (!col.declared) {
        w.setColumnType(existing, col, c.type, true);
      }
    }
  }
  return changes;
}
