/**
 * The limits a destination declares (its capabilities: longest name, most columns), enforced
 * here, before a schema change is sent, so that every destination refuses alike and none
 * needs its own constant. A destination that cuts longer names silently (PostgreSQL) says so.
 */
import type { TableSpec } from "./schema-change.js";

/** The part of a destination's capabilities (destinations/destination.ts) that normalize enforces. */
export interface NameLimits {
  /** The destination's name in messages about its limits: "SQLite". */
  label: string;
  /** Longest table or column name, in UTF-8 bytes. */
  maxIdentifierLength: number;
  /** It would cut a longer name silently (PostgreSQL), rather than refuse it. */
  cutsLongNames?: boolean;
  /** Most columns in one table, system columns included (a truncate's _connector_generation too). */
  maxColumns: number;
  /** Column names the destination keeps for itself and refuses in a table (PostgreSQL's xmin, ctid…). */
  reservedColumns?: readonly string[];
}

/** The system columns a table may hold: `_connector_generation` counts before a truncate adds it, so that a truncate always has room for it. */
const SYSTEM_COLUMNS = 3;

export class Limits {
  constructor(private readonly capabilities: NameLimits) {}

  /** A new table: its name, its columns' names, and room for them with every system column. */
  table(spec: TableSpec): void {
    this.name(spec.name, "table");
    for (const c of spec.columns) this.name(c.name, "column", spec.name);
    this.room(spec.columns.length, () => `table "${spec.name}" would have ${(spec.columns.length + SYSTEM_COLUMNS).toLocaleString("en-US")} columns`);
  }

  /** A new column in a table of `data` data columns. */
  column(table: string, column: string, data: number): void {
    this.name(column, "column", table);
    this.room(data + 1, () => `table "${table}" has no room for column "${column}"`);
  }

  /** Whether a table of `data` data columns fits, with every system column. */
  fits(data: number): boolean {
    return data + SYSTEM_COLUMNS <= this.capabilities.maxColumns;
  }

  private name(name: string, what: string, table?: string): void {
    const { maxIdentifierLength: max, label, cutsLongNames, reservedColumns } = this.capabilities;
    if (what === "column" && reservedColumns?.includes(name)) {
      throw new Error(
        `the column name "${name}" in table "${table}" is one of ${label}'s system columns (${reservedColumns.join(", ")}), which it refuses in a table. Give it another name in the connector ("${name}_", say).`,
      );
    }
    const bytes = Buffer.byteLength(name);
    if (bytes <= max) return;
    const where = table ? ` in table "${table}"` : "";
    const why = cutsLongNames
      ? `${label} keeps only the first ${max} bytes of a name (it would cut it silently, and two long names could become one)`
      : `${label} takes names of at most ${max.toLocaleString("en-US")} bytes`;
    throw new Error(`the ${what} name "${name}"${where} is ${bytes} bytes long, and ${why}. Give it a shorter name in the connector.`);
  }

  private room(data: number, what: () => string): void {
    if (this.fits(data)) return;
    const { maxColumns: max, label } = this.capabilities;
    throw new Error(
      `${what()}: ${label} allows at most ${max.toLocaleString("en-US")} columns in a table, counting _fivetran_synced, _fivetran_deleted and _connector_generation (which op.truncate adds). Split the data over several tables, or keep rarely used fields together in one JSON column.`,
    );
  }
}
