import { parseJsonExact, stringifyExact } from "../util/exact.js";
import { formatBytes, isPlainObject, STATE_LIMIT_BYTES, StateValueError, type JsonValue, type StateObject } from "./state.js";

export type PathPart = string | number;

/** Reads `a.b[0]["odd.key"]`, the path syntax that error messages and diffs print; a leading `state.` is allowed. */
export function parsePath(text: string): PathPart[] {
  let rest = text.trim().replace(/^state(?=[.[])/, "");
  const parts: PathPart[] = [];
  const token = /^(?:\.?([^.[\]"\s]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  while (rest.length > 0) {
    const m = token.exec(rest);
    if (!m || (parts.length > 0 && m[1] !== undefined && !m[0].startsWith("."))) {
      throw new Error(`cannot read the path ${JSON.stringify(text)} at ${JSON.stringify(rest)}; write it like companies.acme.cursor, items[0] or ["odd.key"]`);
    }
    if (m[2] !== undefined && !Number.isSafeInteger(Number(m[2]))) {
      throw new Error(`the index [${m[2]}] in the path ${JSON.stringify(text)} is beyond any list a state can hold (at most 10 MB); to use ${m[2]} as a key, write ["${m[2]}"]`);
    }
    parts.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
    rest = rest.slice(m[0].length);
  }
  if (parts.length === 0) throw new Error("the path is empty");
  return parts;
}

export function formatPath(parts: PathPart[]): string {
  return parts
    .map((p, i) => (typeof p === "number" ? `[${p}]` : /^[A-Za-z_$][\w$-]*$/.test(p) ? (i === 0 ? p : `.${p}`) : `[${JSON.stringify(p)}]`))
    .join("");
}

/**
 * A key of the state's own: `__proto__`, `constructor` or `toString` name no value of a state
 * unless it holds them, and reading or writing them as plain properties would reach
 * Object.prototype (`state set __proto__.x 1` changed every object of the process, and no state).
 */
function ownValue(node: object, key: PathPart): JsonValue | undefined {
  return Object.hasOwn(node, key) ? (node as Record<string | number, JsonValue>)[key] : undefined;
}

function putOwn(node: object, key: PathPart, value: JsonValue): void {
  if (Array.isArray(node)) (node as JsonValue[])[key as number] = value;
  else Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Returns a copy of the state with the value at the path set, creating objects on the way. */
export function setAt(state: StateObject, parts: PathPart[], value: JsonValue): StateObject {
  checkGaps(state, parts);
  const copy = structuredClone(state);
  let node: JsonValue = copy;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i]!;
    listKey(node, parts, i);
    let next = ownValue(node as object, key);
    if (next === undefined || next === null || typeof next !== "object") {
      next = typeof parts[i + 1] === "number" ? [] : {};
      putOwn(node as object, key, next);
    }
    node = next;
  }
  const last = parts[parts.length - 1]!;
  listKey(node, parts, parts.length - 1);
  if (Array.isArray(node) && typeof last === "number") {
    // Setting items[5] of a shorter list fills the gap with null: JSON has no holes.
    while (node.length < last) node.push(null);
  }
  putOwn(node as object, last, value);
  return copy;
}

/** A named key on a list would be dropped by JSON without a word, so it is refused. */
function listKey(node: JsonValue, parts: PathPart[], i: number): void {
  const key = parts[i]!;
  if (!Array.isArray(node) || typeof key === "number") return;
  throw new StateValueError(
    `${formatPath(parts.slice(0, i))} is a list, which has no key ${JSON.stringify(key)}: JSON would drop it; use an index such as ${formatPath([...parts.slice(0, i), 0])}`,
  );
}

/** What JSON writes for each item that fills a list's gap: `null` and its comma. */
const NULL_BYTES = 5;

/**
 * Refuses, before anything is built, a path whose list indexes leave gaps that JSON would fill
 * with more nulls than a state may hold: `a[99999999999]` would otherwise make V8 build an
 * array it cannot hold, and `a[100000000]` one of 477 MB, only to refuse it afterwards.
 * The walk follows setAt: past what the state holds, a numeric key makes a list.
 */
function checkGaps(state: StateObject, parts: PathPart[]): void {
  let node: JsonValue = state;
  let made = false;
  let nulls = 0;
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i]!;
    let next: JsonValue | undefined;
    if (Array.isArray(node) && typeof key === "number") {
      nulls += Math.max(0, key - node.length);
      if (nulls * NULL_BYTES > STATE_LIMIT_BYTES) {
        const list = formatPath(parts.slice(0, i));
        const asKey = made ? `; to use ${key} as a key, write ${formatPath([...parts.slice(0, i), String(key), ...parts.slice(i + 1)])}` : "";
        const where = made ? `the new list ${list}` : `the list ${list} (${node.length.toLocaleString("en-US")} items)`;
        throw new StateValueError(
          `${formatPath(parts)} would fill ${where} with ${nulls.toLocaleString("en-US")} nulls before the value, as a JSON list has no gaps: ` +
            `at least ${formatBytes(nulls * NULL_BYTES)} serialised, over the state's limit of 10 MB. Use an index within the list${asKey}.`,
        );
      }
      next = node[key];
    } else if (node !== null && typeof node === "object" && !Array.isArray(node)) {
      next = ownValue(node, String(key));
    }
    made = next === undefined || next === null || typeof next !== "object";
    node = made ? (typeof parts[i + 1] === "number" ? [] : {}) : next!;
  }
}

/** Returns a copy without the value at the path, and whether there was one. */
export function unsetAt(state: StateObject, parts: PathPart[]): { state: StateObject; removed: boolean } {
  const copy = structuredClone(state);
  let node: JsonValue | undefined = copy;
  for (const key of parts.slice(0, -1)) {
    if (node === null || typeof node !== "object") return { state: copy, removed: false };
    node = ownValue(node, key);
  }
  const last = parts[parts.length - 1]!;
  if (node === null || typeof node !== "object" || !Object.hasOwn(node, last)) return { state: copy, removed: false };
  if (Array.isArray(node) && typeof last === "number") node.splice(last, 1);
  else delete (node as Record<string, JsonValue>)[last];
  return { state: copy, removed: true };
}

export interface StateChange {
  path: string;
  kind: "added" | "removed" | "changed";
  before?: JsonValue;
  after?: JsonValue;
}

/** A path-level diff: objects are compared key by key, anything else as a whole value. */
export function diffStates(a: JsonValue | undefined, b: JsonValue | undefined, parts: PathPart[] = []): StateChange[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffStates(a[k] as JsonValue | undefined, b[k] as JsonValue | undefined, [...parts, k]));
  }
  const path = formatPath(parts) || "(state)";
  if (a === undefined && b !== undefined) return [{ path, kind: "added", after: b }];
  if (b === undefined && a !== undefined) return [{ path, kind: "removed", before: a }];
  if (stringifyExact(a) !== stringifyExact(b)) return [{ path, kind: "changed", before: a, after: b }];
  return [];
}

/** A value typed on the command line: JSON if it parses (integers beyond 2^53 as exact bigints), else the text as a string. */
export function parseCliValue(text: string): JsonValue {
  try {
    return parseJsonExact(text) as JsonValue;
  } catch {
    return text;
  }
}
