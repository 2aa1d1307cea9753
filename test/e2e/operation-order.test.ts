import path from "node:path";
import { describe, expect, it } from "vitest";
import { op } from "../../dist/index.js";
import { createDestination, openReader, type DestinationSpec } from "../../dist/destinations/open.js";
import { runConnectorSync } from "../../dist/sync/run-sync.js";
import { mulberry32 } from "../../dist/verify/random.js";
import { tempDir } from "../helpers.js";
import { freshSchema, usePostgres } from "../support/use-postgres.js";

// Every destination applies a sync's operations in the order the connector emitted them, whatever
// it batches, stages or appends straight into a table: the same random mix of upserts, partial
// upserts, updates, deletes and truncates over a few keys (old and new) gives the same rows in
// SQLite, which writes each operation as it comes, and in DuckDB and PostgreSQL. It imports the
// build: their writer threads are started from dist/.

type Op = { kind: "upsert"; row: Record<string, unknown> } | { kind: "update"; row: Record<string, unknown> } | { kind: "delete"; id: number } | { kind: "truncate" };

/** Syncs, each a list of segments that end with a checkpoint. */
function plan(seed: number): Op[][][] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let next = 100;
  const key = (): number => (rnd() < 0.25 ? next++ : 1 + Math.floor(rnd() * (next > 100 ? 8 + (next - 100) : 8)));
  const value = (): string => pick(["x", "y", "z", "w"]) + Math.floor(rnd() * 3);
  return Array.from({ length: 3 }, () =>
    Array.from({ length: 2 + Math.floor(rnd() * 3) }, () =>
      Array.from({ length: 10 + Math.floor(rnd() * 30) }, (): Op => {
        const r = rnd();
        const id = key();
        if (r < 0.35) return { kind: "upsert", row: { id, a: value(), b: value() } };
        if (r < 0.45) return { kind: "upsert", row: { id, a: value() } };
        if (r < 0.65) return { kind: "update", row: { id, a: value() } };
        if (r < 0.75) return { kind: "update", row: { id, b: value() } };
        if (r < 0.99) return { kind: "delete", id };
        return { kind: "truncate" };
      }),
    ),
  );
}

type Synced = { rows: unknown[]; warnings: string[] };

/**
 * Several scenarios in one destination, each on a table of its own: sync n writes, scenario after scenario,
 * that scenario's n-th sync, each of its segments ending with a checkpoint. A table's operations, its
 * checkpoints and its sync boundaries are what they would be alone; what is shared is the opening of the
 * destination (for DuckDB about 0.75 s of CPU a sync, more than the rows cost). The warnings are the sync's.
 */
async function syncTables(spec: DestinationSpec, scenarios: Record<string, Op[][][]>): Promise<Record<string, Synced>> {
  const warnings: string[] = [];
  const tables = Object.keys(scenarios);
  const rounds = Math.max(...Object.values(scenarios).map((syncs) => syncs.length));
  for (let n = 0; n < rounds; n++) {
    const result = await runConnectorSync({
      definition: {
        schema: () => tables.map((table) => ({ table, primary_key: ["id"], columns: { id: "LONG", a: "STRING", b: "STRING" } })),
        update() {
          for (const table of tables) {
            for (const [i, ops] of (scenarios[table]![n] ?? []).entries()) {
              for (const o of ops) {
                if (o.kind === "upsert") op.upsert(table, o.row);
                else if (o.kind === "update") op.update(table, o.row);
                else if (o.kind === "delete") op.delete(table, { id: o.id });
                else op.truncate(table);
              }
              op.checkpoint({ sync: n, table, segment: i });
            }
          }
        },
      },
      destination: createDestination(spec),
      shared: true,
    });
    expect(result.status, String(result.error)).toBe("succeeded");
    warnings.push(...result.warnings);
  }
  const reader = await openReader(spec);
  try {
    const out: Record<string, Synced> = {};
    for (const table of tables) out[table] = { rows: (await reader.rows(table)).map(({ _fivetran_synced: _, ...r }) => r), warnings };
    return out;
  } finally {
    await reader.close();
  }
}

