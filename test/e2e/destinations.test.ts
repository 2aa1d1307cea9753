import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { catalog, DESTINATIONS, destinationEnv, duck, tableRows } from "../destinations.js";
import { mulberry32 } from "../../src/verify/random.js";
import { cli, fixtureProject, makeProject, readState, ROOT, startDebug, tempDir, waitFor, withEnv } from "../helpers.js";
import { syncHere } from "../scenarios/destinations.js";

/** Verify in every destination `connector debug` writes, and what DuckDB does its own way: its layout, widening, crash safety. The ports of Fivetran's examples and the validation scenarios run on every destination in every-destination.test.ts. */
const progress = (stderr: string, label: string): number => Number(new RegExp(`^${label}\\s*\\|\\s*([\\d,]+)$`, "m").exec(stderr)?.[1]?.replace(/,/g, "") ?? NaN);

for (const kind of DESTINATIONS) {
  describe(`${kind}: verify`, () => {
    for (const bug of ["timestamp-cursor", "cursor-before-upsert", "max-timestamp", "unstable-offset"]) {
      it(`catches the ${bug} bug and passes its corrected twin`, async () => {
        const run = (variant: string) => cli(["verify", path.join(ROOT, "test", "fixtures", "verify", bug, variant), "--seed", "7", "--json"], { cwd: tempDir(), env: destinationEnv(kind) });
        // Both at once: each verify spends most of its time waiting on its destination's commits, not on a core.
        const [buggy, fixed] = await Promise.all([run("buggy"), run("fixed")]);
        expect(buggy.exitCode, buggy.stderr).toBe(1);
        expect(JSON.parse(buggy.stdout).checks.find((c: { check: string }) => c.check === "interrupted").status).toBe("fail");
        expect(fixed.exitCode, fixed.stderr).toBe(0);
      });
    }
  });
}

