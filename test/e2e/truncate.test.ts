// Deferred truncate, as Fivetran 3.1: op.truncate records a point; rows last written before it
// are marked deleted only when the sync succeeds. A failed or killed sync deletes nothing, and
// the sync that resumes it applies the truncates its checkpoints committed.
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { cli, makeProject, query, readState, startDebug, waitFor } from "../helpers.js";
import { syncHere } from "../scenarios/destinations.js";

/**
 * Run 1 loads ids 1..10. Run 2 is a full reload: it truncates, re-upserts ids 1..5 and
 * checkpoints, then does what configuration.json's "after" says: nothing, throw, hang (to be
 * killed), or (with "early") throw before that checkpoint. A resumed run skips what is done.
 */
const reload = `import { Connector, op, log } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "items", primary_key: ["id"] }],
  async update(configuration: Record<string, string>, state: any) {
    if (!state.loaded) {
      for (let id = 1; id <= 10; id++) op.upsert("items", { id, v: "old" });
      op.checkpoint({ loaded: true });
      return;
    }
    if (!state.truncated) {
      op.truncate("items");
      for (let id = 1; id <= 5; id++) op.upsert("items", { id, v: "new" });
      if (configuration.after === "early") throw new Error("source failed before the checkpoint");
      op.checkpoint({ loaded: true, truncated: true });
    }
    if (configuration.after === "throw") throw new Error("source failed after the truncate");
    if (configuration.after === "hang") {
      log.info("waiting to be killed");
      await new Promise(() => setInterval(() => {}, 1000));
    }
    op.checkpoint({ loaded: true, truncated: true, done: true });
  },
});
`;

const configure = (dir: string, after: string): void => fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ after }));

const rows = (dir: string) => query<{ id: number; v: string; deleted: number }>(dir, "SELECT id, v, _fivetran_deleted AS deleted FROM items ORDER BY id");
const live = (dir: string) => rows(dir).filter((r) => r.deleted === 0).map((r) => r.id);
const pending = (dir: string) => query<{ table_name: string }>(dir, "SELECT table_name FROM _connector_truncates");

