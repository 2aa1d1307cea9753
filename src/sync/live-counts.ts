/**
 * Counts shared with another thread while update() blocks its own: the debug command's main
 * thread reads them for the spinner and for the summary of a run it had to stop. The layout
 * of the shared array is named here and nowhere else.
 */
import { emptyCounts, type Counts, type OpKind } from "./counts.js";
import { builtin } from "../util/builtin.js";

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
  /** The largest heap the sync worker was seen to use, in bytes. */
  peakHeap: 8,
  /** The largest resident set of the process (both threads), in bytes. */
  peakRss: 9,
} as const;
export const SLOTS = 10;

export const OP_SLOT: Record<OpKind, number> = { upserts: Slot.upserts, updates: Slot.updates, deletes: Slot.deletes, truncates: Slot.truncates };

export function newLiveCounts(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * Float64Array.BYTES_PER_ELEMENT);
}

// In the thread that measures its heap only: the main thread samples the RSS alone.
const heapStatistics = (): import("node:v8").HeapInfo => builtin("node:v8").getHeapStatistics();

/** Raises the peaks to what is in use now: the calling thread's heap (unless `heap` is false), and the process's RSS. */
export function sampleMemory(live: Float64Array, heap = true): void {
  if (heap) {
    const used = heapStatistics().used_heap_size;
    if (used > live[Slot.peakHeap]!) live[Slot.peakHeap] = used;
  }
  const rss = process.memoryUsage.rss();
  if (rss > live[Slot.peakRss]!) live[Slot.peakRss] = rss;
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
