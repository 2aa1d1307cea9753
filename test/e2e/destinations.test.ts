import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { catalog, DESTINATIONS, destinationEnv, duck, tableRows } from "../destinations.js";
import { mulberry32 } from "../../src/verify/random.js";
import { cli, fixtureProject, readState, ROOT, startDebug, tempDir, waitFor } from "../helpers.js";

/** The same connectors, the same outcomes, in every destination: the ports of Fivetran's examples, the validation scenarios, the types, verify. */
const progress = (stderr: string, label: string): number => Number(new RegExp(`^${label}\\s*\\|\\s*([\\d,]+)$`, "m").exec(stderr)?.[1]?.replace(/,/g, "") ?? NaN);
const T = (minute: number): string => `2024-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`;

for (const kind of DESTINATIONS) {
  const debug = (dir: string, args: string[] = []) => cli(["debug", ...args], { cwd: dir, env: destinationEnv(kind) });

  describe(`${kind}: ports of Fivetran's examples`, () => {
    it("hello: one keyless row with a 32-digit _fivetran_id", async () => {
      const dir = fixtureProject("fivetran/hello");
      const r = await debug(dir);
      expect(r.exitCode, r.stderr).toBe(0);
      expect([progress(r.stderr, "Upserts"), progress(r.stderr, "SchemaChanges"), progress(r.stderr, "Checkpoints")]).toEqual([1, 1, 1]);
      const rows = await tableRows(dir, kind, "hello");
      expect(rows).toEqual([{ _fivetran_id: expect.stringMatching(/^[0-9a-f]{32}$/), message: "hello, world!", _fivetran_deleted: 0 }]);
      expect((await catalog(dir, kind)).hello).toEqual({ _fivetran_id: "STRING", message: "STRING" });
    });

    it("simple_three_step_cursor: three runs add 10, 20, 30; the failing fourth run changes nothing", async () => {
      const dir = fixtureProject("fivetran/simple_three_step_cursor");
      for (const n of [1, 2, 3]) {
        const r = await debug(dir);
        expect(r.exitCode, r.stderr).toBe(0);
        expect(readState(dir)).toEqual({ cursor: n });
      }
      const before = await tableRows(dir, kind, "hello_world");
      expect(before.map((r) => r.id)).toEqual([10, 20, 30]);
      const fourth = await debug(dir);
      expect(fourth.exitCode).toBe(1);
      expect(fourth.stderr).toContain("Sync FAILED: simulated failure on the fourth run");
      expect(readState(dir)).toEqual({ cursor: 3 });
      expect(await tableRows(dir, kind, "hello_world")).toEqual(before);
    });

    it("three_operations: upserts, a partial update that keeps val2, a soft delete", async () => {
      const dir = fixtureProject("fivetran/three_operations");
      const r = await debug(dir);
      expect(r.exitCode, r.stderr).toBe(0);
      const rows = (await tableRows(dir, kind, "three")).sort((a, b) => Number(a.val_2) - Number(b.val_2));
      expect(rows.map((r) => [r.val_1, r.val_2, r._fivetran_deleted])).toEqual([
        [rows[0]!.val_1, 1, 0],
        ["abc", 2, 0],
        [rows[2]!.val_1, 3, 1],
      ]);
    });

    it("truncate_operation: what was there before the truncate is deleted; later upserts stay live", async () => {
      const dir = fixtureProject("fivetran/truncate_operation");
      const r = await debug(dir);
      expect(r.exitCode, r.stderr).toBe(0);
      expect((await tableRows(dir, kind, "items")).map((r) => [r.id, r.name, r._fivetran_deleted])).toEqual([
        [1, "apple v2", 0],
        [2, "banana", 1],
        [3, "cherry", 1],
        [4, "date", 0],
        [5, "elderberry", 1],
      ]);
    });

    it("specified_types: every declared type read back exactly", async () => {
      const dir = fixtureProject("fivetran/specified_types");
      const r = await debug(dir);
      expect(r.exitCode, r.stderr).toBe(0);
      const [row] = await tableRows(dir, kind, "specified");
      expect({ ...row, _binary: (row!._binary as Buffer).toString("hex"), _json: JSON.parse(row!._json as string) }).toEqual({
        _bool: 1,
        _short: 15,
        _int: 42,
        _long: 9007199254740993n,
        _dec: "105.34",
        _float: 10.5,
        _double: 1e-7,
        _ndate: "2007-12-03",
        _ndatetime: "2007-12-03T10:15:30",
        _utc: "2007-12-03T10:15:30.123Z",
        _binary: "000102ff",
        _xml: "<tag>This is XML</tag>",
        _str: "This is a string",
        _json: { a: 10, nested: [1, "two"] },
        _null: null,
        _fivetran_deleted: 0,
      });
    });

    it("unspecified_types: undeclared columns are inferred, strings never sniffed, a null column never made", async () => {
      const dir = fixtureProject("fivetran/unspecified_types");
      const r = await debug(dir);
      expect(r.exitCode, r.stderr).toBe(0);
      expect((await catalog(dir, kind)).unspecified).toEqual({
        _bool: "BOOLEAN",
        _short: "LONG",
        _long: "LONG",
        _dec: "DOUBLE",
        _ndate: "STRING",
        _utc: "STRING",
        _binary: "BINARY",
        _str: "STRING",
        _json: "JSON",
      });
    });

    it("tracking_tables: keyless tables a, b, c; a second run duplicates nothing", async () => {
      const dir = fixtureProject("fivetran/tracking_tables");
      expect((await debug(dir)).exitCode).toBe(0);
      expect((await debug(dir)).exitCode).toBe(0);
      for (const t of ["a", "b", "c"]) expect(await tableRows(dir, kind, t)).toHaveLength(1);
    });
  });

  describe(`${kind}: state validation scenarios`, () => {
    it("initial, incremental with changes and a delete, idle, and a re-sync that reproduces the data", async () => {
      const dir = fixtureProject("source-cursor");
      const source = (records: object[]) => fs.writeFileSync(path.join(dir, "source.json"), JSON.stringify(records));
      const contents = async () => (await tableRows(dir, kind, "users")).map((r) => ({ id: r.id, name: r.name, updated_at: r.updated_at, deleted: r._fivetran_deleted }));
      source([
        { id: 1, name: "ada", updated_at: T(1) },
        { id: 2, name: "bob", updated_at: T(2) },
        { id: 3, name: "cy", updated_at: T(2) },
      ]);
      expect((await debug(dir)).exitCode).toBe(0);
      expect(await contents()).toHaveLength(3);
      source([
        { id: 1, name: "ada", updated_at: T(5), deleted: true },
        { id: 2, name: "bobby", updated_at: T(3) },
        { id: 3, name: "cy", updated_at: T(2) },
        { id: 4, name: "dee", updated_at: T(4) },
      ]);
      const incremental = await debug(dir);
      expect([progress(incremental.stderr, "Upserts"), progress(incremental.stderr, "Deletes")]).toEqual([2, 1]);
      const after = await contents();
      expect(after).toEqual([
        { id: 1, name: "ada", updated_at: T(1), deleted: 1 },
        { id: 2, name: "bobby", updated_at: T(3), deleted: 0 },
        { id: 3, name: "cy", updated_at: T(2), deleted: 0 },
        { id: 4, name: "dee", updated_at: T(4), deleted: 0 },
      ]);
      expect(progress((await debug(dir)).stderr, "Upserts")).toBe(0);
      expect(await contents()).toEqual(after);
      fs.rmSync(path.join(dir, "files"), { recursive: true });
      expect((await debug(dir)).exitCode).toBe(0);
      expect(await contents()).toEqual(after.filter((r) => r.id !== 1));
      expect(readState(dir)).toEqual({ cursor: { updated_at: T(5), id: 1 } });
    });
  });

  describe(`${kind}: verify`, () => {
    for (const bug of ["timestamp-cursor", "cursor-before-upsert", "max-timestamp", "unstable-offset"]) {
      it(`catches the ${bug} bug and passes its corrected twin`, async () => {
        const run = (variant: string) => cli(["verify", path.join(ROOT, "test", "fixtures", "verify", bug, variant), "--seed", "7", "--json"], { cwd: tempDir(), env: destinationEnv(kind) });
        const buggy = await run("buggy");
        expect(buggy.exitCode, buggy.stderr).toBe(1);
        expect(JSON.parse(buggy.stdout).checks.find((c: { check: string }) => c.check === "interrupted").status).toBe("fail");
        const fixed = await run("fixed");
        expect(fixed.exitCode, fixed.stderr).toBe(0);
      });
    }
  });
}

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
        const r = await cli(["debug", "--destination", kind], { cwd: dir });
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

      const resumed = await cli(["debug"], { cwd: dir, env });
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
      const resumed = await cli(["debug"], { cwd: dir });
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(progress(resumed.stderr, "Upserts")).toBe(1);
    });
  }
});
