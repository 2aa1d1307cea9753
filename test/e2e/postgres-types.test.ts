import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/verify/random.js";
import { op, type ColumnType } from "../../src/index.js";
import { ROOT, tempDir } from "../helpers.js";
import { freshSchema, usePostgres } from "../support/use-postgres.js";

// Types and widening in PostgreSQL follow the SQLite destination's rules: the same rows, sent
// through the real engine into SQLite and into PostgreSQL, read back through each
// destination's reader, give the same logical types and the same canonical values. The
// PostgreSQL destination runs in a writer thread, so the built package (dist/) is used.

const pg = usePostgres("postgres_types");
type Dist = {
  open: typeof import("../../src/destinations/open.js");
  sync: typeof import("../../src/sync/run-sync.js");
};
const dist = async (): Promise<Dist> => ({
  open: await import(pathToFileURL(path.join(ROOT, "dist/destinations/open.js")).href),
  sync: await import(pathToFileURL(path.join(ROOT, "dist/sync/run-sync.js")).href),
});

type Rand = () => number;
type Row = Record<string, unknown>;
type Spec = Parameters<Dist["open"]["createDestination"]>[0];
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (rand: Rand, span: number): number => Math.floor((rand() - 0.5) * span);

/** The value kinds of widening.property.test.ts: each column draws from a few. */
const KINDS = {
  bool: (r: Rand) => r() < 0.5,
  int: (r: Rand) => int(r, 2000),
  bigSafe: (r: Rand) => BigInt(int(r, 2000)),
  bigUnsafe: (r: Rand) => (r() < 0.5 ? -1n : 1n) * (2n ** 53n + BigInt(Math.floor(r() * 1000))),
  int64Max: () => 2n ** 63n - 1n,
  bigDecimal: (r: Rand) => 2n ** 70n + BigInt(Math.floor(r() * 1000)),
  frac: (r: Rand) => int(r, 2000) + 0.5,
  unsafeNumber: (r: Rand) => pick(r, [2 ** 60, 1e20, 1e21, -(2 ** 55)]),
  infinity: (r: Rand) => (r() < 0.5 ? Infinity : -Infinity),
  string: (r: Rand) => pick(r, ["x", "1", "2.5", "true", "", "é", "1e+21", "tab\there", "back\\slash", "line\nbreak"]),
  date: (r: Rand) => new Date(Date.UTC(2024, 0, 1) + int(r, 2000) * 1000),
  bytes: (r: Rand) => Buffer.from([Math.floor(r() * 256), 7]),
  json: (r: Rand) => (r() < 0.5 ? { a: int(r, 10), b: ["x", 2.5] } : [1, "y", { d: new Date(0) }]),
  null: () => null,
} satisfies Record<string, (r: Rand) => unknown>;
type Kind = keyof typeof KINDS;
const COLUMNS: Record<string, Kind[]> = {
  num: ["int", "frac", "unsafeNumber", "bigSafe", "infinity", "null"],
  exact: ["int", "bigUnsafe", "int64Max", "frac", "null"],
  dec: ["int", "bigUnsafe", "bigDecimal", "null"],
  boolish: ["bool", "int", "null"],
  bin: ["bytes", "string", "null"],
  doc: ["json", "date", "string", "null"],
  any: Object.keys(KINDS) as Kind[],
};

function genRows(rand: Rand, n: number): Row[] {
  const kindsOf = Object.fromEntries(Object.entries(COLUMNS).map(([col, kinds]) => [col, Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(rand, kinds))]));
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, ...Object.fromEntries(Object.entries(kindsOf).map(([col, kinds]) => [col, KINDS[pick(rand, kinds)](rand)])) }));
}

