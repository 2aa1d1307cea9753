/**
 * runSync() on every destination: `destination` takes what `connector run --destination` takes, and
 * rows() and tables() answer from the destination's own reader, so a test reads the same rows
 * whether the sync went into memory, a SQLite or DuckDB file, or PostgreSQL.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
// The built package: a DuckDB or PostgreSQL destination runs its client in a writer thread, which loads dist/'s JavaScript.
import { op, type TableDefinition } from "../../dist/index.js";
import { runSync, SyncError, type RunSyncResult } from "../../dist/testing.js";
import { tempDir } from "../helpers.js";
import { freshSchema, usePostgres } from "../support/use-postgres.js";

const pg = usePostgres("run_sync_destinations");

const schema = (): TableDefinition[] => [{ table: "items", primary_key: ["id"], columns: { id: "LONG", name: "STRING", big: "LONG", price: "DOUBLE", ok: "BOOLEAN", doc: "JSON", at: "UTC_DATETIME" } }];

/** Two checkpoints: rows of every kind of value, a keyless table, then a delete. */
const connector = {
  schema,
  update(_configuration: unknown, state: { page?: number }) {
    if (!state.page) {
      op.upsert("items", { id: 1, name: "ada", big: 9007199254740993n, price: 1.5, ok: true, doc: { k: [1, "x"] }, at: "2024-01-01T00:00:00Z" });
      op.upsert("items", { id: 2, name: "bob", big: -5, price: 0, ok: false, doc: null, at: "2024-02-01T10:00:00.123Z" });
      op.upsert("events", { message: "no key", n: 3 });
      op.checkpoint({ page: 1 });
    }
    op.upsert("items", { id: 3, name: "cy", big: 7, price: 2.25, ok: true, doc: "text", at: "2024-03-01T00:00:00Z" });
    op.delete("items", { id: 2 });
    op.checkpoint({ page: 2 });
  },
};

/** Every table's rows, without the time each was synced. */
const contents = (r: RunSyncResult) =>
  Object.fromEntries(r.tables().map((t) => [t, r.rows(t).map(({ _fivetran_synced, ...rest }) => rest)]));

type Target = { name: string; destination: () => string; holds: (table: string) => Promise<number> };
const file = (kind: string, ext: string): Target => {
  let where = "";
  return {
    name: kind,
    destination: () => `${kind}:${(where = path.join(tempDir(), `w.${ext}`))}`,
    // The file exists only if the sync went there: its size says so without another client.
    holds: async () => (fs.existsSync(where) ? fs.statSync(where).size : 0),
  };
};
const postgres = (): Target => {
  let schemaName = "";
  return {
    name: "postgres",
    destination: () => pg().url(undefined, (schemaName = freshSchema())),
    holds: async (table) => Number((await pg().sql<{ n: string }>(`SELECT count(*) AS n FROM "${schemaName}"."${table}"`))[0]!.n),
  };
};

describe("runSync({ destination }) reads the same rows back from every destination", () => {
  const targets = [file("sqlite", "db"), file("duckdb", "duckdb"), postgres()];

  it.each(targets.map((t) => [t.name, t] as const))("%s: the rows, the tables and the state are the in-memory warehouse's", async (_name, target) => {
    const memory = await runSync(connector);
    const destination = target.destination();
    const r = await runSync(connector, { destination });
    expect(await target.holds("items")).toBeGreaterThan(0);
    expect(r.tables()).toEqual(["events", "items"]);
    expect(contents(r)).toEqual(contents(memory));
    expect(r.rows("items")[0]!.big).toBe(9007199254740993n);
    expect(r.rows("items").map((row) => [row.id, row._fivetran_deleted])).toEqual([
      [1, 0],
      [2, 1],
      [3, 0],
    ]);
    expect(r.state).toEqual({ page: 2 });
    // Nothing stays open: the next sync into the same destination (a DuckDB file takes one client) resumes from the state.
    const again = await runSync(connector, { destination, state: r.state });
    expect(again.counts.upserts).toBe(1);
    expect(contents(again)).toEqual(contents(r));
  });

  it("a failed sync's result reads what its last checkpoint committed (DuckDB)", async () => {
    const destination = `duckdb:${path.join(tempDir(), "w.duckdb")}`;
    const failing = {
      update() {
        op.upsert("items", { id: 1 });
        op.checkpoint({ n: 1 });
        op.upsert("items", { id: 2 });
        throw new Error("the source went away");
      },
    };
    const error = await runSync(failing, { destination }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SyncError);
    const { result } = error as SyncError;
    expect((error as SyncError).message).toContain("the source went away");
    expect(result.rows("items").map((row) => row.id)).toEqual([1]);
    expect(result.state).toEqual({ n: 1 });
  });

  it("refuses what is not a destination URL, and a destination with a warehouse", async () => {
    await expect(runSync(connector, { destination: "mysql://h/db" })).rejects.toThrow(/^runSync\(\): destination must be a destination URL \(postgres:\/\/.*duckdb:<file> or sqlite:<file>\), got "mysql:\/\/h\/db"$/);
    await expect(runSync(connector, { destination: "sqlite:a.db", warehouse: "b.db" })).rejects.toThrow("runSync(): give `destination` or `warehouse`, not both");
  });

  it("keepRows: false reads nothing back, for a sync too large to hold", async () => {
    const r = await runSync(connector, { keepRows: false });
    expect(r.state).toEqual({ page: 2 });
    expect(() => r.rows("items")).toThrow("runSync() was given keepRows: false, so it read no rows back");
  });

  it("an unknown table names the tables there are", async () => {
    const r = await runSync(connector);
    expect(() => r.rows("nope")).toThrow('no table "nope" in the warehouse; the tables are: events, items');
  });
});