/** Run 1, a setup step: in this process (syncHere, as `connector debug` syncs), since what a test asserts is the run after it. */
async function loaded(): Promise<string> {
  const dir = makeProject({ "connector.ts": reload });
  configure(dir, "");
  const first = await syncHere(dir, "sqlite");
  expect(first.exitCode, first.stderr).toBe(0);
  expect(live(dir)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  return dir;
}

interface Report {
  status: string;
  counts: { truncates: number; truncatedRows: Record<string, number>; byTable: Record<string, { truncates: number }> };
}

describe("deferred truncate (Fivetran 3.1)", () => {
  it("truncate, re-upsert half, success: the other half is marked deleted, and the report says how many rows", async () => {
    const dir = await loaded();
    const syncedBefore = query(dir, "SELECT id, _fivetran_synced FROM items WHERE id > 5 ORDER BY id");
    const r = await cli(["debug", "--json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.counts.truncates).toBe(1);
    expect(report.counts.byTable.items!.truncates).toBe(1);
    expect(report.counts.truncatedRows).toEqual({ items: 5 });
    expect(rows(dir)).toEqual([
      ...[1, 2, 3, 4, 5].map((id) => ({ id, v: "new", deleted: 0 })),
      ...[6, 7, 8, 9, 10].map((id) => ({ id, v: "old", deleted: 1 })),
    ]);
    expect(pending(dir)).toEqual([]);
    // The rows are kept (soft delete) and _fivetran_synced is not bumped by the truncate.
    expect(query(dir, "SELECT id, _fivetran_synced FROM items WHERE id > 5 ORDER BY id")).toEqual(syncedBefore);

    // The summary names the truncate and the rows it marked.
    const again = await loaded();
    const text = await cli(["debug"], { cwd: again });
    expect(text.stderr).toMatch(/^Truncates\s+\| 1$/m);
    expect(text.stderr).toMatch(/^Table\s+Upserts\s+Updates\s+Deletes\s+Truncates\s+Rows truncated$/m);
    expect(text.stderr).toMatch(/^items\s+5\s+0\s+0\s+1\s+5$/m);
  });

  it("a failure after the truncate's checkpoint deletes nothing; the resumed sync applies the truncate", async () => {
    const dir = await loaded();
    configure(dir, "throw");
    const failed = await cli(["debug"], { cwd: dir });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain("Sync FAILED: source failed after the truncate");
    expect(failed.stderr).toContain("No row was marked deleted: truncates apply only when a sync succeeds.");
    // Ids 1..5 were re-upserted and committed by the checkpoint, but nothing is deleted.
    expect(rows(dir).map((r) => [r.id, r.v, r.deleted])).toEqual([
      ...[1, 2, 3, 4, 5].map((id) => [id, "new", 0]),
      ...[6, 7, 8, 9, 10].map((id) => [id, "old", 0]),
    ]);
    expect(pending(dir)).toEqual([{ table_name: "items" }]);
    expect(readState(dir)).toEqual({ loaded: true, truncated: true });

    // Failing again (it resumes after the truncate, so emits none) leaves the pending truncate alone.
    const again = await cli(["debug", "--json"], { cwd: dir });
    expect(again.exitCode).toBe(1);
    expect((JSON.parse(again.stdout) as Report).counts).toMatchObject({ truncates: 0, truncatedRows: {} });
    expect(pending(dir)).toEqual([{ table_name: "items" }]);
    expect(live(dir)).toHaveLength(10);

    // The resumed sync does not truncate again; the point its predecessor committed still applies.
    configure(dir, "");
    const resumed = await cli(["debug", "--json"], { cwd: dir });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout) as Report;
    expect(report.counts.truncates).toBe(0);
    expect(report.counts.truncatedRows).toEqual({ items: 5 });
    expect(live(dir)).toEqual([1, 2, 3, 4, 5]);
    expect(pending(dir)).toEqual([]);
    expect(readState(dir)).toEqual({ loaded: true, truncated: true, done: true });
  });

  it("a SIGKILL after the truncate deletes nothing; the next sync applies it", async () => {
    const dir = await loaded();
    configure(dir, "hang");
    const run = startDebug(dir);
    try {
      await waitFor(() => run.stderr().includes("waiting to be killed"));
      run.child.kill("SIGKILL");
      await run.exited;
    } finally {
      run.child.kill("SIGKILL");
    }
    expect(live(dir)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(query(dir, "SELECT count(*) AS n FROM items WHERE v = 'new'")).toEqual([{ n: 5 }]);
    expect(pending(dir)).toEqual([{ table_name: "items" }]);

    configure(dir, "");
    const resumed = await cli(["debug"], { cwd: dir });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(live(dir)).toEqual([1, 2, 3, 4, 5]);
    expect(pending(dir)).toEqual([]);
  });

  it("a truncate after the last checkpoint of a failed sync is rolled back; the connector emits it again", async () => {
    const dir = await loaded();
    configure(dir, "early");
    const failed = await cli(["debug"], { cwd: dir });
    expect(failed.exitCode).toBe(1);
    expect(pending(dir)).toEqual([]);
    expect(rows(dir).every((r) => r.v === "old" && r.deleted === 0)).toBe(true);
    expect(readState(dir)).toEqual({ loaded: true });

    configure(dir, "");
    const resumed = await cli(["debug", "--json"], { cwd: dir });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect((JSON.parse(resumed.stdout) as Report).counts).toMatchObject({ truncates: 1, truncatedRows: { items: 5 } });
    expect(live(dir)).toEqual([1, 2, 3, 4, 5]);
  });

  it("a truncate inside a sync of several checkpoints marks the rows written before it, in this run too, and no row after it", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }, { table: "other", primary_key: ["id"] }],
  update() {
    for (let id = 1; id <= 4; id++) op.upsert("t", { id, n: 1 });
    op.upsert("other", { id: 1 });
    op.checkpoint({ page: 1 });
    for (let id = 5; id <= 8; id++) op.upsert("t", { id, n: 2 });
    op.checkpoint({ page: 2 });
    op.truncate("t");
    op.upsert("t", { id: 2, n: 3 });
    op.update("t", { id: 3, n: 3 });
    op.delete("t", { id: 4 });
    op.checkpoint({ page: 3 });
    op.upsert("t", { id: 9, n: 4 });
    op.upsert("t", { id: 6, n: 4 });
    op.checkpoint({ page: 4 });
  },
};
`,
    });
    const r = await cli(["debug", "--json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.counts).toMatchObject({ truncates: 1, truncatedRows: { t: 4 } });
    // 1, 5, 7 and 8 were last written before the truncate; 2 and 6 were upserted after it, 3 updated after it; 4 was deleted after it.
    expect(query(dir, "SELECT id, n, _fivetran_deleted AS deleted FROM t ORDER BY id").map((x) => [x.id, x.n, x.deleted])).toEqual([
      [1, 1, 1],
      [2, 3, 0],
      [3, 3, 0],
      [4, 1, 1],
      [5, 2, 1],
      [6, 4, 0],
      [7, 2, 1],
      [8, 2, 1],
      [9, 4, 0],
    ]);
    expect(query(dir, "SELECT _fivetran_deleted AS deleted FROM other")).toEqual([{ deleted: 0 }]);
    // The checkpoints committed the truncate as pending: the history counts it where it happened.
    expect(JSON.parse(query<{ operations: string }>(dir, "SELECT operations FROM _connector_checkpoints WHERE seq = 3")[0]!.operations).t).toMatchObject({ truncates: 1 });
  });

  it("two truncates of one table, and a truncate before any row, in one sync", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  update() {
    op.truncate("t");
    op.upsert("t", { id: 1 });
    op.truncate("t");
    op.upsert("t", { id: 2 });
    op.truncate("t");
    op.upsert("t", { id: 3 });
    op.truncate("never_written");
    op.checkpoint({});
  },
};
`,
    });
    const r = await cli(["debug", "--json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Report).counts).toMatchObject({ truncates: 4, truncatedRows: { t: 2, never_written: 0 } });
    expect(query(dir, "SELECT id, _fivetran_deleted AS deleted FROM t ORDER BY id")).toEqual([
      { id: 1, deleted: 1 },
      { id: 2, deleted: 1 },
      { id: 3, deleted: 0 },
    ]);
  });

  it("a sync that never checkpoints still gets a run of its own, so the next sync's truncate covers its rows", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update(configuration: Record<string, string>) {
    op.truncate("t");
    for (const id of configuration.ids.split(",")) op.upsert("t", { id: Number(id) });
  },
};
`,
    });
    for (const ids of ["1,2,3", "1,2"]) {
      fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ ids }));
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
    }
    expect(query(dir, "SELECT id, _fivetran_deleted AS deleted FROM t ORDER BY id")).toEqual([
      { id: 1, deleted: 0 },
      { id: 2, deleted: 0 },
      { id: 3, deleted: 1 },
    ]);
    expect(query(dir, "SELECT run FROM _connector_runs ORDER BY run")).toEqual([{ run: 1 }, { run: 2 }]);
  });

  it("a warehouse written before deferred truncate: its first truncate adds _connector_generation, 0 in the old rows, and works", async () => {
    const dir = await loaded();
    // Fivetran's columns only, until a truncate needs the bookkeeping column.
    expect(query(dir, "SELECT count(*) AS n FROM pragma_table_info('items') WHERE name = '_connector_generation'")).toEqual([{ n: 0 }]);
    // As an earlier version left it: no truncate or run tables either.
    const Database = (await import("better-sqlite3")).default;
    const db = new Database(path.join(dir, "files", "warehouse.db"));
    db.exec("DROP TABLE _connector_truncates; DROP TABLE _connector_runs;");
    db.close();
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(query(dir, "SELECT type, \"notnull\" AS nn, dflt_value AS dflt FROM pragma_table_info('items') WHERE name = '_connector_generation'")).toEqual([
      { type: "INTEGER", nn: 1, dflt: "0" },
    ]);
    expect(live(dir)).toEqual([1, 2, 3, 4, 5]);
  });

  it("connector reset --table drops the table's pending truncates with its rows", async () => {
    const dir = await loaded();
    configure(dir, "throw");
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(1);
    expect(pending(dir)).toHaveLength(1);
    const reset = await cli(["reset", "--table", "items", "--yes"], { cwd: dir });
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(pending(dir)).toEqual([]);
  });

  it("connector verify passes on a truncating connector: interrupted reloads resume to the same rows", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update(configuration: unknown, state: { page?: number }) {
    // A full reload every sync: truncate, then pages of rows; the last page shrinks on a re-run.
    if (!state.page) op.truncate("t");
    for (let page = (state.page ?? 0) + 1; page <= 4; page++) {
      for (let i = 0; i < 3; i++) op.upsert("t", { id: page * 10 + i, page });
      op.checkpoint({ page });
    }
    op.checkpoint({});
  },
};
`,
    });
    const r = await cli(["verify", "--trials", "8", "--seed", "3", "--json"], { cwd: dir });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { passed: boolean; checks: { check: string; status: string }[] };
    expect(report.passed).toBe(true);
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ["baseline", "pass"],
      ["incremental", "pass"],
      ["interrupted", "pass"],
      ["reset", "pass"],
    ]);
  });
});

