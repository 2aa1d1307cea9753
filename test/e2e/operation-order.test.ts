import path from "node:path";
import { describe, expect, it } from "vitest";
import { op } from "../../dist/index.js";
import { createDestination, openReader, type DestinationKind } from "../../dist/destinations/open.js";
import { runConnectorSync } from "../../dist/sync/run-sync.js";
import { tempDir } from "../helpers.js";

// Every destination applies a sync's operations in the order the connector emitted them, whatever
// it batches, stages or appends straight into a table: the same random mix of upserts, partial
// upserts, updates, deletes and truncates over a few keys (old and new) gives the same rows in
// SQLite, which writes each operation as it comes, and in DuckDB. It imports the build: DuckDB's
// writer thread is started from dist/.

type Op = { kind: "upsert"; row: Record<string, unknown> } | { kind: "update"; row: Record<string, unknown> } | { kind: "delete"; id: number } | { kind: "truncate" };

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Syncs, each a list of segments that end with a checkpoint. */
function plan(seed: number): Op[][][] {
  const rnd = random(seed);
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

async function sync(kind: DestinationKind, file: string, syncs: Op[][][]): Promise<{ rows: unknown[]; warnings: string[] }> {
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
      destination: createDestination({ kind, file }),
      shared: true,
    });
    expect(result.status, String(result.error)).toBe("succeeded");
    warnings.push(...result.warnings);
  }
  const reader = await openReader({ kind, file });
  try {
    return { rows: (await reader.rows("t")).map(({ _fivetran_synced: _, ...r }) => r), warnings };
  } finally {
    await reader.close();
  }
}

describe("operation order", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: DuckDB holds what SQLite holds after a random mix of kinds on old and new keys`, async () => {
      const syncs = plan(seed);
      const dir = tempDir();
      const sqlite = await sync("sqlite", path.join(dir, "w.db"), syncs);
      const duckdb = await sync("duckdb", path.join(dir, "w.duckdb"), syncs);
      expect(duckdb.rows).toEqual(sqlite.rows);
      // In-process, the heuristic for a forgotten await may see the other destination's handles.
      const aboutRows = (w: string[]): string[] => w.filter((m) => m.includes('table "t"'));
      expect(aboutRows(duckdb.warnings)).toEqual(aboutRows(sqlite.warnings));
      expect(aboutRows(sqlite.warnings).length).toBeGreaterThan(0);
    });
  }

  it("a delete, then an upsert of a key above every stored key, leaves the row live", async () => {
    const syncs: Op[][][] = [
      [[{ kind: "upsert", row: { id: 1, a: "a", b: "b" } }]],
      [[{ kind: "update", row: { id: 1000, a: "update" } }, { kind: "delete", id: 2000 }, { kind: "upsert", row: { id: 1000, a: "upsert" } }, { kind: "upsert", row: { id: 2000, a: "live" } }]],
    ];
    const dir = tempDir();
    const duckdb = await sync("duckdb", path.join(dir, "w.duckdb"), syncs);
    expect(duckdb.rows).toEqual([
      { id: 1, a: "a", b: "b", _fivetran_deleted: 0 },
      { id: 1000, a: "upsert", b: null, _fivetran_deleted: 0 },
      { id: 2000, a: "live", b: null, _fivetran_deleted: 0 },
    ]);
  });
});
