/**
 * Upserts held back and written up to ROWS at a time in one multi-row INSERT … ON CONFLICT statement:
 * with a statement per row, better-sqlite3's cost per call was a sixth of W1 (docs/performance.md).
 * SQLite applies the VALUES rows in order, so a key sent twice in one batch ends as its later row.
 * The destination writes every held row before anything else touches the file (destination.ts).
 */
import type Database from "better-sqlite3";
import type { Stored } from "../../normalize/types.js";
import { upsertSql, type Table } from "./ddl.js";

/** Rows per statement: 32 to 64 measured best for W1's rows, 16 and 100 slower. */
const ROWS = 32;
/** Values bound per statement at most, so that a wide table's statement stays quick to prepare. */
const MAX_VALUES = 4096;

export class UpsertBatch {
  /** Listed among the destination's batches that hold rows. */
  listed = false;
  private readonly values: Stored[];
  private readonly stride: number;
  private readonly size: number;
  private rows = 0;
  private readonly many: ((values: Stored[], offset: number) => void) | undefined;
  private readonly one: (values: Stored[], offset: number) => void;
  private readonly table: string;

  constructor(
    db: Database.Database,
    t: Table,
    /** The generation written into the statements as a literal. */
    readonly generation: number,
  ) {
    this.table = t.name;
    this.stride = t.order.length + 1;
    this.size = Math.max(1, Math.min(ROWS, Math.floor(MAX_VALUES / this.stride)));
    this.values = new Array<Stored>(this.size * this.stride).fill(null);
    this.one = binder(db.prepare(upsertSql(t, generation, 1)), this.stride);
    this.many = this.size > 1 ? binder(db.prepare(upsertSql(t, generation, this.size)), this.size * this.stride) : undefined;
  }

  /** Holds a copy of the row, whose buffer the normalizer reuses; writes the batch when full. */
  add(row: Stored[], synced: string): void {
    const v = this.values;
    let o = this.rows * this.stride;
    v[o++] = synced;
    for (let i = 0; i < this.stride - 1; i++) {
      const x = row[i];
      v[o++] = x === undefined ? null : x;
    }
    if (++this.rows === this.size) this.write();
  }

  /** Writes the rows held, in the order they came. */
  write(): void {
    this.listed = false;
    const n = this.rows;
    this.rows = 0;
    try {
      if (n === this.size && this.many) this.many(this.values, 0);
      else for (let k = 0; k < n; k++) this.one(this.values, k * this.stride);
    } catch (e) {
      // Written later than it was sent, so the error says which operation it belongs to.
      if (e instanceof Error) e.message = `writing op.upsert rows into table "${this.table}": ${e.message}`;
      throw e;
    }
  }

  /** Forgets the rows held: the transaction they belong to rolled back. */
  discard(): void {
    this.listed = false;
    this.rows = 0;
  }
}

/**
 * Runs a statement with `count` values of an array from an offset, each passed as its own argument:
 * better-sqlite3 binds separate arguments a fifth faster than one array, and a generated call needs no spread.
 */
function binder(statement: Database.Statement, count: number): (values: Stored[], offset: number) => void {
  const args = Array.from({ length: count }, (_, i) => `v[o + ${i}]`).join(", ");
  const run = new Function("s", "v", "o", `s.run(${args});`) as (s: Database.Statement, v: Stored[], o: number) => void;
  return (v, o) => run(statement, v, o);
}
