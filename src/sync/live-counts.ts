/**
 * Counts shared with another thread while update() blocks its own: the debug command's main
 * thread reads them for the spinner and for the summary of a run it had to stop. The layout
 * of the shared array is named here and nowhere else.
 */
import { emptyCounts, type Counts, type OpKind } from "./counts.js";

export const Slot = {
  upserts: 0,
  updates: 1,
  deletes: 2,
  truncates: 3,
  schemaChanges: 4,
  checkpoints: 5,
  /** 1 when the connector called process.exit(). */
  exitCalled: 6,
  /** The code it passed. */
  exitCode: 7,
} as const;
export const SLOTS = 8;

export const OP_SLOT: Record<OpKind, number> = { upserts: Slot.upserts, updates: Slot.updates, deletes: Slot.deletes, truncates: Slot.truncates };

export function newLiveCounts(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * Float64Array.BYTES_PER_ELEMENT);
}

/** The counts as last written; per-table figures are not shared. */
export function readLiveCounts(live: Float64Array): Counts {
  const c = emptyCounts();
  c.upserts = live[Slot.upserts]!;
  c.updates = live[Slot.updates]!;
  c.deletes = live[Slot.deletes]!;
  c.truncates = live[Slot.truncates]!;
  c.schemaChanges = live[Slot.schemaChanges]!;
  c.checkpoints = live[Slot.checkpoints]!;
  return c;
}