/** Syncs the rows in `batches` (one sync each, the state counting rows), into one destination. */
async function syncInto(d: Dist, spec: Spec, rows: Row[], batches: number[], declared: Record<string, string> = {}): Promise<void> {
  let from = 0;
  for (const to of batches) {
    const start = from;
    const r = await d.sync.runConnectorSync({
      definition: {
        schema: () => [{ table: "t", primary_key: ["id"], columns: declared as Record<string, ColumnType> }],
        update() {
          for (let i = start; i < to; i++) op.upsert("t", { ...rows[i] });
          op.checkpoint({ i: to });
        },
      },
      state: {},
      destination: d.open.createDestination(spec),
      shared: true,
    });
    expect(r.status, r.error?.message).toBe("succeeded");
    from = to;
  }
}

/** Logical types and every row without _fivetran_synced, by key, as the destination's reader gives them. */
async function contents(d: Dist, spec: Spec): Promise<{ types: Record<string, string | null>; rows: Record<string, unknown>[] }> {
  const reader = await d.open.openReader(spec);
  try {
    const [t] = await reader.tables();
    const types = Object.fromEntries(t!.columns.map((c) => [c.name, c.type]));
    const rows = (await reader.rows("t")).map(({ _fivetran_synced: _s, ...rest }) => Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, Buffer.isBuffer(v) ? `bytes:${v.toString("hex")}` : v])));
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    return { types, rows };
  } finally {
    await reader.close();
  }
}

const SEED = 20261127;
const CASES = 8;

describe("PostgreSQL stores what SQLite stores (property, seeded)", () => {
  it(`${CASES} random row sets, each split across syncs so that columns widen between and within them, give the same types and values in both`, async () => {
    const d = await dist();
    const dir = tempDir();
    for (let c = 0; c < CASES; c++) {
      const rand = mulberry32(SEED + c);
      const rows = genRows(rand, 4 + Math.floor(rand() * 8));
      const cut = 1 + Math.floor(rand() * (rows.length - 1));
      const batches = [cut, rows.length];
      const sqlite: Spec = { kind: "sqlite", file: path.join(dir, `case-${c}.db`) };
      const postgres: Spec = { kind: "postgres", connection: { host: pg().host, port: pg().port, database: pg().database, user: pg().user, password: pg().password }, schema: freshSchema("w"), connector: "w" };
      await syncInto(d, sqlite, rows, batches);
      await syncInto(d, postgres, rows, batches);
      const expected = await contents(d, sqlite);
      expect(Object.values(expected.types).some((t) => t === "STRING"), `seed ${SEED + c} widens something to STRING`).toBe(true);
      expect(await contents(d, postgres), `seed ${SEED + c}`).toEqual(expected);
    }
  }, 180_000);

  it("declared type changes convert the stored rows as SQLite does: INT to LONG, FLOAT to DOUBLE, DECIMAL(10,2) to DECIMAL(12,4), BINARY and BOOLEAN to STRING", async () => {
    const d = await dist();
    const dir = tempDir();
    const rows: Row[] = [
      { id: 1, i: 7, f: 0.1, dec: "12.5", bin: Buffer.from([1, 2, 255]), flag: true, when: "2024-02-29T12:00:00Z" },
      { id: 2, i: -3, f: 1e30, dec: "-0.01", bin: Buffer.from([]), flag: false, when: "2024-01-01T00:00:00.123456Z" },
      { id: 3, i: null, f: null, dec: null, bin: null, flag: null, when: null },
    ];
    const before = { i: "INT", f: "FLOAT", dec: "DECIMAL(10,2)", bin: "BINARY", flag: "BOOLEAN", when: "UTC_DATETIME" };
    const after = { i: "LONG", f: "DOUBLE", dec: "DECIMAL(12,4)", bin: "STRING", flag: "STRING", when: "STRING" };
    const results = [];
    for (const spec of [
      { kind: "sqlite", file: path.join(dir, "declared.db") },
      { kind: "postgres", connection: { host: pg().host, port: pg().port, database: pg().database, user: pg().user, password: pg().password }, schema: freshSchema("d"), connector: "d" },
    ] as Spec[]) {
      await syncInto(d, spec, rows, [rows.length], before);
      await syncInto(d, spec, [], [0], after);
      results.push(await contents(d, spec));
    }
    expect(results[0]!.types).toMatchObject(after);
    expect(results[0]!.rows[0]).toMatchObject({ i: 7, dec: "12.5000", bin: "AQL/", flag: "true", when: "2024-02-29T12:00:00.000Z" });
    expect(results[1]).toEqual(results[0]);
  });
});

