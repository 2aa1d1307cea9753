import fs from "node:fs";
import path from "node:path";
import { execSync } from "node:child_process";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/verify/random.js";
import { cli, fixtureProject, makeProject, query, readState, startDebug, tempDir, waitFor } from "../helpers.js";
import { mountsRun } from "../support/expected.js";

// 200 checkpoints, as many kill points as at full volume (the seeded points are the same), with a
// quarter of the rows: the properties depend on where the kill falls among checkpoints, not on how many rows.
const TOTAL = 50_000;
const EVERY = 250;
const CRASH_ENV = { CRASH_TOTAL: String(TOTAL), CRASH_EVERY: String(EVERY) };

describe("crash safety", () => {
  const seed = Number(process.env.CRASH_SEED ?? 20261124);
  it(`survives SIGKILL at 20 random points (seed ${seed}): the state is never ahead of the data, and a resume completes`, async () => {
    const rand = mulberry32(seed);
    const dir = fixtureProject("crash");
    const warehouse = path.join(dir, "files", "warehouse.db");
    const seen = new Set<string>();
    for (let trial = 0; trial < 20; trial++) {
      fs.rmSync(path.join(dir, "files"), { recursive: true, force: true });
      // Killed as soon as a seeded checkpoint is reported (0: as soon as the run starts), so the
      // kill lands mid-sync however fast or loaded the machine is.
      const after = Math.floor(rand() * (TOTAL / EVERY));
      const run = startDebug(dir, [], CRASH_ENV);
      try {
        await waitFor(() => (after === 0 ? run.stderr().includes("Connector:") : run.stderr().includes(`Checkpoint ${after}:`)));
      } finally {
        run.child.kill("SIGKILL");
        await run.exited;
      }
      const where = `trial ${trial}, killed after checkpoint ${after} was reported (seed ${seed})`;

      const stateFile = path.join(dir, "files", "state.json");
      const emitted = fs.existsSync(stateFile) ? (JSON.parse(fs.readFileSync(stateFile, "utf8")) as { emitted: number }).emitted : 0;
      let rows = 0;
      if (fs.existsSync(warehouse)) {
        const db = new Database(warehouse);
        expect(db.pragma("integrity_check", { simple: true }), where).toBe("ok");
        const hasRows = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'rows'").get();
        rows = hasRows ? (db.prepare("SELECT count(*) AS n FROM rows").get() as { n: number }).n : 0;
        // A kill between creating the file and its first commit leaves a warehouse with no tables at all.
        const hasLog = db.prepare("SELECT 1 FROM sqlite_master WHERE name = '_connector_checkpoints'").get();
        const seq = hasLog ? (db.prepare("SELECT coalesce(max(seq), 0) AS s FROM _connector_checkpoints").get() as { s: number }).s : 0;
        expect(rows, `${where}: rows match the checkpoint log`).toBe(seq * EVERY);
        db.close();
      }
      expect([emitted, emitted + EVERY], `${where}: ${rows} rows for state ${emitted}`).toContain(rows);
      seen.add(rows === 0 ? "none" : rows === TOTAL ? "all" : "some");

      const resumed = await cli(["debug"], { cwd: dir, env: CRASH_ENV });
      expect(resumed.exitCode, `${where}: ${resumed.stderr}`).toBe(0);
      expect(query(dir, "SELECT count(*) AS n, count(DISTINCT id) AS ids, max(id) AS top FROM rows"), where).toEqual([{ n: TOTAL, ids: TOTAL, top: TOTAL - 1 }]);
      expect(readState(dir)).toEqual({ emitted: TOTAL });
    }
    // The kills must land mid-sync, or the trials prove nothing.
    expect(seen.has("some")).toBe(true);
  }, 360_000); // 20 kills and 20 resumes: it runs beside another file now, on a machine that may be loaded

  for (const [signal, code, text] of [
    ["SIGINT", 130, "Sync FAILED: interrupted"],
    ["SIGTERM", 143, "Sync FAILED: interrupted (SIGTERM)"],
  ] as const) {
    it(`${signal} stops even a connector stuck in a synchronous loop: rollback, last checkpoint kept, exit ${code}`, async () => {
      const dir = makeProject({
        "connector.ts": `import { op, log } from "connector-sdk";
export default { update() {
  op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); op.upsert("t", { id: 2 });
  log.info("spinning");
  for (;;) {}
} };
`,
      });
      const run = startDebug(dir);
      await waitFor(() => run.stderr().includes("spinning"));
      run.child.kill(signal);
      expect(await run.exited).toBe(code);
      expect(run.stderr()).toContain(text);
      expect(readState(dir)).toEqual({ n: 1 });
      expect(query(dir, "SELECT id FROM t")).toEqual([{ id: 1 }]);
      expect(fs.existsSync(path.join(dir, "files", ".connector.lock"))).toBe(false);
    });
  }
});

