/**
 * Turns one operation's data into stored values in catalog order: each key resolved to its
 * column (created when new), each value inferred, widened to and coerced into the column's
 * type, after Names checked that no two keys of the data become one column. Schema changes go
 * through the catalog, which sends them to the destination first.
 * The hot path allocates nothing per row: the row buffer and the resolved keys are reused.
 */
import { OperationError } from "../util/errors.js";
import { FIVETRAN_ID, type Catalog, type Column, type SchemaChangeNote, type Table } from "./catalog.js";
import { caseTwin, JSON_KEY } from "./declared.js";
import type { Names } from "./names.js";
import { hashPairs } from "./row-hash.js";
import { coercerFor, sourceText } from "./coerce.js";
import { CoercionError, formatType, type LogicalType, type Stored } from "./types.js";
import { describe } from "../util/describe.js";
import { fitsInferred, inferType, widen } from "./infer.js";
import { isUnsafeInteger } from "./values.js";

export interface NormalizerHooks {
  /** A table was created, a column added or widened. */
  schemaChanged(change: SchemaChangeNote): void;
  warnOnce(key: string, message: string): void;
}

/** An update in catalog terms: the columns it sets, their values, and the row's key. */
export interface UpdateRow {
  table: Table;
  columns: string[];
  values: Stored[];
  key: Stored[];
}

export class RowNormalizer {
  constructor(
    readonly catalog: Catalog,
    private readonly names: Names,
    private readonly hooks: NormalizerHooks,
  ) {}

  /**
   * Fills the table's row buffer from upsert data; the table is created from the row when new. A key seen
   * before that names a declared column takes the fast path: its cached converter, with no type to decide.
   */
  upsert(name: string, d: Record<string, unknown>): Table {
    this.names.data(name, d, "upsert");
    const t = this.catalog.tables.get(name) ?? this.createFromRow(name, d);
    const row = t.row;
    const width = t.order.length;
    if (row.length !== width) row.length = width;
    for (let i = 0; i < width; i++) row[i] = null;
    const shape = t.shape;
    const columns = t.shapeColumns;
    let j = 0;
    let col: Column | undefined;
    try {
      for (const key in d) {
        const value = d[key];
        col = shape[j] === key ? columns[j] : ((shape[j] = key), (columns[j] = t.resolved.get(key)));
        if (col?.put === undefined || !col.declared || col.name === FIVETRAN_ID) {
          col = undefined;
          this.put(t, row, key, value, d);
          columns[j] = t.resolved.get(key);
        } else if (value !== null && value !== undefined) {
          row[col.index] = col.put(value);
        }
        j++;
      }
    } catch (e) {
      this.catalog.endOperation(false);
      if (col && e instanceof CoercionError) throw this.coercionFailed(t, col, col.type!, e);
      throw e;
    }
    this.catalog.endOperation(true);
    if (t.keyless) row[t.pk[0]!.index] = this.rowHash(t, d, row);
    for (const pk of t.pk) {
      if (row[pk.index] === null || row[pk.index] === undefined) this.missingKey(t, pk, "upsert");
    }
    return t;
  }

  /** One value of upsert data into the row: its column resolved or created, its type inferred or widened. */
  private put(t: Table, row: Stored[], key: string, value: unknown, d: Record<string, unknown>): void {
    let col = this.resolve(t, key, "upsert");
    if (typeof col === "string") {
      if (value === null || value === undefined) return;
      col = this.newColumn(t, col, value, d);
      row.length = t.order.length;
    }
    row[col.index] = this.store(t, col, value);
  }

  /** The columns and values an update sets, and its key; undefined when the table does not exist. */
  update(name: string, d: Record<string, unknown>): UpdateRow | undefined {
    this.names.data(name, d, "update");
    const t = this.catalog.tables.get(name);
    if (!t) return undefined;
    const key = this.keyValues(t, d, "update");
    const columns: string[] = [];
    const values: Stored[] = [];
    try {
      for (const k in d) {
        let col = this.resolve(t, k, "update");
        if (typeof col !== "string" && col.pk) continue;
        const value = d[k];
        if (typeof col === "string") {
          if (value === null || value === undefined) continue;
          col = this.newColumn(t, col, value, d);
        }
        values.push(this.store(t, col, value));
        columns.push(col.name);
      }
    } catch (e) {
      this.catalog.endOperation(false);
      throw e;
    }
    this.catalog.endOperation(true);
    return { table: t, columns, values, key };
  }

