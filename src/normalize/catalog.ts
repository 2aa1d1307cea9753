/**
 * The normalizer's picture of the destination's tables: names, columns, logical types and
 * keys, plus the caches the hot path needs (resolved keys, converters, a row buffer).
 * Every change to it is also sent to the destination as a SchemaChange value, in order,
 * so the destination never needs to be asked what a table looks like.
 */
import type { ColumnSpec, SchemaChange, StoredCatalog, TableSpec } from "./schema-change.js";
import type { Limits } from "./limits.js";
import type { Coercer, LogicalType, Stored } from "./types.js";

export const SYNCED = "_fivetran_synced";
export const DELETED = "_fivetran_deleted";
export const FIVETRAN_ID = "_fivetran_id";
/** The generation of a row's last write (destinations/destination.ts, deferred truncate); internal, never shown as data. */
export const GENERATION = "_connector_generation";

export interface Column {
  name: string;
  /** null only for a declared primary-key column whose type comes from its first value. */
  type: LogicalType | null;
  declared: boolean;
  pk: boolean;
  /** Position among the table's data columns: the column's slot in a row. */
  index: number;
  /** The converter with the warnings its type needs (row-normalizer.ts), cached until the type changes. */
  put?: Coercer;
}

export interface Table {
  name: string;
  columns: Map<string, Column>;
  order: Column[];
  pk: Column[];
  keyless: boolean;
  /** The column each key of incoming data resolved to, so names are normalised once per key, not once per row. */
  resolved: Map<string, Column>;
  /** The reusable row of an upsert, in column order. */
  row: Stored[];
  /** The keys of the last upsert in their order, and their columns: most rows of a table share one shape. */
  shape: string[];
  shapeColumns: (Column | undefined)[];
}

export type ColumnInput = Omit<Column, "index" | "put">;

/** One counted schema change, for people: a new table (no column), a new column (no old type), or a widening. */
export interface SchemaChangeNote {
  table: string;
  /** null for a new table. */
  column: string | null;
  /** The column's type before the change; null for a new table or column. */
  oldType: string | null;
  /** The column's type after it; null for a new table. */
  newType: string | null;
}

export class Catalog {
  readonly tables = new Map<string, Table>();
  /** The names each table was filled from in earlier syncs. */
  readonly sources: Map<string, string[]>;
  /** The data of the operation in progress once roomFor() counted its new columns. */
  private counted: Record<string, unknown> | undefined;
  /** Changes held back until that operation is normalized (endOperation), as it may not fit. */
  private held: SchemaChange[] | undefined;
  /** Held changes were dropped: this picture is ahead of the destination, and its sync, failed, takes no more operations. */
  private dropped = false;

  constructor(
    stored: StoredCatalog,
    private readonly send: (change: SchemaChange) => void,
    /** Asks the destination whether an integer column holds values beyond 2^53. */
    private readonly probeUnsafe: (table: string, column: string) => boolean,
    /** The destination's declared limits; none checks nothing (a test's catalog). */
    private readonly limits?: Limits,
  ) {
    for (const spec of stored.tables) this.remember(spec);
    this.sources = new Map(Object.entries(stored.sources));
  }

  private remember(spec: TableSpec): Table {
    const t: Table = { name: spec.name, columns: new Map(), order: [], pk: [], keyless: spec.keyless, resolved: new Map(), row: [], shape: [], shapeColumns: [] };
    for (const c of spec.columns) push(t, { ...c });
    this.tables.set(t.name, t);
    return t;
  }

  /**
   * Before the first column an operation's data adds: when its keys that name no column yet would not all fit,
   * the changes are held back until the operation ends, so that a refusal at the 2,000th column has not altered
   * the destination 1,996 times first (SQLite rewrites its whole schema at each ALTER TABLE) only to roll it back.
   */
  roomFor(t: Table, d: Record<string, unknown>): void {
    if (this.counted === d || !this.limits) return;
    this.counted = d;
    let more = 0;
    for (const key in d) if (!t.resolved.has(key) && d[key] !== null && d[key] !== undefined) more++;
    if (!this.limits.fits(t.order.length + more)) this.held = [];
  }

  /** Ends an operation: changes held back by roomFor() are sent in order when it was normalized, and dropped when it failed (its sync fails). */
  endOperation(normalized: boolean): void {
    if (this.counted === undefined) return;
    const held = this.held;
    this.counted = this.held = undefined;
    if (normalized && held) for (const change of held) this.send(change);
    else if (held?.length) this.dropped = true;
  }

  private emit(change: SchemaChange): void {
    if (this.dropped) throw new Error("a schema change after an operation whose changes were dropped: its sync has failed");
    if (this.held) this.held.push(change);
    else this.send(change);
  }

  /** Creates a table with its data columns; a table without a primary key gets _fivetran_id first. */
  createTable(name: string, columns: ColumnInput[]): Table {
    const keyless = !columns.some((c) => c.pk);
    const all = keyless ? [{ name: FIVETRAN_ID, type: { type: "STRING" } as LogicalType, declared: false, pk: true }, ...columns] : columns;
    const spec: TableSpec = { name, keyless, columns: all.map((c) => ({ name: c.name, type: c.type, declared: c.declared, pk: c.pk })) };
    this.limits?.table(spec);
    this.emit({ kind: "createTable", table: spec });
    return this.remember(spec);
  }

  addColumn(t: Table, c: Omit<ColumnInput, "pk">): Column {
    const spec: ColumnSpec = { name: c.name, type: c.type, declared: c.declared, pk: false };
    this.limits?.column(t.name, c.name, t.order.length);
    this.emit({ kind: "addColumn", table: t.name, column: spec });
    return push(t, { ...spec });
  }

  /** Records the type of a column whose type was unknown (an undeclared primary-key column), or declares it. */
  setColumnType(t: Table, col: Column, type: LogicalType, declared = col.declared): void {
    this.emit({ kind: "setType", table: t.name, column: col.name, type, declared });
    retype(col, type, declared);
  }

  /** Widens a column; the destination converts the values it holds. */
  changeColumnType(t: Table, col: Column, type: LogicalType, declared = col.declared): void {
    this.emit({ kind: "changeType", table: t.name, column: col.name, type, declared });
    retype(col, type, declared);
  }

  holdsUnsafeIntegers(t: Table, col: Column): boolean {
    return this.probeUnsafe(t.name, col.name);
  }

  dropTable(name: string): boolean {
    const existed = this.tables.delete(name);
    this.emit({ kind: "dropTable", table: name });
    return existed;
  }

  /** Records the name a table is filled from; `fresh` when the table is new, so its list starts again. */
  recordSource(table: string, source: string, fresh: boolean): void {
    const known = fresh ? [] : (this.sources.get(table) ?? []);
    if (!fresh && known.includes(source)) return;
    this.sources.set(table, [...known, source]);
    this.emit({ kind: "tableSource", table, source, fresh });
  }
}

function push(t: Table, c: Omit<Column, "index">): Column {
  const col: Column = { ...c, index: t.order.length };
  t.columns.set(col.name, col);
  t.order.push(col);
  if (col.pk) t.pk.push(col);
  if (col.name === FIVETRAN_ID) t.keyless = true;
  return col;
}

function retype(col: Column, type: LogicalType, declared: boolean): void {
  col.type = type;
  col.declared = declared;
  col.put = undefined;
}