describe("date-times below a microsecond", () => {
  it("PostgreSQL keeps what DuckDB keeps: fractions cut (not rounded) to microseconds, and keys that differ only below a microsecond one row, the later write", async () => {
    const d = await dist();
    const dir = tempDir();
    const sent = [
      { at: "2024-01-01T00:00:00.0000001Z", naive: "2024-01-01T00:00:00.9999997", v: 1 },
      { at: "2024-01-01T00:00:00.0000002Z", naive: "2024-01-01T00:00:00.9999998", v: 2 },
      { at: "2024-01-01T00:00:00.1234567Z", naive: "2024-12-31T23:59:59.9999999", v: 3 },
    ];
    const results = [];
    for (const spec of [
      { kind: "duckdb", file: path.join(dir, "micros.duckdb") },
      { kind: "postgres", connection: { host: pg().host, port: pg().port, database: pg().database, user: pg().user, password: pg().password }, schema: freshSchema("us"), connector: "us" },
    ] as Spec[]) {
      const r = await d.sync.runConnectorSync({
        definition: {
          schema: () => [{ table: "t", primary_key: ["at"], columns: { at: "UTC_DATETIME", naive: "NAIVE_DATETIME", v: "INT" } }],
          update() {
            for (const row of sent) op.upsert("t", row);
            op.checkpoint({ done: true });
          },
        },
        state: {},
        destination: d.open.createDestination(spec),
        shared: true,
      });
      expect(r.status, `${spec.kind}: ${r.error?.message}`).toBe("succeeded");
      const reader = await d.open.openReader(spec);
      try {
        const rows = (await reader.rows("t")).map(({ at, naive, v }) => ({ at, naive, v }));
        results.push(rows.sort((a, b) => String(a.at).localeCompare(String(b.at))));
      } finally {
        await reader.close();
      }
    }
    expect(results[0]).toEqual([
      { at: "2024-01-01T00:00:00.000Z", naive: "2024-01-01T00:00:00.999999", v: 2 },
      { at: "2024-01-01T00:00:00.123456Z", naive: "2024-12-31T23:59:59.999999", v: 3 },
    ]);
    expect(results[1]).toEqual(results[0]);
  });
});

describe("JSON in PostgreSQL's jsonb", () => {
  it("reads back what SQLite stores, numbers in the same notation, but for the order of object keys (jsonb's: shorter keys first)", async () => {
    const d = await dist();
    const dir = tempDir();
    const doc = { bb: 1, a: { zz: [1e21, -6.02e23, 1.5e300, 2n ** 70n, 12345678901234567890, 1e-7], y: true } };
    const texts = [];
    for (const spec of [
      { kind: "sqlite", file: path.join(dir, "json.db") },
      { kind: "postgres", connection: { host: pg().host, port: pg().port, database: pg().database, user: pg().user, password: pg().password }, schema: freshSchema("js"), connector: "js" },
    ] as Spec[]) {
      await syncInto(d, spec, [{ id: 1, doc }], [1], { doc: "JSON" });
      texts.push((await contents(d, spec)).rows[0]!.doc);
    }
    expect(texts[0]).toBe('{"bb":1,"a":{"zz":[1e+21,-6.02e+23,1.5e+300,"1180591620717411303424",12345678901234567000,1e-7],"y":true}}');
    expect(texts[1]).toBe('{"a":{"y":true,"zz":[1e+21,-6.02e+23,1.5e+300,"1180591620717411303424",12345678901234567000,1e-7]},"bb":1}');
  });
});
