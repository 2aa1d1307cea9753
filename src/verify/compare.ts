/**
 * What verify compares: every table's rows by primary key and the state, and the cells,
 * rows and state paths on which two runs of the same sync disagree by themselves.
 */
import { SYNCED } from "../normalize/catalog.js";
import type { TableRows } from "../destinations/destination.js";
import type { WarehouseReader } from "../destinations/reader.js";
import type { JsonValue, StateObject } from "../state/state.js";
import { parseJsonExact, stringifyExact } from "../util/exact.js";
import type { Difference } from "./verify.js";

export type Rows = Map<string, Map<string, Record<string, unknown>>>;

export interface Snapshot {
  rows: Rows;
  state: StateObject;
}

const MAX_DIFFS_PER_TABLE = 10;

/** Every user table's rows, as a reader gives them back. */
export async function readTables(reader: WarehouseReader): Promise<TableRows[]> {
  const out: TableRows[] = [];
  for (const t of await reader.tables()) out.push({ table: t.table, primaryKey: t.primaryKey, rows: await reader.rows(t.table) });
  return out;
}

/** Every user table's rows by primary key, without _fivetran_synced, which differs between runs by design. */
export function snapshot(tables: TableRows[]): Rows {
  const rows: Rows = new Map();
  for (const t of tables) {
    const byKey = new Map<string, Record<string, unknown>>();
    for (const row of t.rows) {
      const { [SYNCED]: _synced, ...rest } = row;
      byKey.set(stringifyExact(t.primaryKey.map((c) => comparable(row[c]))), rest);
    }
    rows.set(t.table, byKey);
  }
  return rows;
}

/** A stored value as a difference shows it: bytes as base64 text; 64-bit integers stay exact (bigint beyond 2^53). */
const comparable = (v: unknown): unknown => (Buffer.isBuffer(v) ? `base64:${v.toString("base64")}` : v);
/** Equal values of the same kind: the text "1" is not the integer 1. */
const same = (a: unknown, b: unknown): boolean => (Buffer.isBuffer(a) ? Buffer.isBuffer(b) && a.equals(b) : a === b);
export const countRows = (rows: Rows): number => [...rows.values()].reduce((n, t) => n + t.size, 0);
const readableKey = (key: string): string => (parseJsonExact(key) as unknown[]).map((v) => (typeof v === "string" ? v : stringifyExact(v))).join(", ");

/** The cells, rows and state paths on which two baseline runs disagree. */
export class Unstable {
  readonly cells = new Set<string>();
  readonly rows = new Set<string>();
  readonly state = new Set<string>();

  constructor(a?: Snapshot, b?: Snapshot) {
    if (!a || !b) return;
    for (const d of diff(a, b, this, Infinity)) {
      if (d.table === "(state)") this.state.add(d.key);
      else if (d.column === "(row)") this.rows.add(`${d.table}\0${d.key}`);
      else this.cells.add(`${d.table}\0${d.key}\0${d.column}`);
    }
  }

  static none(): Unstable {
    return new Unstable();
  }

  get empty(): boolean {
    return this.cells.size + this.rows.size + this.state.size === 0;
  }

  describe(): string {
    const parts = [];
    if (this.rows.size) parts.push(`${this.rows.size} row(s) present in only one`);
    if (this.cells.size) parts.push(`${this.cells.size} value(s)`);
    if (this.state.size) parts.push(`the state at ${[...this.state].join(", ")}`);
    return parts.join(", ");
  }
}

export function diff(expected: Snapshot, got: Snapshot, unstable: Unstable, limit = MAX_DIFFS_PER_TABLE): Difference[] {
  const out: Difference[] = [];
  const tables = new Set([...expected.rows.keys(), ...got.rows.keys()]);
  for (const table of [...tables].sort()) {
    const e = expected.rows.get(table) ?? new Map();
    const g = got.rows.get(table) ?? new Map();
    let n = 0;
    const push = (d: Difference): boolean => {
      out.push(d);
      return ++n >= limit;
    };
    for (const key of [...new Set([...e.keys(), ...g.keys()])].sort()) {
      if (unstable.rows.has(`${table}\0${readableKey(key)}`)) continue;
      const a = e.get(key);
      const b = g.get(key);
      if (!a || !b) {
        if (push({ table, key: readableKey(key), column: "(row)", expected: a ? "present" : "absent", got: b ? "present" : "absent" })) break;
        continue;
      }
      let full = false;
      for (const column of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (unstable.cells.has(`${table}\0${readableKey(key)}\0${column}`) || same(a[column] ?? null, b[column] ?? null)) continue;
        if ((full = push({ table, key: readableKey(key), column, expected: comparable(a[column] ?? null), got: comparable(b[column] ?? null) }))) break;
      }
      if (full) break;
    }
  }
  for (const [at, a, b] of stateDiff(expected.state, got.state, "state")) {
    if (!unstable.state.has(at)) out.push({ table: "(state)", key: at, column: "", expected: a, got: b });
  }
  return out;
}

function* stateDiff(a: JsonValue | undefined, b: JsonValue | undefined, at: string): Generator<[string, JsonValue | undefined, JsonValue | undefined]> {
  const isObj = (v: unknown): v is Record<string, JsonValue> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) yield* stateDiff(a[k], b[k], `${at}.${k}`);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    yield [at, a, b];
  }
}

export function describeDiffs(d: Difference[]): string {
  const rows = new Set(d.filter((x) => x.table !== "(state)").map((x) => `${x.table}\0${x.key}`)).size;
  const state = d.some((x) => x.table === "(state)");
  return [rows ? `${rows} row(s)` : "", state ? "the state" : ""].filter(Boolean).join(" and ");
}
