/**
 * Reading a destination back, for the commands that look but never write (inspect, state
 * history, diff and rewind), for verify's comparisons and for the testing API. Values come
 * back in the canonical stored form every destination shares, exact for 64-bit integers.
 */
import type { CheckpointRecord } from "./destination.js";

export interface ColumnSummary {
  name: string;
  type: string | null;
  declared: boolean;
  primaryKey: boolean;
}

export interface TableSummary {
  table: string;
  primaryKey: string[];
  rows: number;
  deleted: number;
  lastSynced: string | null;
  columns: ColumnSummary[];
  /** Duplicate or NULL primary keys. */
  problems: string[];
}

export interface WarehouseReader {
  /** Every table, with its primary key and columns, sorted by name. */
  tables(): Promise<TableSummary[]>;
  /** Every row of a table, ordered by primary key, with the system columns. */
  rows(table: string): Promise<Record<string, unknown>[]>;
  /** The N most recently synced rows of a table. */
  latestRows(table: string, limit: number): Promise<{ columns: string[]; rows: Record<string, unknown>[] }>;
  /** Every checkpoint, oldest first. */
  checkpoints(): Promise<CheckpointRecord[]>;
  close(): Promise<void>;
}
