import { shellArg } from "../util/shell.js";
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../util/errors.js";
import { describe, isPlainObject } from "../util/describe.js";
import { decodeTextFile, jsonErrorLocation, NOT_TEXT } from "../util/json.js";
import { stringifyExact } from "../util/exact.js";

/** A value JSON can hold exactly: what a checkpoint state is made of. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A checkpoint state: a JSON object. */
export { isPlainObject };

export type StateObject = { [key: string]: JsonValue };

export const STATE_LIMIT_BYTES = 10 * 1024 * 1024;
export const STATE_WARN_BYTES = 1024 * 1024;
/** Deeper than this, a state is no cursor; and far deeper ones overflow the stack when copied to the sync's thread. */
export const MAX_STATE_DEPTH = 1000;

export class StateValueError extends Error {}

function pathOf(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * Checks that a checkpoint state is plain JSON and serialises it. Anything JSON.stringify
 * would drop or mangle (undefined, functions, BigInt, NaN, cycles, class instances) is an
 * error naming its path, so a state never silently loses a key.
 */
// DuckDB's JSON reader refuses a lone surrogate's \uD800 escape where SQLite and PostgreSQL keep it, so one
// state would commit on some destinations only: every destination refuses it here instead.
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
const loneSurrogate = "holds a lone UTF-16 surrogate, which UTF-8 cannot encode; send value.toWellFormed() or drop the stray half";

export function serializeState(state: unknown, options: { bigints?: boolean } = {}): string {
  if (!isPlainObject(state)) throw new StateValueError(`the state must be a plain JSON object, got ${describe(state)}`);
  const seen = new Set<object>();
  const walk = (value: unknown, at: string, depth: number): void => {
    switch (typeof value) {
      case "string":
        if (!wellFormed(value)) throw new StateValueError(`${at} ${loneSurrogate}`);
        return;
      case "boolean":
        return;
      case "number":
        if (!Number.isFinite(value)) throw new StateValueError(`${at} is ${value}, which JSON cannot hold`);
        return;
      case "undefined":
        throw new StateValueError(`${at} is undefined, which JSON would silently drop; use null or remove the key`);
      case "bigint":
        // The state commands keep an exact integer that a state file already holds (see parseJsonExact).
        if (options.bigints) return;
        throw new StateValueError(`${at} is a BigInt (${value}n), which JSON cannot hold; store it as a string`);
      case "function":
        throw new StateValueError(`${at} is a function, which JSON cannot hold`);
      case "symbol":
        throw new StateValueError(`${at} is a symbol, which JSON cannot hold`);
    }
    if (value === null) return;
    const obj = value as object;
    if (seen.has(obj)) throw new StateValueError(`${at} refers back to one of its parents (a cycle)`);
    if (depth > MAX_STATE_DEPTH) throw new StateValueError(`${tooDeep()} (at ${at.length > 80 ? at.slice(0, 80) + "…" : at})`);
    seen.add(obj);
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) walk(obj[i], pathOf(at, i), depth + 1);
    } else if (isPlainObject(obj)) {
      for (const [k, v] of Object.entries(obj)) {
        if (!wellFormed(k)) throw new StateValueError(`a key of ${at} ${loneSurrogate}`);
        walk(v, pathOf(at, k), depth + 1);
      }
    } else {
      const hint = obj instanceof Date ? "; store value.toISOString()" : "";
      throw new StateValueError(`${at} is ${describe(obj)}, not plain JSON${hint}`);
    }
    seen.delete(obj);
  };
  walk(state, "state", 1);
  const text = options.bigints ? stringifyExact(state) : JSON.stringify(state);
  const bytes = Buffer.byteLength(text);
  if (bytes > STATE_LIMIT_BYTES) {
    throw new StateValueError(`the state is ${formatBytes(bytes)} serialised, over the 10 MB limit; keep cursors, not lists of processed IDs`);
  }
  return text;
}

// Made when needed: the first toLocaleString() of a process sets up ICU number formatting (tens of ms at startup).
const tooDeep = (): string => `the state is nested more than ${MAX_STATE_DEPTH.toLocaleString("en-US")} levels deep; a state holds cursors, not trees`;

/** How deep objects and arrays nest, counted without recursion, so that any parsed JSON can be measured. */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(v)) if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
  }
  return deepest;
}