async function sync(spec: DestinationSpec, syncs: Op[][][]): Promise<Synced> {
  return (await syncTables(spec, { t: syncs })).t!;
}

/** One run of `f` for every test that asks. */
function once<T>(f: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= f());
}

const pg = usePostgres("operation_order");
const postgres = (): DestinationSpec => ({
  kind: "postgres",
  connection: { host: pg().host, port: pg().port, database: pg().database, user: pg().user, password: pg().password },
  schema: freshSchema("order"),
  connector: "order",
});

/** Rows about one table ("t" unless named): in-process, the heuristic for a forgotten await may see the other destination's handles. */
const aboutRows = (w: string[], table = "t"): string[] => w.filter((m) => m.includes(`table "${table}"`));

/** Key 1 is stored; 1000 and 2000 are above it: a delete or update, then an upsert of the same key, in one batch and in the other order, with truncates between. */
const EXPLICIT: Op[][][] = [
  [[{ kind: "upsert", row: { id: 1, a: "a", b: "b" } }]],
  [[{ kind: "update", row: { id: 1000, a: "update" } }, { kind: "delete", id: 2000 }, { kind: "upsert", row: { id: 1000, a: "upsert" } }, { kind: "upsert", row: { id: 2000, a: "live" } }]],
];
const EXPLICIT_ROWS = [
  { id: 1, a: "a", b: "b", _fivetran_deleted: 0 },
  { id: 1000, a: "upsert", b: null, _fivetran_deleted: 0 },
  { id: 2000, a: "live", b: null, _fivetran_deleted: 0 },
];

const STORED: Op[][] = [[{ kind: "upsert", row: { id: 1, a: "a1", b: "b1" } }, { kind: "upsert", row: { id: 2, a: "a2", b: "b2" } }, { kind: "upsert", row: { id: 3, a: "a3", b: "b3" } }]];

/** One key written by two kinds in a row, in one batch: on stored keys (1-3) and on keys above them (10-12). */
const PAIRS: Op[][][] = [
  STORED,
  [
    [
      { kind: "delete", id: 1 },
      { kind: "upsert", row: { id: 1, a: "after delete" } },
      { kind: "update", row: { id: 2, a: "updated" } },
      { kind: "upsert", row: { id: 2, b: "after update" } },
      { kind: "upsert", row: { id: 3, a: "before delete" } },
      { kind: "delete", id: 3 },
      { kind: "delete", id: 10 },
      { kind: "upsert", row: { id: 10, a: "after delete", b: "new" } },
      { kind: "update", row: { id: 11, a: "unmatched" } },
      { kind: "upsert", row: { id: 11, a: "after update" } },
      { kind: "upsert", row: { id: 12, a: "before delete" } },
      { kind: "delete", id: 12 },
    ],
  ],
];

/** Writes around truncates in one batch: every row last written before the last truncate ends deleted, the others keep their order. */
const TRUNCATES: Op[][][] = [
  STORED,
  [
    [
      { kind: "upsert", row: { id: 20, a: "before truncate" } },
      { kind: "delete", id: 1 },
      { kind: "truncate" },
      { kind: "delete", id: 20 },
      { kind: "upsert", row: { id: 20, a: "after truncate" } },
      { kind: "update", row: { id: 2, b: "updated after truncate" } },
      { kind: "upsert", row: { id: 21, a: "before the second truncate" } },
    ],
    [
      { kind: "upsert", row: { id: 21, a: "between" } },
      { kind: "truncate" },
      { kind: "upsert", row: { id: 21, a: "after the second truncate" } },
      { kind: "update", row: { id: 3, a: "updated after the second truncate" } },
      { kind: "upsert", row: { id: 22, a: "before the third truncate" } },
      { kind: "truncate" },
      { kind: "delete", id: 22 },
      { kind: "upsert", row: { id: 22, a: "after the third truncate" } },
      { kind: "upsert", row: { id: 23, a: "before delete" } },
      { kind: "delete", id: 23 },
    ],
  ],
];

