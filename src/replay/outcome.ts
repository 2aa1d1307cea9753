/**
 * The expected outcome beside a cassette (outcome.json): the start state, every
 * checkpoint's state, the final state and every table's rows sorted by key without
 * _fivetran_synced, one row per line so a pull request shows each changed row. Tables
 * over FULL_ROWS_LIMIT rows keep only their count and a hash.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../util/errors.js";
import { jsonErrorLocation } from "../util/json.js";
import type { Naming } from "../normalize/naming.js";
import type { JsonValue, StateObject } from "../state/state.js";
import type { WarehouseReader } from "../destinations/reader.js";
import type { Redactor } from "./redact.js";

export const OUTCOME_FILE = "outcome.json";
export const OUTCOME_VERSION = 1;
export const FULL_ROWS_LIMIT = 1000;
/** Rows of each kind (added, removed, changed) a report shows per table. */
export const SHOWN_ROWS = 10;

export type Row = Record<string, unknown>;

export interface TableOutcome {
  primaryKey: string[];
  count: number;
  /** Every row, when the table has at most FULL_ROWS_LIMIT. */
  rows?: Row[];
  /** sha256 of the rows, one JSON line each, when the table is larger. */
  hash?: string;
}

export interface Outcome {
  version: number;
  /** Set when the sync kept the source's names (--naming source); a replay must name tables the same way. */
  naming?: "source";
  startState: StateObject;
  checkpoints: StateObject[];
  state: StateObject;
  tables: Record<string, TableOutcome>;
}

/** A value as outcome.json holds it: the same for every destination, and as the first recordings (SQLite) wrote it. */
const plain = (column: string, v: unknown): unknown => {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `base64:${Buffer.from(v).toString("base64")}`;
  // The first recordings read integers beyond 2^53 as the nearest double; a recorded outcome keeps replaying equal.
  if (typeof v === "bigint") return Number(v);
  if (column === DELETED && typeof v === "boolean") return v ? 1 : 0;
  // JSON.stringify would write null, a missing value: a change to or from ±Infinity would replay equal.
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return v;
};

const DELETED = "_fivetran_deleted";

/** Reads the outcome of a finished sync from its warehouse, through any destination's reader; secrets in rows and states become [REDACTED]. */
export async function snapshotOutcome(
  reader: WarehouseReader,
  run: { startState: StateObject; checkpoints: StateObject[]; state: StateObject; naming: Naming },
  redactor: Redactor,
): Promise<Outcome> {
  const clean = <T>(v: T): T => JSON.parse(redactor.text(JSON.stringify(v))) as T;
  const tables: Record<string, TableOutcome> = {};
  for (const t of (await reader.tables()).sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0))) {
    const all = await reader.rows(t.table);
    const count = all.length;
    const hash = createHash("sha256");
    const rows: Row[] = [];
    // Keys first, then the data columns in the warehouse's order, then _fivetran_deleted: the same for every row.
    const columns = [...t.primaryKey, ...t.columns.filter((c) => !c.primaryKey).map((c) => c.name), DELETED];
    for (const raw of all) {
      const row: Row = {};
      for (const k of columns) row[k] = plain(k, raw[k]);
      const line = redactor.text(JSON.stringify(row));
      hash.update(line + "\n");
      if (count <= FULL_ROWS_LIMIT) rows.push(JSON.parse(line) as Row);
    }
    tables[t.table] = { primaryKey: t.primaryKey, count, ...(count <= FULL_ROWS_LIMIT ? { rows } : { hash: `sha256:${hash.digest("hex")}` }) };
  }
  return {
    version: OUTCOME_VERSION,
    ...(run.naming === "source" ? { naming: "source" as const } : {}),
    startState: clean(run.startState),
    checkpoints: clean(run.checkpoints),
    state: clean(run.state),
    tables,
  };
}

/** JSON with one row and one checkpoint per line. */
export function formatOutcome(o: Outcome): string {
  const one = (v: unknown): string => JSON.stringify(v);
  const list = (items: unknown[], indent: string): string => (items.length ? `[\n${items.map((x) => indent + "  " + one(x)).join(",\n")}\n${indent}]` : "[]");
  const tables = Object.entries(o.tables).map(([name, t]) => {
    const fields = [`      "primaryKey": ${one(t.primaryKey)}`, `      "count": ${t.count}`];
    if (t.rows) fields.push(`      "rows": ${list(t.rows, "      ")}`);
    if (t.hash) fields.push(`      "hash": ${one(t.hash)}`);
    return `    ${one(name)}: {\n${fields.join(",\n")}\n    }`;
  });
  return [
    "{",
    `  "version": ${o.version},`,
    ...(o.naming ? [`  "naming": ${one(o.naming)},`] : []),
    `  "startState": ${one(o.startState)},`,
    `  "checkpoints": ${list(o.checkpoints, "  ")},`,
    `  "state": ${one(o.state)},`,
    `  "tables": ${tables.length ? `{\n${tables.join(",\n")}\n  }` : "{}"}`,
    "}",
    "",
  ].join("\n");
}

export function writeOutcome(dir: string, o: Outcome): void {
  fs.writeFileSync(path.join(dir, OUTCOME_FILE), formatOutcome(o));
}

