import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/verify/random.js";
import { parseType, sqliteClass } from "../../src/normalize/types.js";
import { op } from "../../src/index.js";
import { runSync, SyncError } from "../../src/testing.js";
import { tempDir } from "../helpers.js";

// Widening must not depend on arrival order: the same rows, in any order, in one sync or split across several
// (with failures, uncheckpointed tails and rewound states that replay a prefix), give byte-identical tables.

type Rand = () => number;
type Row = Record<string, unknown>;

const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (rand: Rand, span: number): number => Math.floor((rand() - 0.5) * span);

/** Value kinds, each a generator; a column draws from a few of them. */
const KINDS = {
  bool: (r: Rand) => r() < 0.5,
  int: (r: Rand) => int(r, 2000),
  bigSafe: (r: Rand) => BigInt(int(r, 2000)),
  bigUnsafe: (r: Rand) => (r() < 0.5 ? -1n : 1n) * (2n ** 53n + BigInt(Math.floor(r() * 1000))),
  int64Max: () => 2n ** 63n - 1n,
  bigDecimal: (r: Rand) => 2n ** 70n + BigInt(Math.floor(r() * 1000)),
  bigGiant: (r: Rand) => 10n ** 40n + BigInt(Math.floor(r() * 1000)),
  frac: (r: Rand) => int(r, 2000) + 0.5,
  unsafeNumber: (r: Rand) => pick(r, [2 ** 60, 1e20, 1e21, -(2 ** 55)]),
  infinity: (r: Rand) => (r() < 0.5 ? Infinity : -Infinity),
  string: (r: Rand) => pick(r, ["x", "1", "2.5", "true", "", "é", "1e+21"]),
  date: (r: Rand) => new Date(Date.UTC(2024, 0, 1) + int(r, 2000) * 1000),
  bytes: (r: Rand) => (r() < 0.5 ? Buffer.from([Math.floor(r() * 256), 7]) : new Uint8Array([1, Math.floor(r() * 256)])),
  json: (r: Rand) => (r() < 0.5 ? { a: int(r, 10), b: ["x", 2n ** 64n] } : [1, "y", { d: new Date(0) }]),
  null: () => null,
} satisfies Record<string, (r: Rand) => unknown>;
type Kind = keyof typeof KINDS;

/** Columns that walk the lattice's paths: LONG/DOUBLE, the 2^53 rule, DECIMAL, and everything to STRING. */
const COLUMNS: Record<string, Kind[]> = {
  num: ["int", "frac", "unsafeNumber", "bigSafe", "infinity", "null"],
  exact: ["int", "bigUnsafe", "int64Max", "frac", "null"],
  dec: ["int", "bigUnsafe", "bigDecimal", "bigGiant", "null"],
  boolish: ["bool", "int", "null"],
  bin: ["bytes", "string", "null"],
  doc: ["json", "date", "string", "null"],
  any: Object.keys(KINDS) as Kind[],
};

/** A random table's rows: each column draws from one or two of its kinds, so some columns never widen. */
function genRows(rand: Rand, n: number): Row[] {
  const kindsOf = Object.fromEntries(
    Object.entries(COLUMNS).map(([col, kinds]) => [col, Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(rand, kinds))]),
  );
  return Array.from({ length: n }, () => Object.fromEntries(Object.entries(kindsOf).map(([col, kinds]) => [col, KINDS[pick(rand, kinds)](rand)])));
}

function shuffle<T>(rand: Rand, xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Every user table as text: its columns' logical and SQL types, and typeof() and quote() of every cell, by key. */
function dump(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const out: string[] = [];
    const tables = (db.prepare("SELECT DISTINCT table_name AS t FROM _connector_columns ORDER BY t").all() as { t: string }[]).map((r) => r.t);
    for (const t of tables) {
      const cols = db.prepare("SELECT column_name AS c, type, declared, primary_key AS pk FROM _connector_columns WHERE table_name = ? ORDER BY column_name").all(t) as {
        c: string;
        type: string;
        pk: number;
      }[];
      const sqlTypes = Object.fromEntries((db.prepare("SELECT name, type FROM pragma_table_info(?)").all(t) as { name: string; type: string }[]).map((r) => [r.name, r.type]));
      for (const c of cols) expect(sqlTypes[c.c], `${t}.${c.c} is ${c.type}`).toBe(sqliteClass(parseType(c.type).type));
      out.push(`table ${t}: ${cols.map((c) => `${c.c} ${c.type} (${sqlTypes[c.c]})${c.pk ? " pk" : ""}`).join(", ")}`);
      const names = [...cols.map((c) => c.c), "_fivetran_deleted"];
      const key = cols.filter((c) => c.pk).map((c) => `"${c.c}"`).join(", ");
      const cells = names.map((c) => `typeof("${c}") || ':' || quote("${c}")`).join(` || ' | ' || `);
      for (const r of db.prepare(`SELECT ${cells} AS line FROM "${t}" ORDER BY ${key}`).all() as { line: string }[]) out.push(r.line);
    }
    return out.join("\n");
  } finally {
    db.close();
  }
}

