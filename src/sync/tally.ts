/**
 * The counts of one sync: totals for the SYNC PROGRESS table, and per table, with the
 * operations since the last checkpoint kept apart until that checkpoint commits them.
 */
import { addByTable, emptyCounts, emptyTableCounts, type Counts, type OpKind, type TableCounts } from "./counts.js";
import { OP_SLOT, sampleMemory, Slot } from "./live-counts.js";

export class Tally {
  readonly counts: Counts = emptyCounts();
  /** Operations per table since the last checkpoint. */
  private pending = new Map<string, TableCounts>();
  private lastTable = "";
  private lastPending: TableCounts | undefined;
  /** Operations since the last checkpoint, all tables together. */
  pendingOps = 0;
  private sampled = 0;

  constructor(private readonly live?: Float64Array) {}

  op(table: string, kind: OpKind): void {
    const n = ++this.counts[kind];
    if (this.live) {
      this.live[OP_SLOT[kind]] = n;
      // The peak memory, sampled every 16,384 operations too (a few times a second at full speed): a busy
      // update() leaves no turn to a timer, and each sample reads /proc.
      if ((++this.sampled & 16383) === 0) sampleMemory(this.live);
    }
    let p = table === this.lastTable ? this.lastPending : undefined;
    if (!p) {
      p = this.pending.get(table);
      if (!p) this.pending.set(table, (p = emptyTableCounts()));
      this.lastTable = table;
      this.lastPending = p;
    }
    p[kind]++;
    this.pendingOps++;
  }

  schemaChange(): void {
    this.counts.schemaChanges++;
    if (this.live) this.live[Slot.schemaChanges] = this.counts.schemaChanges;
  }

  /** The operations a checkpoint is about to commit, per table. */
  pendingByTable(): Record<string, TableCounts> {
    return Object.fromEntries(this.pending);
  }

  /** A checkpoint committed: its operations join the totals, and a new tally starts. */
  checkpoint(): void {
    this.counts.checkpoints++;
    if (this.live) {
      this.live[Slot.checkpoints] = this.counts.checkpoints;
      sampleMemory(this.live);
    }
    this.fold();
  }

  /** The end of the sync: the operations after the last checkpoint join the per-table totals too. */
  fold(): void {
    addByTable(this.counts.byTable, Object.fromEntries(this.pending));
    this.pending = new Map();
    this.lastTable = "";
    this.lastPending = undefined;
    this.pendingOps = 0;
  }
}