/** The recorded outcome, or undefined when the cassette has none yet. */
export function readOutcome(dir: string): Outcome | undefined {
  const file = path.join(dir, OUTCOME_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new UsageError(`Cannot read ${file}: ${(e as Error).message}`);
  }
  let o: Outcome;
  try {
    o = JSON.parse(text) as Outcome;
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${jsonErrorLocation(text, e as Error)}). Write it again with \`connector test --update\`.`);
  }
  if (!o || typeof o !== "object" || typeof o.version !== "number" || !o.tables || typeof o.tables !== "object" || !Array.isArray(o.checkpoints)) {
    throw new UsageError(`${file} is not an expected outcome (it needs "version", "checkpoints", "state" and "tables"). Write it again with \`connector test --update\`.`);
  }
  if (o.version > OUTCOME_VERSION) throw new UsageError(`${file} has format version ${o.version}, newer than this connector-sdk reads (${OUTCOME_VERSION}). Upgrade connector-sdk.`);
  return { ...o, startState: o.startState ?? {}, state: o.state ?? {} };
}

export interface ChangedRow {
  key: string;
  columns: Record<string, { expected: unknown; got: unknown }>;
}

export interface TableRegression {
  table: string;
  expectedCount: number;
  gotCount: number;
  added: number;
  removed: number;
  changed: number;
  /** The first SHOWN_ROWS of each kind. */
  addedRows: Row[];
  removedRows: Row[];
  changedRows: ChangedRow[];
  /** Set when the recording keeps only a hash of this table, so the rows that differ cannot be named. */
  hashOnly?: boolean;
}

export interface StateDifference {
  path: string;
  expected: JsonValue | undefined;
  got: JsonValue | undefined;
}

export interface Regression {
  passed: boolean;
  tables: TableRegression[];
  state: StateDifference[];
  checkpoints?: { expected: number; got: number; firstDifferent?: number; expectedState?: StateObject; gotState?: StateObject };
}

/** A readable key: "id=3", or "org=acme, id=3". */
export function keyOf(row: Row, pk: string[]): string {
  return pk.map((c) => `${c}=${typeof row[c] === "string" ? (row[c] as string) : JSON.stringify(row[c] ?? null)}`).join(", ");
}

function compareTable(name: string, e: TableOutcome | undefined, g: TableOutcome | undefined): TableRegression | undefined {
  const pk = e?.primaryKey ?? g?.primaryKey ?? [];
  const base: TableRegression = { table: name, expectedCount: e?.count ?? 0, gotCount: g?.count ?? 0, added: 0, removed: 0, changed: 0, addedRows: [], removedRows: [], changedRows: [] };
  if (e?.hash !== undefined || g?.hash !== undefined) {
    const same = e?.count === g?.count && e?.hash !== undefined && e.hash === g?.hash;
    return same ? undefined : { ...base, hashOnly: true };
  }
  const expected = new Map((e?.rows ?? []).map((r) => [keyOf(r, pk), r]));
  const got = new Map((g?.rows ?? []).map((r) => [keyOf(r, pk), r]));
  for (const [key, row] of got) {
    if (!expected.has(key)) {
      base.added++;
      if (base.addedRows.length < SHOWN_ROWS) base.addedRows.push(row);
    }
  }
  for (const [key, row] of expected) {
    const other = got.get(key);
    if (!other) {
      base.removed++;
      if (base.removedRows.length < SHOWN_ROWS) base.removedRows.push(row);
      continue;
    }
    const columns: ChangedRow["columns"] = {};
    for (const c of new Set([...Object.keys(row), ...Object.keys(other)])) {
      if (JSON.stringify(row[c] ?? null) !== JSON.stringify(other[c] ?? null)) columns[c] = { expected: row[c] ?? null, got: other[c] ?? null };
    }
    if (Object.keys(columns).length) {
      base.changed++;
      if (base.changedRows.length < SHOWN_ROWS) base.changedRows.push({ key, columns });
    }
  }
  return base.added + base.removed + base.changed > 0 || base.expectedCount !== base.gotCount ? base : undefined;
}

function* stateDiff(a: JsonValue | undefined, b: JsonValue | undefined, at: string): Generator<StateDifference> {
  const isObj = (v: unknown): v is Record<string, JsonValue> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) yield* stateDiff(a[k], b[k], `${at}.${k}`);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    yield { path: at, expected: a, got: b };
  }
}

/** What changed from the recorded outcome to the replayed one. */
export function compareOutcomes(expected: Outcome, got: Outcome): Regression {
  const tables: TableRegression[] = [];
  for (const name of [...new Set([...Object.keys(expected.tables), ...Object.keys(got.tables)])].sort()) {
    const t = compareTable(name, expected.tables[name], got.tables[name]);
    if (t) tables.push(t);
  }
  const state = [...stateDiff(expected.state, got.state, "state")];
  let checkpoints: Regression["checkpoints"];
  const n = Math.max(expected.checkpoints.length, got.checkpoints.length);
  for (let i = 0; i < n; i++) {
    if (JSON.stringify(expected.checkpoints[i]) !== JSON.stringify(got.checkpoints[i])) {
      checkpoints = { expected: expected.checkpoints.length, got: got.checkpoints.length, firstDifferent: i + 1, expectedState: expected.checkpoints[i], gotState: got.checkpoints[i] };
      break;
    }
  }
  return { passed: tables.length === 0 && state.length === 0 && !checkpoints, tables, state, ...(checkpoints ? { checkpoints } : {}) };
}