interface Step {
  /** Where the sync starts: the committed state, or an earlier one (a rewind, a state set, a lost state write). */
  from: number;
  /** The rows it emits, from `from`. */
  to: number;
  /** Indexes after which it checkpoints. */
  checkpoints: Set<number>;
  end: "checkpoint" | "no-checkpoint" | "fail";
}

/** A connector over `rows` (as `table`): its state is the index of the next row. */
function connector(table: string, rows: Row[], keyed: boolean, step: Step) {
  return {
    schema: () => (keyed ? [{ table, primary_key: ["id"] }] : []),
    update() {
      for (let i = step.from; i < step.to; i++) {
        op.upsert(table, { ...rows[i] });
        if (step.checkpoints.has(i + 1)) op.checkpoint({ i: i + 1 });
      }
      if (step.end === "checkpoint") op.checkpoint({ i: step.to });
      if (step.end === "fail") throw new Error("stopped on purpose");
    },
  };
}

/** Runs the steps against one warehouse file; returns the state each left, so the caller can plan the next. */
async function runStep(file: string, table: string, rows: Row[], keyed: boolean, step: Step): Promise<number> {
  try {
    const r = await runSync(connector(table, rows, keyed, step), { warehouse: file, state: { i: step.from } });
    r.close();
    return r.state.i as number;
  } catch (e) {
    if (!(e instanceof SyncError) || step.end !== "fail") throw e;
    e.result.close();
    return e.result.state.i as number;
  }
}

/** Syncs every row, in random steps: some end without a checkpoint, some fail, some start from a rewound state. */
async function syncInSteps(rand: Rand, file: string, table: string, rows: Row[], keyed: boolean): Promise<void> {
  let committed = 0;
  for (let n = 0; committed < rows.length; n++) {
    const last = n >= 6;
    // A replay: start from any earlier point, as `state rewind`, `state set` or a lost state write would.
    const from = !last && committed > 0 && rand() < 0.35 ? Math.floor(rand() * (committed + 1)) : committed;
    const to = last ? rows.length : from + 1 + Math.floor(rand() * (rows.length - from));
    const checkpoints = new Set(Array.from({ length: to - from }, (_, k) => from + k + 1).filter(() => rand() < 0.3));
    const end = last ? "checkpoint" : pick(rand, ["checkpoint", "checkpoint", "no-checkpoint", "fail"] as const);
    committed = await runStep(file, table, rows, keyed, { from, to, checkpoints, end });
  }
}

/**
 * A scratch folder in memory where there is one: every commit here is durable (synchronous = FULL), and the
 * hundreds of fsyncs on a disk would make this test slow without testing anything more.
 */
function scratchDir(): string {
  const previous = process.env.TMPDIR;
  if (fs.existsSync("/dev/shm")) process.env.TMPDIR = "/dev/shm";
  try {
    return tempDir();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
}

const SEED = 20261125;
const CASES = 24;
const ORDERS = 3;

describe("widening does not depend on arrival order (property, seeded)", () => {
  it(`keyed tables with an untyped key: ${CASES} random row sets, each in ${ORDERS} orders split across syncs, give byte-identical tables`, async () => {
    const dir = scratchDir();
    for (let c = 0; c < CASES; c++) {
      const rand = mulberry32(SEED + c);
      const rows = genRows(rand, 3 + Math.floor(rand() * 8)).map((r, i) => ({ id: i + 1, ...r }));
      const reference = path.join(dir, `ref-${c}.db`);
      await runStep(reference, "t", rows, true, { from: 0, to: rows.length, checkpoints: new Set(), end: "checkpoint" });
      const expected = dump(reference);
      expect(expected).toContain("id LONG (INTEGER) pk");
      for (let o = 0; o < ORDERS; o++) {
        const file = path.join(dir, `case-${c}-${o}.db`);
        await syncInSteps(rand, file, "t", shuffle(rand, rows), true);
        expect(dump(file), `seed ${SEED + c}, order ${o}`).toBe(expected);
      }
    }
  });

  it(`keyless tables: replaying random prefixes never duplicates a row, and any order gives the same table`, async () => {
    const dir = scratchDir();
    for (let c = 0; c < CASES; c++) {
      const rand = mulberry32(SEED * 7 + c);
      // Distinct rows carry a unique tag; some rows are sent twice, as copies.
      const distinct = genRows(rand, 2 + Math.floor(rand() * 6)).map((r, i) => ({ tag: `row ${i}`, ...r }));
      const rows = [...distinct, ...distinct.filter(() => rand() < 0.4).map((r) => ({ ...r }))];
      const reference = path.join(dir, `ref-${c}.db`);
      await runStep(reference, "log", rows, false, { from: 0, to: rows.length, checkpoints: new Set(), end: "checkpoint" });
      const expected = dump(reference);
      const db = new Database(reference, { readonly: true });
      expect(db.prepare('SELECT count(*) AS n, count(DISTINCT tag) AS tags FROM "log"').get()).toEqual({ n: distinct.length, tags: distinct.length });
      db.close();
      for (let o = 0; o < ORDERS; o++) {
        const file = path.join(dir, `case-${c}-${o}.db`);
        await syncInSteps(rand, file, "log", o === 0 ? rows : shuffle(rand, rows), false);
        expect(dump(file), `seed ${SEED * 7 + c}, order ${o}`).toBe(expected);
      }
    }
  });
});