/** Long runs of upserts over a dozen keys, longer than SQLite's batch of held rows, with a few updates and deletes between them. */
function upsertRuns(seed: number): Op[][][] {
  const rnd = mulberry32(seed);
  const id = (): number => 1 + Math.floor(rnd() * 12);
  let n = 0;
  return Array.from({ length: 3 }, () =>
    Array.from({ length: 3 }, () => {
      const ops: Op[] = Array.from({ length: 20 + Math.floor(rnd() * 100) }, (): Op => ({ kind: "upsert", row: rnd() < 0.3 ? { id: id(), a: `a${n++}` } : { id: id(), a: `a${n++}`, b: `b${n++}` } }));
      for (let k = 1 + Math.floor(rnd() * 5); k > 0; k--) ops.splice(Math.floor(rnd() * ops.length), 0, rnd() < 0.5 ? { kind: "update", row: { id: id(), b: `u${n++}` } } : { kind: "delete", id: id() });
      return ops;
    }),
  );
}

/**
 * A long mix of kinds on one table, alternating write by write: upserts (whole and partial), updates of two
 * sets of columns and deletes. The first sync stores keys 1 to 2,500. The second writes, in each of two
 * checkpoints, first new keys in order with every few rows an update or a delete of a key just written, or an
 * upsert of one written a thousand rows before (few runs, but more lines than PostgreSQL sends in one chunk,
 * 4,096 per table), then random keys of 1 to 3,000
 * written by two kinds in a row every few writes (more switches of kind than it keeps runs, 32 per table).
 * So its runs are sent again and again in the middle of the mix, at both limits.
 */
function alternating(seed: number): Op[][][] {
  const rnd = mulberry32(seed);
  let n = 0;
  let next = 10_000;
  const write = (id: number): Op => {
    const r = rnd();
    if (r < 0.4) return { kind: "upsert", row: { id, a: `a${n++}`, b: `b${n++}` } };
    if (r < 0.5) return { kind: "upsert", row: { id, a: `p${n++}` } };
    if (r < 0.7) return { kind: "update", row: { id, a: `u${n++}` } };
    if (r < 0.85) return { kind: "update", row: { id, b: `v${n++}` } };
    return { kind: "delete", id };
  };
  const segment = (): Op[] => {
    const ops: Op[] = [];
    for (let i = 0; i < 6000; i++) {
      ops.push({ kind: "upsert", row: { id: next, a: `n${n++}`, b: `m${n++}` } });
      if (i % 7 === 6) ops.push(rnd() < 0.7 ? { kind: "update", row: { id: next - 3, b: `c${n++}` } } : { kind: "delete", id: next - 2 });
      if (i % 13 === 12 && i >= 1000) ops.push({ kind: "upsert", row: { id: next - 1000, a: `again${n++}` } });
      next++;
    }
    for (let i = 0; i < 4000; i++) {
      const id = 1 + Math.floor(rnd() * 3000);
      ops.push(write(id));
      if (i % 5 === 0) ops.push(write(id));
    }
    return ops;
  };
  const stored: Op[] = Array.from({ length: 2500 }, (_, i) => ({ kind: "upsert", row: { id: i + 1, a: "stored", b: "stored" } }));
  return [[stored], [segment(), segment()]];
}

/** The same writes applied shape by shape within each checkpoint (all upserts, then each update's columns, then deletes): what a merge in the wrong order would store. */
function byShape(syncs: Op[][][]): Op[][][] {
  const shape = (o: Op): string => (o.kind === "update" ? `update ${Object.keys(o.row).join()}` : o.kind);
  return syncs.map((segments) =>
    segments.map((ops) => {
      const shapes = [...new Set(ops.map(shape))];
      return shapes.flatMap((s) => ops.filter((o) => shape(o) === s));
    }),
  );
}