  /** The key of a delete; undefined when the table does not exist. */
  deleteKey(name: string, d: Record<string, unknown>): Stored[] | undefined {
    this.names.data(name, d, "delete");
    const t = this.catalog.tables.get(name);
    return t ? this.keyValues(t, d, "delete") : undefined;
  }

  /** Coerces a value for a column, adding a type to an untyped column or widening an inferred one when the value needs it. */
  private store(t: Table, col: Column, value: unknown): Stored {
    if (value === null || value === undefined) return null;
    if (col.type && col.declared) return this.coerce(t, col, col.type, value);
    const inferred = this.infer(t.name, col.name, value)!;
    if (value !== value) {
      this.hooks.warnOnce(
        `nan:${t.name}.${col.name}`,
        `table "${t.name}", column "${col.name}" received NaN, which SQLite cannot store as a number; it is stored as the text "NaN", so the column is STRING. Send null for a missing number.`,
      );
    }
    // A STRING column holds any value's text, but a key that took its type from a string holds strings only: 1 after
    // "1" is an error, as "1" after 1 is, so the outcome does not depend on which came first.
    const keyOfOtherType = col.pk && col.type?.type === "STRING" && inferred.type !== "STRING";
    if (col.pk && inferred.type === "JSON" && (!col.type || col.type.type === "JSON")) {
      throw new OperationError(`table "${t.name}", primary key column "${col.name}": the value is ${describe(value)}, which is JSON, and ${JSON_KEY}`);
    }
    if (!col.type) {
      this.catalog.setColumnType(t, col, inferred, false);
    } else if (keyOfOtherType || !fitsInferred(inferred, col.type, value)) {
      if (col.pk) {
        throw new OperationError(
          `table "${t.name}", primary key column "${col.name}": ${describe(value)} is ${formatType(inferred)}, but the key is ${formatType(col.type)}; a primary key cannot change type`,
        );
      }
      let wider = widen(col.type, inferred);
      // A DOUBLE cannot hold an integer beyond 2^53 exactly: a column that would hold one becomes STRING instead.
      if (wider.type === "DOUBLE" && (isUnsafeInteger(value) || (col.type.type === "LONG" && this.catalog.holdsUnsafeIntegers(t, col)))) wider = { type: "STRING" };
      const from = formatType(col.type);
      this.catalog.changeColumnType(t, col, wider, false);
      this.hooks.schemaChanged({ table: t.name, column: col.name, oldType: from, newType: formatType(wider) });
    }
    return this.coerce(t, col, col.type!, value);
  }

  /** The inferred type of a value, or an error naming the table and column when the value has no faithful form. */
  private infer(table: string, column: string, value: unknown): LogicalType | undefined {
    try {
      return inferType(value);
    } catch (e) {
      if (!(e instanceof CoercionError)) throw e;
      throw new OperationError(`table "${table}", column "${column}": ${e.message}`);
    }
  }

  private coerce(t: Table, col: Column, type: LogicalType, value: unknown): Stored {
    try {
      return (col.put ??= this.putter(t, col, type))(value);
    } catch (e) {
      if (!(e instanceof CoercionError)) throw e;
      throw this.coercionFailed(t, col, type, e);
    }
  }

