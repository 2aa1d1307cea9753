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

async function sync(spec: DestinationSpec, syncs: Op[][][]): Promise<{ rows: unknown[]; warnings: string[] }> {
  const warnings: string[] = [];
  for (const [n, segments] of syncs.entries()) {
    const result = await runConnectorSync({
      definition: {
        schema: () => [{ table: "t", primary_key: ["id"], columns: { id: "LONG", a: "STRING", b: "STRING" } }],
        update() {
          for (const [i, ops] of segments.entries()) {
            for (const o of ops) {
              if (o.kind === "upsert") op.upsert("t", o.row);
              else if (o.kind === "update") op.update("t", o.row);
              else if (o.kind === "delete") op.delete("t", { id: o.id });
              else op.truncate("t");
            }
            op.checkpoint({ sync: n, segment: i });
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
    return { rows: (await reader.rows("t")).map(({ _fivetran_synced: _, ...r }) => r), warnings };
  } finally {
    await reader.close();
  }
}

const pg = usePostgres("operation_order");
const postgres = (): DestinationSpec => ({
  kind: "postgres",
  connection: { host: pg().host, port: pg().port, database: pg().database, user: pg().user, password: pg().password },
  schema: freshSchema("order"),
  connector: "order",
});

/** Rows about table "t" only: in-process, the heuristic for a forgotten await may see the other destination's handles. */
const aboutRows = (w: string[]): string[] => w.filter((m) => m.includes('table "t"'));

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

describe("operation order", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: DuckDB holds what SQLite holds after a random mix of kinds on old and new keys`, async () => {
      const syncs = plan(seed);
      const dir = tempDir();
      const sqlite = await sync({ kind: "sqlite", file: path.join(dir, "w.db") }, syncs);
      const duckdb = await sync({ kind: "duckdb", file: path.join(dir, "w.duckdb") }, syncs);
      expect(duckdb.rows).toEqual(sqlite.rows);
      expect(aboutRows(duckdb.warnings)).toEqual(aboutRows(sqlite.warnings));
      expect(aboutRows(sqlite.warnings).length).toBeGreaterThan(0);
    });
  }

  it("a delete, then an upsert of a key above every stored key, leaves the row live", async () => {
    const duckdb = await sync({ kind: "duckdb", file: path.join(tempDir(), "w.duckdb") }, EXPLICIT);
    expect(duckdb.rows).toEqual(EXPLICIT_ROWS);
  });
});

describe("operation order on PostgreSQL", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: PostgreSQL holds what SQLite holds after a random mix of kinds on old and new keys`, async () => {
      const syncs = plan(seed);
      const sqlite = await sync({ kind: "sqlite", file: path.join(tempDir(), "w.db") }, syncs);
      const postgresql = await sync(postgres(), syncs);
      expect(postgresql.rows).toEqual(sqlite.rows);
      expect(aboutRows(postgresql.warnings)).toEqual(aboutRows(sqlite.warnings));
      expect(aboutRows(sqlite.warnings).length).toBeGreaterThan(0);
    });
  }

  it("a delete, then an upsert of a key above every stored key, leaves the row live", async () => {
    const postgresql = await sync(postgres(), EXPLICIT);
    expect(postgresql.rows).toEqual(EXPLICIT_ROWS);
  });

  it("a key written by two kinds in a row, in one batch, ends as in SQLite, in DuckDB and PostgreSQL", async () => {
    const sqlite = await sync({ kind: "sqlite", file: path.join(tempDir(), "w.db") }, PAIRS);
    expect(sqlite.rows).toEqual([
      { id: 1, a: "after delete", b: null, _fivetran_deleted: 0 },
      { id: 2, a: null, b: "after update", _fivetran_deleted: 0 },
      { id: 3, a: "before delete", b: null, _fivetran_deleted: 1 },
      { id: 10, a: "after delete", b: "new", _fivetran_deleted: 0 },
      { id: 11, a: "after update", b: null, _fivetran_deleted: 0 },
      { id: 12, a: "before delete", b: null, _fivetran_deleted: 1 },
    ]);
    expect(aboutRows(sqlite.warnings)).toHaveLength(1);
    const duckdb = await sync({ kind: "duckdb", file: path.join(tempDir(), "w.duckdb") }, PAIRS);
    const postgresql = await sync(postgres(), PAIRS);
    expect(duckdb.rows).toEqual(sqlite.rows);
    expect(postgresql.rows).toEqual(sqlite.rows);
    expect(aboutRows(postgresql.warnings)).toEqual(aboutRows(sqlite.warnings));
  });

  it("three keys written by every kind, round after round in one batch, past DuckDB's limit of pending runs, end as in SQLite", async () => {
    const ops: Op[] = [];
    for (let round = 0; round < 40; round++) {
      for (const id of [1, 2, 3]) {
        ops.push({ kind: "upsert", row: { id, a: `upsert ${round}` } });
        ops.push({ kind: "update", row: { id, b: `update ${round}` } });
        if ((round + id) % 3 === 0) ops.push({ kind: "delete", id });
        if ((round + id) % 4 === 0) ops.push({ kind: "update", row: { id, a: `late ${round}` } });
      }
    }
    const syncs: Op[][][] = [[ops]];
    const sqlite = await sync({ kind: "sqlite", file: path.join(tempDir(), "w.db") }, syncs);
    expect(sqlite.rows).toEqual([
      { id: 1, a: "late 39", b: "update 39", _fivetran_deleted: 0 },
      { id: 2, a: "upsert 39", b: "update 39", _fivetran_deleted: 0 },
      { id: 3, a: "upsert 39", b: "update 39", _fivetran_deleted: 1 },
    ]);
    const duckdb = await sync({ kind: "duckdb", file: path.join(tempDir(), "w.duckdb") }, syncs);
    expect(duckdb.rows).toEqual(sqlite.rows);
  });

  for (const seed of [11, 12, 13]) {
    it(`seed ${seed}: runs of upserts longer than a batch, repeating keys, end as the last write of each key in SQLite, DuckDB and PostgreSQL`, async () => {
      const syncs = upsertRuns(seed);
      const expected = model(syncs);
      expect((await sync({ kind: "sqlite", file: path.join(tempDir(), "w.db") }, syncs)).rows).toEqual(expected);
      expect((await sync({ kind: "duckdb", file: path.join(tempDir(), "w.duckdb") }, syncs)).rows).toEqual(expected);
      expect((await sync(postgres(), syncs)).rows).toEqual(expected);
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
    const sqlite = await sync({ kind: "sqlite", file: path.join(tempDir(), "w.db") }, TRUNCATES);
    expect(sqlite.rows).toEqual([
      { id: 1, a: "a1", b: "b1", _fivetran_deleted: 1 },
      { id: 2, a: "a2", b: "updated after truncate", _fivetran_deleted: 1 },
      { id: 3, a: "updated after the second truncate", b: "b3", _fivetran_deleted: 1 },
      { id: 20, a: "after truncate", b: null, _fivetran_deleted: 1 },
      { id: 21, a: "after the second truncate", b: null, _fivetran_deleted: 1 },
      { id: 22, a: "after the third truncate", b: null, _fivetran_deleted: 0 },
      { id: 23, a: "before delete", b: null, _fivetran_deleted: 1 },
    ]);
    const duckdb = await sync({ kind: "duckdb", file: path.join(tempDir(), "w.duckdb") }, TRUNCATES);
    const postgresql = await sync(postgres(), TRUNCATES);
    expect(duckdb.rows).toEqual(sqlite.rows);
    expect(postgresql.rows).toEqual(sqlite.rows);
  });
});
