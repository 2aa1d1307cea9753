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

/** A checkpoint as `state history` lists it: its state's size, and its state only when asked for. */
export interface CheckpointSummary {
  seq: number;
  run: number;
  time: string;
  /** The serialised state's size in bytes (UTF-8). */
  stateBytes: number;
  /** Operations per table since the previous checkpoint, serialised. */
  operations: string;
  /** The state, serialised: only with `eachCheckpoint({ states: true })`. */
  state?: string;
}

/** One page of a table's rows, newest first (connector ui). */
export interface RowPage {
  columns: string[];
  rows: Record<string, unknown>[];
  /** Opaque: give it as `after` for the next page; undefined on the last page. */
  next?: string;
  /** The table's columns (data columns only), and its row counts on the first page only (a count scans the table). */
  summary: { columns: ColumnSummary[]; counts?: { rows: number; deleted: number } };
}

export interface RowPageOptions {
  limit: number;
  /** The `next` of the previous page. */
  after?: string;
  /** Only rows whose first primary key column, as text, equals this. */
  key?: string;
}

export interface WarehouseReader {
  /** Every table, with its primary key and columns, sorted by name. */
  tables(): Promise<TableSummary[]>;
  /** Every row of a table, ordered by primary key, with the system columns. */
  rows(table: string): Promise<Record<string, unknown>[]>;
  /** The N most recently synced rows of a table. */
  latestRows(table: string, limit: number): Promise<{ columns: string[]; rows: Record<string, unknown>[] }>;
  /**
   * A page of rows, newest synced first, by a keyset query on (_fivetran_synced, row id): each page is one
   * bounded query, the table is never loaded. An unknown table is a UsageError naming it.
   */
  rowPage(table: string, options: RowPageOptions): Promise<RowPage>;
  /** Every checkpoint, oldest first, with every state held in memory: for short histories (tests) only. */
  checkpoints(): Promise<CheckpointRecord[]>;
  /**
   * The checkpoints after seq `after` (default: all), oldest first, read a few at a time, so a history of any
   * length fits in memory: sizes only, or the states too with `states`.
   */
  eachCheckpoint(options?: { states?: boolean; after?: number }): AsyncIterable<CheckpointSummary>;
  /** One checkpoint with its state; undefined when there is none of that seq. */
  checkpoint(seq: number): Promise<CheckpointRecord | undefined>;
  /** The first and the last checkpoint's seq; undefined when there is none yet. */
  checkpointRange(): Promise<{ first: number; last: number } | undefined>;
  close(): Promise<void>;
}
