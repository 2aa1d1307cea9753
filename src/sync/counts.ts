import type { HttpCounts } from "../sdk/http-hooks.js";

/** Operations on one table. */
export interface TableCounts {
  upserts: number;
  updates: number;
  deletes: number;
  truncates: number;
}

/** Operation counts of a run, as in the SYNC PROGRESS table, with a breakdown per table. */
export interface Counts extends TableCounts {
  schemaChanges: number;
  checkpoints: number;
  byTable: Record<string, TableCounts>;
  /**
   * Rows that truncates marked deleted, per table, when the sync succeeded (deferred truncate): this
   * run's truncates and those an earlier failed run committed. Empty when the sync failed.
   */
  truncatedRows: Record<string, number>;
  /** What connector-sdk/http requested, when the connector used it. */
  http?: HttpCounts;
}

export type OpKind = keyof TableCounts;

export function emptyCounts(): Counts {
  return { upserts: 0, updates: 0, deletes: 0, truncates: 0, schemaChanges: 0, checkpoints: 0, byTable: {}, truncatedRows: {} };
}

export function emptyTableCounts(): TableCounts {
  return { upserts: 0, updates: 0, deletes: 0, truncates: 0 };
}

export function totalOperations(c: TableCounts): number {
  return c.upserts + c.updates + c.deletes + c.truncates;
}

/** Adds per-table operation counts into a running total, table by table. */
export function addByTable(into: Record<string, TableCounts>, from: Record<string, TableCounts>): void {
  for (const [table, ops] of Object.entries(from)) {
    const t = (into[table] ??= emptyTableCounts());
    t.upserts += ops.upserts;
    t.updates += ops.updates;
    t.deletes += ops.deletes;
    t.truncates += ops.truncates;
  }
}