  /** The column's converter with the warnings its type needs; cached on the column, and called directly by upsert's fast path for a declared column. */
  private putter(t: Table, col: Column, type: LogicalType): (value: unknown) => Stored {
    const convert = coercerFor(type);
    if (type.type === "JSON") {
      return (value) => {
        const stored = convert(value);
        if (typeof value === "string" && /^\s*[[{]/.test(value)) this.checkDoubleEncoding(t, col, value);
        return stored;
      };
    }
    if (type.type === "FLOAT") {
      return (value) => {
        const stored = convert(value);
        this.checkFloatRounding(t, col, value, stored as number);
        return stored;
      };
    }
    return convert;
  }

  private coercionFailed(t: Table, col: Column, type: LogicalType, e: CoercionError): OperationError {
    return new OperationError(`table "${t.name}", column "${col.name}" (${formatType(type)}): ${e.message}`);
  }

  private checkFloatRounding(t: Table, col: Column, value: unknown, stored: number): void {
    const sent = typeof value === "string" ? Number(value.trim()) : Number(value);
    if (sent === stored) return;
    this.hooks.warnOnce(
      `float:${t.name}.${col.name}`,
      `table "${t.name}", column "${col.name}" (FLOAT): FLOAT is a 32-bit float, as in Fivetran's protocol and its destinations, so ${sent} is stored as ${stored}, and other values of this column may round too. Declare the column DOUBLE to keep every digit.`,
    );
  }

  private checkDoubleEncoding(t: Table, col: Column, value: string): void {
    try {
      JSON.parse(value);
    } catch {
      return;
    }
    this.hooks.warnOnce(
      `json:${t.name}.${col.name}`,
      `table "${t.name}", column "${col.name}" (JSON) received a string that is itself JSON; it is stored as a JSON string, double-encoded. Pass the object, not JSON.stringify(object).`,
    );
  }

  private newColumn(t: Table, name: string, value: unknown, d: Record<string, unknown>): Column {
    const twin = caseTwin(name, t.columns.keys());
    if (twin) {
      throw new OperationError(`table "${t.name}": column "${name}" and the existing column "${twin}" differ only in case; SQLite ignores case in column names, so they would be one column. Use the spelling "${twin}".`);
    }
    this.catalog.roomFor(t, d);
    const type = this.infer(t.name, name, value)!;
    this.hooks.schemaChanged({ table: t.name, column: name, oldType: null, newType: formatType(type) });
    return this.catalog.addColumn(t, { name, type, declared: false });
  }

  private missingKey(t: Table, col: Column, opName: string): never {
    const hint = t.keyless ? ` (table "${t.name}" has no primary key, so ${opName} needs the row's _fivetran_id)` : "";
    throw new OperationError(`op.${opName} on table "${t.name}": primary key column "${col.name}" is missing or null${hint}`);
  }

  /** The primary-key values of update and delete data, coerced like the stored keys. */
  private keyValues(t: Table, data: Record<string, unknown>, opName: string): Stored[] {
    const values: Stored[] = [];
    for (const col of t.pk) {
      let v: Stored = null;
      for (const key in data) {
        if (this.resolve(t, key, opName) === col) {
          v = this.store(t, col, data[key]);
          break;
        }
      }
      if (v === null) this.missingKey(t, col, opName);
      values.push(v);
    }
    return values;
  }

  /** The column a data key maps to, or the normalised name of a column that does not exist yet. */
  private resolve(t: Table, key: string, opName: string): Column | string {
    let col = t.resolved.get(key);
    if (col === undefined) {
      // _fivetran_id may only name the key of a keyless table, in update and delete.
      const name = this.names.column(t.name, key, opName, t.keyless && opName !== "upsert");
      col = t.columns.get(name);
      if (!col) return name;
      t.resolved.set(key, col);
    }
    if (col.name === FIVETRAN_ID && opName === "upsert") {
      throw new OperationError(`op.upsert on table "${t.name}": column "${key}" uses a reserved name; _fivetran_* and _connector_* columns belong to the warehouse`);
    }
    return col;
  }

  /** The documented key of a row of a keyless table: a hash of its non-null values as the connector sent them (row-hash.ts). */
  private rowHash(t: Table, d: Record<string, unknown>, row: Stored[]): string {
    const pairs: [string, string][] = [];
    for (const key in d) {
      const value = d[key];
      if (value === null || value === undefined) continue;
      const col = this.resolve(t, key, "upsert") as Column;
      // A STRING column already holds the text.
      pairs.push([col.name, col.type?.type === "STRING" ? (row[col.index] as string) : sourceText(value)]);
    }
    return hashPairs(pairs);
  }

  /** A table first seen in an upsert: created keyless with the row's non-null columns, as one schema change. */
  private createFromRow(name: string, d: Record<string, unknown>): Table {
    const columns = new Map<string, LogicalType>();
    for (const key of Object.keys(d)) {
      const type = this.infer(name, key, d[key]);
      const col = this.names.column(name, key, "upsert", false);
      if (type && !columns.has(col)) columns.set(col, type);
    }
    this.hooks.schemaChanged({ table: name, column: null, oldType: null, newType: null });
    return this.catalog.createTable(name, [...columns].map(([col, type]) => ({ name: col, type, declared: false, pk: false })));
  }
}
