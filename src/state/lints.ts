import { isPlainObject, type JsonValue, type StateObject } from "./state.js";

export const OPS_WITHOUT_CHECKPOINT = 100_000;
const GROWTH_CHECKPOINTS = 5;
const CURSOR_KEY = /cursor|since|updated|modified|created|offset|last|page|position|lsn|seq|version|watermark|(^|_)(id|at|ts|time)$/i;
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}/;

export interface Lint {
  /** Identifies the finding, so it is reported once per run. */
  key: string;
  message: string;
}

/**
 * The state-management mistakes that leave no error behind, found by watching the
 * checkpoints of one run: a dropped key, a cursor going backwards, a state that grows
 * with the data. Each rule is narrow on purpose: a warning on a correct connector
 * teaches its author to ignore warnings.
 */
export class StateLints {
  private previous: StateObject;
  private weights: number[] = [];
  private entries: number[] = [];
  private opsSince: number[] = [];

  constructor(private readonly start: StateObject) {
    this.previous = start;
  }

  checkpoint(seq: number, state: StateObject, bytes: number, operations: number): Lint[] {
    const found: Lint[] = [];
    for (const key of Object.keys(this.start)) {
      if (!(key in state)) {
        found.push({
          key: `dropped:${key}`,
          message: `checkpoint ${seq} dropped the state key "${key}" that the sync started with; the next sync will not see it and may start that part over.`,
        });
      }
    }
    for (const [path, before, after] of backwardsCursors(this.previous, state, "")) {
      found.push({
        key: `backwards:${path}`,
        message: `the cursor ${path} moved backwards at checkpoint ${seq}: ${JSON.stringify(before)} → ${JSON.stringify(after)}. The next sync will fetch data it already has, or the cursor tracks the wrong record.`,
      });
    }
    // Only the last few checkpoints are kept: memory stays flat however long the sync.
    const measured = measure(state, "");
    this.weights.push(bytes - measured.cursorBytes);
    this.entries.push(measured.entries);
    this.opsSince.push(operations);
    if (this.weights.length > GROWTH_CHECKPOINTS + 1) {
      this.weights.shift();
      this.entries.shift();
      this.opsSince.shift();
    }
    if (this.weights.length > GROWTH_CHECKPOINTS) {
      const recent = this.weights;
      const growing = recent.every((s, i) => i === 0 || s > recent[i - 1]!);
      const grown = recent[recent.length - 1]! - recent[0]!;
      const ops = this.opsSince.slice(1).reduce((a, b) => a + b, 0);
      // A list of processed ids gains about an entry per operation; a map of per-entity cursors
      // gains one per entity, whose rows take several operations. Fewer than one entry for every
      // two operations is such a map, whatever its values look like (counts, epoch seconds, tokens).
      const added = this.entries[this.entries.length - 1]! - this.entries[0]!;
      if (growing && ops > 0 && grown >= 2 * ops && 2 * added >= ops) {
        found.push({
          key: "growth",
          message: `the state grew at each of the last ${GROWTH_CHECKPOINTS} checkpoints, by ${(grown / ops).toFixed(1)} bytes per operation (now ${bytes} bytes). A state that lists processed records grows with the data until it hits the 10 MB limit; keep a cursor instead.`,
        });
      }
    }
    this.previous = state;
    return found;
  }
}

const isScalar = (v: JsonValue | undefined): v is string | number | boolean | null => v === null || (typeof v !== "object" && v !== undefined);

/**
 * The cursor-like values that moved backwards between two states, object by object. The
 * values of one object are read as one position: a backwards step is reported only when
 * nothing else in that object changed, except other cursors that stepped back too. So the
 * id of a compound { updated_at, id } cursor may fall back when its timestamp advances,
 * and an offset may restart when a { table, offset } pair moves on to the next table.
 */
function* backwardsCursors(a: JsonValue, b: JsonValue, path: string): Generator<[string, JsonValue, JsonValue]> {
  if (!isPlainObject(a) || !isPlainObject(b)) return;
  const before = a as StateObject;
  const after = b as StateObject;
  const own = (o: StateObject, key: string): JsonValue | undefined => (Object.hasOwn(o, key) ? o[key] : undefined);
  let changed = 0;
  const back: string[] = [];
  const compare = (key: string, x: JsonValue | undefined, y: JsonValue | undefined): void => {
    if (x === y) return;
    // Objects are compared inside; a list is no part of a position, and comparing one would cost as much as the state.
    if ((isPlainObject(x) && isPlainObject(y)) || (Array.isArray(x) && Array.isArray(y))) return;
    changed++;
    if (x !== undefined && y !== undefined && CURSOR_KEY.test(key) && movedBackwards(x, y)) back.push(key);
  };
  for (const key of Object.keys(after)) compare(key, own(before, key), after[key]);
  for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) compare(key, before[key], undefined);
  if (back.length > 0 && back.length === changed) {
    for (const key of back) yield [path ? `${path}.${key}` : key, before[key]!, after[key]!];
  }
  for (const key of Object.keys(after)) {
    const x = own(before, key);
    const y = after[key];
    if (isPlainObject(x) && isPlainObject(y)) yield* backwardsCursors(x, y, path ? `${path}.${key}` : key);
  }
}

function movedBackwards(before: JsonValue, after: JsonValue): boolean {
  if (typeof before === "number" && typeof after === "number") return after < before;
  if (typeof before === "string" && typeof after === "string" && DATE_LIKE.test(before) && DATE_LIKE.test(after)) {
    const x = Date.parse(before);
    const y = Date.parse(after);
    return !Number.isNaN(x) && !Number.isNaN(y) && y < x;
  }
  return false;
}

/**
 * Two measures of a state for the growth lint, in one walk. `cursorBytes`: the bytes of its
 * cursor entries, which the lint leaves out, as a map of per-entity cursors grows with the
 * number of entities (companies, accounts, endpoints), which is bounded, not with the rows;
 * lists, and maps of anything else ({ "id-1": true, … }), count in full. `entries`: every
 * key of every object and every item of every list (a list is counted, not walked).
 */
function measure(v: JsonValue, key: string): { cursorBytes: number; entries: number } {
  if (Array.isArray(v)) return { cursorBytes: 0, entries: v.length };
  if (!isPlainObject(v)) return { cursorBytes: 0, entries: 0 };
  const underCursorName = CURSOR_KEY.test(key);
  let cursorBytes = 0;
  let entries = 0;
  for (const k of Object.keys(v)) {
    const e = v[k] as JsonValue;
    const inner = measure(e, k);
    entries += 1 + inner.entries;
    if (isCursorEntry(e, underCursorName)) cursorBytes += Buffer.byteLength(JSON.stringify(k)) + Buffer.byteLength(JSON.stringify(e)) + 2;
    else cursorBytes += inner.cursorBytes;
  }
  return { cursorBytes, entries };
}

/**
 * A value that is a cursor, as an entry of an object: a timestamp, a compound cursor such
 * as { updated_at, id } (flat, at most 4 keys, one of them cursor-like; a whole record is
 * not a cursor), or, in an object under a cursor-like name such as "offsets" or
 * "next_page", any number or string.
 */
function isCursorEntry(v: JsonValue, underCursorName: boolean): boolean {
  if (typeof v === "string") return underCursorName || DATE_LIKE.test(v);
  if (typeof v === "number") return underCursorName;
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    return keys.length <= 4 && keys.some((k) => CURSOR_KEY.test(k)) && Object.values(v).every(isScalar);
  }
  return false;
}