/** Rows of a DuckDB warehouse's table, by SQL. */
async function duck(dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path.join(dir, "files", "warehouse.duckdb"), { access_mode: "READ_ONLY" });
  const con = await instance.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

describe("deferred truncate on DuckDB", () => {
  it("success marks the rows before the point; a failure marks nothing and the resumed sync applies it", async () => {
    const dir = makeProject({ "connector.ts": reload });
    configure(dir, "");
    expect((await syncHere(dir, "duckdb")).exitCode).toBe(0);
    configure(dir, "throw");
    const failed = await cli(["debug"], { cwd: dir });
    expect(failed.exitCode).toBe(1);
    expect(await duck(dir, "SELECT count(*) FILTER (WHERE _fivetran_deleted) AS deleted, count(*) FILTER (WHERE v = 'new') AS new FROM tester.items")).toEqual([{ deleted: 0n, new: 5n }]);
    expect(await duck(dir, "SELECT table_name FROM _connector.truncates")).toEqual([{ table_name: "items" }]);
    configure(dir, "");
    const resumed = await cli(["debug", "--json"], { cwd: dir });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect((JSON.parse(resumed.stdout) as Report).counts.truncatedRows).toEqual({ items: 5 });
    expect(await duck(dir, "SELECT id, v, _fivetran_deleted AS deleted FROM tester.items ORDER BY id")).toEqual([
      ...[1, 2, 3, 4, 5].map((id) => ({ id: BigInt(id), v: "new", deleted: false })),
      ...[6, 7, 8, 9, 10].map((id) => ({ id: BigInt(id), v: "old", deleted: true })),
    ]);
    expect(await duck(dir, "SELECT count(*) AS n FROM _connector.truncates")).toEqual([{ n: 0n }]);
  });

  it("a DuckDB warehouse written before deferred truncate: its first truncate adds _connector_generation, 0 in the old rows", async () => {
    const dir = makeProject({ "connector.ts": reload });
    configure(dir, "");
    expect((await syncHere(dir, "duckdb")).exitCode).toBe(0);
    expect(await duck(dir, "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'items' AND column_name = '_connector_generation'")).toEqual([{ n: 0n }]);
    const instance = await DuckDBInstance.create(path.join(dir, "files", "warehouse.duckdb"));
    const con = await instance.connect();
    await con.run("DROP TABLE _connector.truncates; DROP TABLE _connector.runs");
    con.closeSync();
    instance.closeSync();
    const r = await cli(["debug", "--json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Report).counts.truncatedRows).toEqual({ items: 5 });
    expect(await duck(dir, "SELECT count(*) FILTER (WHERE _connector_generation = 0) AS old, count(*) FILTER (WHERE _fivetran_deleted) AS deleted FROM tester.items")).toEqual([{ old: 5n, deleted: 5n }]);
  });

  it("a truncate between upserts of one batch splits it: rows before are marked, rows after are not", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  update() {
    for (let id = 1; id <= 3; id++) op.upsert("t", { id });
    op.upsert("u", { id: 1 });
    op.truncate("t");
    op.upsert("t", { id: 4 });
    op.upsert("t", { id: 1 });
    op.truncate("u");
    op.checkpoint({});
  },
};
`,
    });
    const r = await cli(["debug", "--destination", "duckdb", "--json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Report).counts.truncatedRows).toEqual({ t: 2, u: 1 });
    expect(await duck(dir, "SELECT id, _fivetran_deleted AS deleted FROM tester.t ORDER BY id")).toEqual([
      { id: 1n, deleted: false },
      { id: 2n, deleted: true },
      { id: 3n, deleted: true },
      { id: 4n, deleted: false },
    ]);
  });
});
