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
 * with the data.
 */
export class StateLints {
  private previous: StateObject;
  private sizes: number[] = [];
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
    for (const [path, before, after] of cursorPairs(this.previous, state, "")) {
      if (movedBackwards(before, after)) {
        found.push({
          key: `backwards:${path}`,
          message: `the cursor ${path} moved backwards at checkpoint ${seq}: ${JSON.stringify(before)} → ${JSON.stringify(after)}. The next sync will fetch data it already has, or the cursor tracks the wrong record.`,
        });
      }
    }
    this.sizes.push(bytes);
    this.opsSince.push(operations);
    const n = this.sizes.length;
    if (n > GROWTH_CHECKPOINTS) {
      const recent = this.sizes.slice(-GROWTH_CHECKPOINTS - 1);
      const growing = recent.every((s, i) => i === 0 || s > recent[i - 1]!);
      const grown = recent[recent.length - 1]! - recent[0]!;
      const ops = this.opsSince.slice(-GROWTH_CHECKPOINTS).reduce((a, b) => a + b, 0);
      if (growing && ops > 0 && grown >= 2 * ops) {
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

function* cursorPairs(a: JsonValue, b: JsonValue, path: string): Generator<[string, JsonValue, JsonValue]> {
  if (!isPlainObject(a) || !isPlainObject(b)) return;
  for (const [key, after] of Object.entries(b)) {
    if (!(key in a)) continue;
    const before = (a as StateObject)[key]!;
    const at = path ? `${path}.${key}` : key;
    if (isPlainObject(after)) yield* cursorPairs(before, after, at);
    else if (CURSOR_KEY.test(key)) yield [at, before, after];
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