const faulty = (body: string, head = "") => `import { op } from "connector-sdk";
${head}
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  async update() {
    op.upsert("t", { id: 1 });
    op.checkpoint({ n: 1 });
    op.upsert("t", { id: 2 });
${body}
  },
};
`;

describe("connectors that go wrong", () => {
  const cases: [string, string, RegExp, string[]?][] = [
    ["throws synchronously", `    throw new TypeError("bad record");`, /Sync FAILED: bad record\n\s+at Object\.update \(.*connector\.ts:9:\d+\)/],
    ["rejects", `    await Promise.reject(new Error("api said no"));`, /Sync FAILED: api said no\n\s+at Object\.update \(.*connector\.ts:9:\d+\)/],
    [
      "leaves an unhandled rejection in a detached promise",
      `    void (async () => { throw new Error("detached failure"); })();\n    await new Promise((r) => setTimeout(r, 200));\n    op.checkpoint({ n: 2 });`,
      /Sync FAILED: a promise the connector did not await was rejected: detached failure/,
    ],
    ["calls process.exit()", `    process.exit(3);`, /Sync FAILED: the connector called process\.exit\(3\); return from update\(\) instead/],
    ["awaits a promise nothing will settle", `    await new Promise(() => {});`, /Sync FAILED: update\(\) never finished: it is waiting on a promise that nothing will ever settle/],
    ["throws in a timer callback", `    setTimeout(() => { throw new Error("late boom"); }, 10);\n    await new Promise((r) => setTimeout(r, 60_000));`, /Sync FAILED: the connector threw outside update\(\): late boom/],
  ];
  // "never returns, with --timeout" races the clock: it is in timeouts.test.ts, which runs alone.
  for (const [name, body, message, args] of cases) {
    it(`${name}: Sync FAILED with the cause, exit 1, last checkpoint intact`, async () => {
      const dir = makeProject({ "connector.ts": faulty(body) });
      const r = await cli(["debug", ...(args ?? [])], { cwd: dir, timeout: 30_000 });
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(readState(dir)).toEqual({ n: 1 });
      expect(query(dir, "SELECT id FROM t")).toEqual([{ id: 1 }]);
      expect(query(dir, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
    });
  }

  it("console.log from a connector goes to stderr, never into the --json report", async () => {
    const dir = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { console.log("chatty connector"); op.checkpoint({}); } };\n` });
    const r = await cli(["debug", "--json"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe("succeeded");
    expect(r.stderr).toContain("chatty connector");
  });
});

describe.skipIf(!mountsRun("test/e2e/faults.test.ts"))("a full disk and a read-only files/ (tmpfs mounts; needs root)", () => {
  it("a full disk fails the sync with the path, keeping the last checkpoint", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "blobs", primary_key: ["id"] }],
  update() {
    for (let i = 0; i < 100_000; i++) {
      op.upsert("blobs", { id: i, data: "x".repeat(4000) + i });
      if ((i + 1) % 20 === 0) op.checkpoint({ done: i + 1 });
    }
  },
};
`,
    });
    const files = path.join(dir, "files");
    fs.mkdirSync(files);
    execSync(`mount -t tmpfs -o size=3m tmpfs ${files}`);
    try {
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/Sync FAILED: .*(disk is full|ENOSPC|no space)/i);
      expect(r.stderr).toContain(files);
      const state = readState(dir) as { done: number };
      const { n } = query<{ n: number }>(dir, "SELECT count(*) AS n FROM blobs")[0]!;
      expect([state.done, state.done + 20]).toContain(n);
      expect(query(dir, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
    } finally {
      execSync(`umount ${files}`);
    }
  });

  it("a read-only files/ is refused with the path, and its contents are untouched", async () => {
    const dir = fixtureProject("fivetran/hello");
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
    const files = path.join(dir, "files");
    const before = fs.readFileSync(path.join(files, "state.json"), "utf8");
    execSync(`mount --bind ${files} ${files} && mount -o remount,ro,bind ${files}`);
    try {
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(files);
      expect(r.stderr).toMatch(/read-only|EROFS/i);
      expect(fs.readFileSync(path.join(files, "state.json"), "utf8")).toBe(before);
    } finally {
      execSync(`umount ${files}`);
    }
  });
});