/** What the rows must be: an upsert replaces the whole row and revives it, an update sets its columns on a row that exists, a delete marks it. */
function model(syncs: Op[][][]): unknown[] {
  const rows = new Map<number, { id: number; a: unknown; b: unknown; _fivetran_deleted: number }>();
  for (const o of syncs.flat(2)) {
    if (o.kind === "upsert") rows.set(o.row.id as number, { id: o.row.id as number, a: o.row.a ?? null, b: o.row.b ?? null, _fivetran_deleted: 0 });
    else if (o.kind === "update") Object.assign(rows.get(o.row.id as number) ?? {}, o.row);
    else if (o.kind === "delete") Object.assign(rows.get(o.id) ?? {}, { _fivetran_deleted: 1 });
  }
  return [...rows.values()].sort((x, y) => x.id - y.id);
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const seedTable = (seed: number): string => `seed_${seed}`;
const SEEDED = Object.fromEntries(SEEDS.map((seed) => [seedTable(seed), plan(seed)]));
const sqliteSpec = (): DestinationSpec => ({ kind: "sqlite", file: path.join(tempDir(), "w.db") });
const duckdbSpec = (): DestinationSpec => ({ kind: "duckdb", file: path.join(tempDir(), "w.duckdb") });

/** The random mixes, all seeds in one destination (a table each, three syncs), run once for the tests of both blocks. */
const seeded = {
  sqlite: once(() => syncTables(sqliteSpec(), SEEDED)),
  duckdb: once(() => syncTables(duckdbSpec(), SEEDED)),
  postgres: once(() => syncTables(postgres(), SEEDED)),
};

const ROUNDS: Op[][][] = (() => {
  const ops: Op[] = [];
  for (let round = 0; round < 40; round++) {
    for (const id of [1, 2, 3]) {
      ops.push({ kind: "upsert", row: { id, a: `upsert ${round}` } });
      ops.push({ kind: "update", row: { id, b: `update ${round}` } });
      if ((round + id) % 3 === 0) ops.push({ kind: "delete", id });
      if ((round + id) % 4 === 0) ops.push({ kind: "update", row: { id, a: `late ${round}` } });
    }
  }
  return [[ops]];
})();

const RUN_SEEDS = [11, 12, 13];

/** The fixed cases and the runs of upserts, each on a table of its own, in one destination (three syncs), run once for their tests. */
const FIXED = { explicit: EXPLICIT, pairs: PAIRS, truncates: TRUNCATES, rounds: ROUNDS, ...Object.fromEntries(RUN_SEEDS.map((seed) => [`runs_${seed}`, upsertRuns(seed)])) };
const fixed = {
  sqlite: once(() => syncTables(sqliteSpec(), FIXED)),
  duckdb: once(() => syncTables(duckdbSpec(), FIXED)),
  postgres: once(() => syncTables(postgres(), FIXED)),
};

describe("operation order", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: DuckDB holds what SQLite holds after a random mix of kinds on old and new keys`, async () => {
      const table = seedTable(seed);
      const sqlite = (await seeded.sqlite())[table]!;
      const duckdb = (await seeded.duckdb())[table]!;
      expect(duckdb.rows).toEqual(sqlite.rows);
      expect(aboutRows(duckdb.warnings, table)).toEqual(aboutRows(sqlite.warnings, table));
      expect(aboutRows(sqlite.warnings, table).length).toBeGreaterThan(0);
    });
  }

  it("a delete, then an upsert of a key above every stored key, leaves the row live", async () => {
    expect((await fixed.duckdb()).explicit!.rows).toEqual(EXPLICIT_ROWS);
  });
});

describe("operation order on PostgreSQL", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: PostgreSQL holds what SQLite holds after a random mix of kinds on old and new keys`, async () => {
      const table = seedTable(seed);
      const sqlite = (await seeded.sqlite())[table]!;
      const postgresql = (await seeded.postgres())[table]!;
      expect(postgresql.rows).toEqual(sqlite.rows);
      expect(aboutRows(postgresql.warnings, table)).toEqual(aboutRows(sqlite.warnings, table));
      expect(aboutRows(sqlite.warnings, table).length).toBeGreaterThan(0);
    });
  }

  it("a delete, then an upsert of a key above every stored key, leaves the row live", async () => {
    expect((await fixed.postgres()).explicit!.rows).toEqual(EXPLICIT_ROWS);
  });

  it("a key written by two kinds in a row, in one batch, ends as in SQLite, in DuckDB and PostgreSQL", async () => {
    const sqlite = (await fixed.sqlite()).pairs!;
    expect(sqlite.rows).toEqual([
      { id: 1, a: "after delete", b: null, _fivetran_deleted: 0 },
      { id: 2, a: null, b: "after update", _fivetran_deleted: 0 },
      { id: 3, a: "before delete", b: null, _fivetran_deleted: 1 },
      { id: 10, a: "after delete", b: "new", _fivetran_deleted: 0 },
      { id: 11, a: "after update", b: null, _fivetran_deleted: 0 },
      { id: 12, a: "before delete", b: null, _fivetran_deleted: 1 },
    ]);
    expect(aboutRows(sqlite.warnings, "pairs")).toHaveLength(1);
    const duckdb = (await fixed.duckdb()).pairs!;
    const postgresql = (await fixed.postgres()).pairs!;
    expect(duckdb.rows).toEqual(sqlite.rows);
    expect(postgresql.rows).toEqual(sqlite.rows);
    expect(aboutRows(postgresql.warnings, "pairs")).toEqual(aboutRows(sqlite.warnings, "pairs"));
  });

  it("three keys written by every kind, round after round in one batch, past DuckDB's limit of pending runs, end as in SQLite", async () => {
    const sqlite = (await fixed.sqlite()).rounds!;
    expect(sqlite.rows).toEqual([
      { id: 1, a: "late 39", b: "update 39", _fivetran_deleted: 0 },
      { id: 2, a: "upsert 39", b: "update 39", _fivetran_deleted: 0 },
      { id: 3, a: "upsert 39", b: "update 39", _fivetran_deleted: 1 },
    ]);
    expect((await fixed.duckdb()).rounds!.rows).toEqual(sqlite.rows);
  });

  for (const seed of RUN_SEEDS) {
    it(`seed ${seed}: runs of upserts longer than a batch, repeating keys, end as the last write of each key in SQLite, DuckDB and PostgreSQL`, async () => {
      const table = `runs_${seed}`;
      const expected = model(upsertRuns(seed));
      expect((await fixed.sqlite())[table]!.rows).toEqual(expected);
      expect((await fixed.duckdb())[table]!.rows).toEqual(expected);
      expect((await fixed.postgres())[table]!.rows).toEqual(expected);
    });
  }

  it("a long mix that alternates kinds write by write, across PostgreSQL's chunks and run limit, ends as the model says on all three destinations", async () => {
    const syncs = alternating(21);
    const expected = model(syncs);
    // The mix is one that a wrong merge order would get wrong.
    expect(model(byShape(syncs))).not.toEqual(expected);
    const sqlite = await sync({ kind: "sqlite", file: path.join(tempDir(), "w.db") }, syncs);
    expect(sqlite.rows).toEqual(expected);
    const postgresql = await sync(postgres(), syncs);
    expect(postgresql.rows).toEqual(expected);
    expect(aboutRows(postgresql.warnings)).toEqual(aboutRows(sqlite.warnings));
    expect(aboutRows(sqlite.warnings).length).toBeGreaterThan(0);
    expect((await sync({ kind: "duckdb", file: path.join(tempDir(), "w.duckdb") }, syncs)).rows).toEqual(expected);
  });

  it("writes around truncates in one batch end as in SQLite, in DuckDB and PostgreSQL", async () => {
    const sqlite = (await fixed.sqlite()).truncates!;
    expect(sqlite.rows).toEqual([
      { id: 1, a: "a1", b: "b1", _fivetran_deleted: 1 },
      { id: 2, a: "a2", b: "updated after truncate", _fivetran_deleted: 1 },
      { id: 3, a: "updated after the second truncate", b: "b3", _fivetran_deleted: 1 },
      { id: 20, a: "after truncate", b: null, _fivetran_deleted: 1 },
      { id: 21, a: "after the second truncate", b: null, _fivetran_deleted: 1 },
      { id: 22, a: "after the third truncate", b: null, _fivetran_deleted: 0 },
      { id: 23, a: "before delete", b: null, _fivetran_deleted: 1 },
    ]);
    const duckdb = (await fixed.duckdb()).truncates!;
    const postgresql = (await fixed.postgres()).truncates!;
    expect(duckdb.rows).toEqual(sqlite.rows);
    expect(postgresql.rows).toEqual(sqlite.rows);
  });
});