describe("duckdb: verify reads each scratch warehouse back through its writer thread", () => {
  it("bytes and integers beyond 2^53 compare equal between runs: the baseline passes, not as a non-deterministic source", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"], columns: { id: "LONG", raw: "BINARY", big: "LONG" } }],
  update(c: unknown, state: { next?: number }) {
    for (let id = state.next ?? 0; id < 6; id++) {
      op.upsert("t", { id, raw: new Uint8Array([id, 0, 255]), big: 9007199254740993n + BigInt(id) });
      if (id % 2 === 1) op.checkpoint({ next: id + 1 });
    }
  },
};
`,
    });
    const r = await cli(["verify", dir, "--seed", "5", "--json"], { cwd: dir, env: destinationEnv("duckdb") });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.checks.map((c: { check: string; status: string }) => [c.check, c.status])).toEqual([
      ["baseline", "pass"],
      ["incremental", "pass"],
      ["interrupted", "pass"],
      ["reset", "pass"],
    ]);
  });
});

describe("duckdb: Fivetran's layout", () => {
  it("tables in schema tester with Fivetran's DuckDB types, bookkeeping in schema _connector, and the project remembers its destination", async () => {
    const dir = fixtureProject("fivetran/specified_types");
    expect((await cli(["debug", "--destination", "duckdb"], { cwd: dir })).exitCode).toBe(0);
    const types = await duck<{ column_name: string; data_type: string }>(dir, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'tester' AND table_name = 'specified'");
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.data_type]))).toEqual({
      _bool: "BOOLEAN",
      _short: "SMALLINT",
      _int: "INTEGER",
      _long: "BIGINT",
      _dec: "DECIMAL(15,2)",
      _float: "FLOAT",
      _double: "DOUBLE",
      _ndate: "DATE",
      _ndatetime: "TIMESTAMP",
      _utc: "TIMESTAMP WITH TIME ZONE",
      _binary: "BLOB",
      _xml: "VARCHAR",
      _str: "VARCHAR",
      _json: "JSON",
      _null: "VARCHAR",
      _fivetran_synced: "TIMESTAMP WITH TIME ZONE",
      _fivetran_deleted: "BOOLEAN",
    });
    expect(await duck(dir, "SELECT count(*)::INTEGER AS n FROM tester.specified")).toEqual([{ n: 1 }]);
    expect(await duck(dir, "SELECT count(*)::INTEGER AS n FROM _connector.checkpoints")).toEqual([{ n: 1 }]);
    // No flag needed after the first run; the other kind is refused while the data is in DuckDB.
    const again = await cli(["debug"], { cwd: dir });
    expect(again.stderr).toContain("(DuckDB, schema tester)");
    const other = await cli(["debug", "--destination", "sqlite"], { cwd: dir });
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toContain("This project's data is in DuckDB");
    expect(fs.existsSync(path.join(dir, "files", "warehouse.db"))).toBe(false);
  });

  // Each sequence is sent in order, with a checkpoint between values, so that every widening converts stored rows.
  const SEQUENCES: [string, string][] = [
    ["LONG, DOUBLE, STRING", "1, 2.5, 'x'"],
    ["STRING first", "'x', 2.5, 1"],
    ["BOOLEAN and LONG", "true, 5, false"],
    ["beyond 2^53, then a fraction", "9007199254740993n, 1.5"],
    ["LONG and a big bigint (DECIMAL)", "7, 123456789012345678901234567890n"],
    ["bytes, then text", "new Uint8Array([0, 1, 255]), 'z'"],
    ["a Date, then text", "new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), 'later'"],
    ["JSON, then text", "({ a: [1, 2] }), 'plain'"],
  ];
  for (const [what, values] of SEQUENCES) {
    it(`widening converts stored values by the same rules as SQLite: ${what}`, async () => {
      const dir = fixtureProject("fivetran/hello");
      fs.writeFileSync(
        path.join(dir, "connector.ts"),
        `import { op } from "connector-sdk";\nexport default { update() { [${values}].forEach((v, i) => { op.upsert("w", { id: i + 1, v }); op.checkpoint({ n: i }); }); } };\n`,
      );
      const rows: Record<string, unknown[]> = {};
      for (const kind of DESTINATIONS) {
        fs.rmSync(path.join(dir, "files"), { recursive: true, force: true });
        // In this process (runSync into the project's warehouse file): what is compared is the destinations' rows, not the CLI's output.
        const r = await syncHere(dir, kind);
        expect(r.exitCode, r.stderr).toBe(0);
        rows[kind] = (await tableRows(dir, kind, "w", ["_fivetran_synced", "_fivetran_id"])).map((r) => r.v);
        rows[`${kind} types`] = [(await catalog(dir, kind)).w!.v];
      }
      expect(rows.duckdb).toEqual(rows.sqlite);
      expect(rows["duckdb types"]).toEqual(rows["sqlite types"]);
    });
  }
});


describe("duckdb: crash safety", () => {
  // 200 checkpoints (the same seeded kill points as at full volume) with a quarter of the rows:
  // 50,000 rows still keep several times the writer's 16,384-operation in-flight window.
  const TOTAL = 50_000;
  const EVERY = 250;
  const env = { CRASH_TOTAL: String(TOTAL), CRASH_EVERY: String(EVERY) };
  // What costs is DuckDB's commit per checkpoint (about 20 ms), not the rows. The killed run keeps the 200 checkpoints;
  // its resume only has to converge, so it checkpoints every 5,000 rows (it starts at a multiple of 250; the last is 50,000).
  const resumeEnv = { CRASH_TOTAL: String(TOTAL), CRASH_EVERY: String(TOTAL / 10) };
  const seed = Number(process.env.CRASH_SEED ?? 20261125);

  it(`survives SIGKILL at 10 seeded points (seed ${seed}): the file opens, the state is never ahead of the data, and a resume converges`, async () => {
    const rand = mulberry32(seed);
    const dir = fixtureProject("crash");
    const seen = new Set<string>();
    for (let trial = 0; trial < 10; trial++) {
      fs.rmSync(path.join(dir, "files"), { recursive: true, force: true });
      const after = Math.floor(rand() * (TOTAL / EVERY - 20));
      const run = startDebug(dir, ["--destination", "duckdb"], env);
      try {
        await waitFor(() => (after === 0 ? run.stderr().includes("Connector:") : run.stderr().includes(`Checkpoint ${after}:`)), 60_000);
      } finally {
        run.child.kill("SIGKILL");
        await run.exited;
      }
      const where = `trial ${trial}, killed after checkpoint ${after} was reported (seed ${seed})`;
      const stateFile = path.join(dir, "files", "state.json");
      const emitted = fs.existsSync(stateFile) ? (JSON.parse(fs.readFileSync(stateFile, "utf8")) as { emitted: number }).emitted : 0;
      let rows = 0;
      if (fs.existsSync(path.join(dir, "files", "warehouse.duckdb"))) {
        const tables = await duck<{ t: string }>(dir, "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables");
        const names = tables.map((t) => t.t);
        rows = names.includes("tester.rows") ? Number((await duck<{ n: number }>(dir, "SELECT count(*)::INTEGER AS n FROM tester.rows"))[0]!.n) : 0;
        const seq = names.includes("_connector.checkpoints") ? Number((await duck<{ s: number }>(dir, "SELECT coalesce(max(seq), 0)::INTEGER AS s FROM _connector.checkpoints"))[0]!.s) : 0;
        expect(rows, `${where}: rows match the checkpoint log`).toBe(seq * EVERY);
      }
      expect([emitted, emitted + EVERY], `${where}: ${rows} rows for state ${emitted}`).toContain(rows);
      seen.add(rows === 0 ? "none" : rows === TOTAL ? "all" : "some");

      // Only the killed run must be a process of its own. The first resume is the CLI's too; the others sync in
      // this process, which loads DuckDB and starts its writer thread once for the file, not once per trial.
      const resumed = trial === 0 ? await cli(["debug"], { cwd: dir, env: resumeEnv }) : await withEnv(resumeEnv, () => syncHere(dir, "duckdb"));
      expect(resumed.exitCode, `${where}: ${resumed.stderr}`).toBe(0);
      expect(await duck(dir, "SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids, max(id)::INTEGER AS top FROM tester.rows"), where).toEqual([{ n: TOTAL, ids: TOTAL, top: TOTAL - 1 }]);
      expect(readState(dir)).toEqual({ emitted: TOTAL });
    }
    expect(seen.has("some")).toBe(true);
  }, 600_000);

  it("a connector over --memory-limit right after a checkpoint: the state file holds that checkpoint, as the warehouse does", async () => {
    const dir = fixtureProject("fivetran/hello");
    // The worker never handles the writer's acknowledgement: it allocates without giving control back until V8 stops it.
    fs.writeFileSync(
      path.join(dir, "connector.ts"),
      `import { op } from "connector-sdk";\nexport default { update() {\n  op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); op.upsert("t", { id: 2 });\n  const keep = []; for (;;) keep.push("x".repeat(64) + keep.length);\n} };\n`,
    );
    const r = await cli(["debug", "--destination", "duckdb", "--memory-limit", "64MB"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain("Sync FAILED: memory limit of 64 MB exceeded");
    expect(await duck(dir, "SELECT id::INTEGER AS id FROM tester.t")).toEqual([{ id: 1 }]);
    expect(readState(dir)).toEqual({ n: 1 });
    expect(progress(r.stderr, "Checkpoints")).toBe(1);
    const report = fs.readdirSync(path.join(dir, "crash-reports"));
    expect(JSON.parse(fs.readFileSync(path.join(dir, "crash-reports", report[0]!), "utf8")).lastCheckpoint).toMatchObject({ seq: 1, state: { n: 1 }, committedBy: "this run" });
  });

  for (const [signal, code, text] of [
    ["SIGINT", 130, "Sync FAILED: interrupted"],
    ["SIGTERM", 143, "Sync FAILED: interrupted (SIGTERM)"],
  ] as const) {
    it(`${signal} stops a connector stuck in a loop and rolls back to the last checkpoint, exit ${code}`, async () => {
      const dir = fixtureProject("fivetran/hello");
      fs.writeFileSync(
        path.join(dir, "connector.ts"),
        `import { op, log } from "connector-sdk";\nexport default { update() {\n  op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); op.upsert("t", { id: 2 });\n  log.info("spinning");\n  for (;;) {}\n} };\n`,
      );
      const run = startDebug(dir, ["--destination", "duckdb"]);
      try {
        await waitFor(() => run.stderr().includes("spinning"));
        run.child.kill(signal);
        expect(await run.exited).toBe(code);
      } finally {
        run.child.kill("SIGKILL");
      }
      expect(run.stderr()).toContain(text);
      // The rows are at the last checkpoint, and so is the state file: the worker, stuck in its loop, never handled
      // the writer's acknowledgement, so the main thread persists the state the writer says it committed.
      expect(await duck(dir, "SELECT id::INTEGER AS id FROM tester.t")).toEqual([{ id: 1 }]);
      expect(readState(dir)).toEqual({ n: 1 });
      expect(progress(run.stderr(), "Upserts")).toBe(1);
      expect(progress(run.stderr(), "Checkpoints")).toBe(1);
      expect(fs.existsSync(path.join(dir, "files", ".connector.lock"))).toBe(false);
      // The resume replays nothing that checkpoint committed.
      fs.writeFileSync(path.join(dir, "connector.ts"), `import { op } from "connector-sdk";\nexport default { update(c, s) { if (!s.n) op.upsert("t", { id: 1 }); op.upsert("t", { id: 2 }); op.checkpoint({ n: 2 }); } };\n`);
      // In this process: what is asserted is the rows the resume writes, not the CLI's output (shown by the run above).
      const resumed = await syncHere(dir, "duckdb");
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(resumed.inProcess!.counts.upserts).toBe(1);
    });
  }
});