/** A deep copy of a JSON state; the original if it holds something structuredClone refuses. */
export function copyState(state: StateObject): StateObject {
  try {
    return structuredClone(state);
  } catch {
    return state;
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}

export interface StateSource {
  file: string;
  /** Named by --state or CONNECTOR_STATE: then a missing file is an error, not a first run. */
  explicit: boolean;
}

/**
 * Reads a state file. A missing default file is a first run ({}); anything unusable is a UsageError that names the
 * file. `resetHint` is the command that starts over; null for a file that is only input (`state set --file`), which
 * is fixed and given again, never reason to reset.
 */
export function readStateFile(source: StateSource, resetHint: string | null, parse: (text: string) => unknown = JSON.parse): StateObject {
  const label = resetHint === null ? source.file : `State file ${source.file}`;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(source.file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !source.explicit) return {};
    if (code === "ENOENT" && resetHint === null) throw new UsageError(`File not found: ${source.file}`);
    // A mistyped path must not start a full sync from {}; an empty state is asked for by creating the file.
    if (code === "ENOENT") throw new UsageError(`State file not found: ${source.file}. A state file you name must exist; to start from an empty state, create it holding {}: echo '{}' > ${shellArg(source.file)}`);
    throw new UsageError(`Cannot read ${resetHint === null ? "" : "state file "}${source.file}: ${(e as Error).message}`);
  }
  // Windows editors save a byte-order mark, and PowerShell UTF-16; JSON.parse would call either an invisible "Unexpected token".
  const text = decodeTextFile(bytes);
  const fix = resetHint === null ? "Fix it, then run the command again." : `Fix the file, or start over with \`${resetHint}\`.`;
  if (text === undefined) throw new UsageError(`${label} ${NOT_TEXT}. ${fix}`);
  if (text.trim() === "") throw new UsageError(`${label} is empty; it must hold a JSON object. ${fix}`);
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (e) {
    throw new UsageError(`${label} is not valid JSON (${jsonErrorLocation(text, e as Error)}). ${fix}`);
  }
  if (!isPlainObject(parsed)) {
    throw new UsageError(`${label} must hold a JSON object, found ${Array.isArray(parsed) ? "an array" : describe(parsed)}. ${fix}`);
  }
  if (nestingDepth(parsed) > MAX_STATE_DEPTH) throw new UsageError(`${label}: ${tooDeep()}. ${fix}`);
  const infinite = nonFinite(parsed);
  if (infinite) {
    throw new UsageError(`${label}: ${infinite} is a number beyond the largest double (about ±1.8e308), which JavaScript reads as Infinity and no checkpoint can hold. Store it as a string. ${fix}`);
  }
  return parsed as StateObject;
}

/** The path of the first number JSON.parse read as ±Infinity (`1e400`), without recursion; undefined when there is none. */
function nonFinite(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, "state"]];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === "number" && !Number.isFinite(v)) return at;
    if (v === null || typeof v !== "object") continue;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, `${at}[${i}]`]));
    else for (const [k, x] of Object.entries(v)) stack.push([x, /^[A-Za-z_$][\w$]*$/.test(k) ? `${at}.${k}` : `${at}[${JSON.stringify(k)}]`]);
  }
  return undefined;
}

/**
 * Replaces a file atomically and durably: temp file in the same folder, fsync, rename, fsync the folder.
 * A symlink is written through: its target is replaced, in the target's folder, and the link stays.
 * `mode` sets the file's permissions (a file that may hold credentials: 0o600).
 */
export function writeFileAtomic(given: string, text: string, mode?: number): void {
  const file = throughLinks(given);
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, "w", mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    fs.mkdirSync(dir, { recursive: true });
    fd = fs.openSync(tmp, "w", mode);
  }
  try {
    // A temp file left by a crash keeps its old mode: set it.
    if (mode !== undefined) fs.fchmodSync(fd, mode);
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dfd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
  if (!swept.has(file)) {
    swept.add(file);
    for (const left of leftoverTempFiles(file)) fs.rmSync(left, { force: true });
  }
}

/** The files whose leftover temp files this process has already removed: once is enough. */
const swept = new Set<string>();
/** A temp file this old is no write in progress, whichever process it names. */
const STALE_TEMP_MS = 10 * 60_000;

/**
 * The temp files of writeFileAtomic for this file that a process left when it was killed between
 * writing and renaming (`.state.json.<pid>.tmp`): those of a process that is gone, or old ones; with
 * `all`, those of any other process (the caller holds the project lock, so none is writing).
 */
export function leftoverTempFiles(given: string, all = false): string[] {
  const file = throughLinks(given);
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    const pid = name.startsWith(prefix) && name.endsWith(".tmp") ? name.slice(prefix.length, -4) : "";
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const at = path.join(dir, name);
    if (all || !isAlive(Number(pid)) || isOlderThan(at, STALE_TEMP_MS)) out.push(at);
  }
  return out;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isOlderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

/** Where a chain of symlinks ends; the end itself may not exist yet. */
function throughLinks(file: string): string {
  let at = file;
  for (let hops = 0; hops < 40; hops++) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(at);
    } catch {
      return at;
    }
    if (!stat.isSymbolicLink()) return at;
    at = path.resolve(path.dirname(at), fs.readlinkSync(at));
  }
  throw new Error(`${file} is a loop of symbolic links`);
}

/** Writes a state that serializeState has accepted, pretty-printed because people read and edit it. */
export function writeStateFile(file: string, state: StateObject): void {
  let text: string;
  try {
    text = JSON.stringify(state, null, 2);
  } catch {
    // Only the state commands pass bigints: integers a state file held beyond 2^53, kept digit for digit.
    text = stringifyExact(state, 2);
  }
  writeFileAtomic(file, text + "\n");
}
