/**
 * What the normalizer hands the load layer: schema changes as values, the catalog a
 * destination holds at the start of a sync, and the checkpoint row that commits with the
 * rows before it. Declared here, below their users: normalize produces them, destinations
 * carry them out.
 */
import type { LogicalType } from "./types.js";

/** A column as the catalog records it; `type` is null only for a declared key column whose type comes from its first value. */
export interface ColumnSpec {
  name: string;
  type: LogicalType | null;
  declared: boolean;
  pk: boolean;
}

/** A table as the catalog records it: its data columns in catalog order (the order of a row's values). */
export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  /** No declared primary key: the first column is `_fivetran_id`, a hash of the row. */
  keyless: boolean;
}

/** What the normalizer decided about the schema, for the destination to carry out in the open transaction. */
export type SchemaChange =
  | { kind: "createTable"; table: TableSpec }
  | { kind: "addColumn"; table: string; column: ColumnSpec }
  /** The column's type becomes known, or is now declared. */
  | { kind: "setType"; table: string; column: string; type: LogicalType; declared: boolean }
  /** A widening: every stored value is converted as if the column had had `to` from the start (README, The warehouse). */
  | { kind: "changeType"; table: string; column: string; type: LogicalType; declared: boolean }
  | { kind: "dropTable"; table: string }
  /** The name the connector gave a table before normalisation; `fresh` starts the table's list again. */
  | { kind: "tableSource"; table: string; source: string; fresh: boolean };

/** The checkpoint row that commits with the rows before it: `_connector_checkpoints` in every destination. */
export interface CheckpointRecord {
  seq: number;
  run: number;
  time: string;
  /** The state, serialised. */
  state: string;
  /** Operations per table since the previous checkpoint, serialised. */
  operations: string;
  /**
   * Sealed secrets obtained since the previous checkpoint (connector-sdk/http's rotated refresh
   * tokens), serialised as { key: { value, at } }: upserted into `_connector_secrets` in the same transaction.
   */
  secrets?: string;
}

/** A row of `_connector_secrets`: a sealed value and when it was obtained. */
export interface StoredSecret {
  value: string;
  at: number;
}

/** What a destination holds at the start of a sync. */
export interface StoredCatalog {
  tables: TableSpec[];
  /** The names each table was filled from in earlier syncs. */
  sources: Record<string, string[]>;
  /** The last committed checkpoint's seq, 0 for none. */
  lastSeq: number;
  /**
   * This sync's run number: above every run that committed anything (a checkpoint, or the final
   * commit of a successful run), so generations only grow.
   */
  run: number;
  /**
   * The state the last committed checkpoint wrote, serialised, from a destination that keeps
   * it (`capabilities.stateInDestination`); null before the first checkpoint.
   */
  state?: string | null;
  /** `_connector_secrets`, by key. */
  secrets?: Record<string, StoredSecret>;
}
