import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cli, makeProject, query, readState, startDebug, stripVT, waitFor } from "../helpers.js";

const simple = (body: string, head = `import { Connector, op, log } from "connector-sdk";`): string => `${head}\nexport default new Connector({\n  async update(configuration, state) {\n${body}\n  },\n});\n`;

describe("connector debug: module forms", () => {
  const cases: [string, string, string][] = [
    ["connector.ts, default Connector", "connector.ts", simple(`op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 });`)],
    [
      "connector.mts, export named connector",
      "connector.mts",
      `import { Connector, op } from "connector-sdk";\nexport const connector = new Connector({ update() { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); } });\n`,
    ],
    [
      "connector.js, plain object",
      "connector.js",
      `import { op } from "connector-sdk";\nexport default { update() { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); } };\n`,
    ],
    [
      "connector.mjs, generator update with yield",
      "connector.mjs",
      `import { op } from "connector-sdk";\nexport default { *update() { yield op.upsert("t", { id: 1 }); yield op.checkpoint({ n: 1 }); } };\n`,
    ],
    [
      "connector.ts, async generator update",
      "connector.ts",
      `import { Connector, op } from "connector-sdk";\nexport default new Connector({ async *update() { await Promise.resolve(); yield op.upsert("t", { id: 1 }); yield op.checkpoint({ n: 1 }); } });\n`,
    ],
  ];
  for (const [name, file, source] of cases) {
    it(`loads ${name}, resolving connector-sdk without node_modules`, async () => {
      const dir = makeProject({ [file]: source });
      expect(fs.existsSync(path.join(dir, "node_modules"))).toBe(false);
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain(`Connector: ${path.join(dir, file)}`);
      expect(readState(dir)).toEqual({ n: 1 });
      expect(query(dir, "SELECT count(*) AS n FROM t")).toEqual([{ n: 1 }]);
    });
  }

  it("prefers connector.ts over connector.js", async () => {
    const dir = makeProject({
      "connector.ts": simple(`op.checkpoint({ from: "ts" });`),
      "connector.js": `export default { update() { throw new Error("js was loaded"); } };`,
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(readState(dir)).toEqual({ from: "ts" });
  });

  it("refuses a folder with no connector, exit 2", async () => {
    const dir = makeProject({ "README.md": "nothing here" });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/No connector in .*connector\.ts, connector\.mts, connector\.js, connector\.mjs/);
  });

  it("refuses a module whose export is not a connector, naming the file and what it found", async () => {
    const dir = makeProject({ "connector.ts": `export const answer = 42;\n` });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${path.join(dir, "connector.ts")} does not export a connector`);
    expect(r.stderr).toContain("answer (42)");
  });
});

describe("connector debug: state and configuration files", () => {
  it("--state reads that file and rewrites it at every checkpoint, leaving files/state.json alone", async () => {
    const dir = makeProject({
      "connector.ts": simple(`op.checkpoint({ n: (state.n ?? 0) + 1 }); op.checkpoint({ n: (state.n ?? 0) + 2 });`),
      "custom.json": JSON.stringify({ n: 10 }),
    });
    const r = await cli(["debug", "--state", "custom.json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Previous state:\n{\n  "n": 10\n}`);
    expect(readState(dir, "custom.json")).toEqual({ n: 12 });
    expect(fs.existsSync(path.join(dir, "files", "state.json"))).toBe(false);
  });

  it("CONNECTOR_STATE names the state file when --state is absent", async () => {
    const dir = makeProject({ "connector.ts": simple(`op.checkpoint({ n: (state.n ?? 0) + 1 });`), "s.json": `{"n": 5}` });
    const r = await cli(["debug"], { cwd: dir, env: { CONNECTOR_STATE: path.join(dir, "s.json") } });
    expect(r.exitCode).toBe(0);
    expect(readState(dir, "s.json")).toEqual({ n: 6 });
  });

  it("a missing --state file is an error, never a silent first run", async () => {
    const dir = makeProject({ "connector.ts": simple(`op.checkpoint({ n: 1 });`) });
    const r = await cli(["debug", "--state", "nope.json"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("State file not found:");
    expect(r.stderr).toContain("nope.json");
    expect(fs.existsSync(path.join(dir, "files", "warehouse.db"))).toBe(false);
  });

  it("a corrupt state file stops the run with the file named, and is not overwritten", async () => {
    const dir = makeProject({ "connector.ts": simple(`op.checkpoint({ n: 1 });`), "files/state.json": `{"n": 1,` });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/State file .*state\.json is not valid JSON \(line 1, column \d+/);
    expect(r.stderr).toContain("connector reset");
    expect(fs.readFileSync(path.join(dir, "files", "state.json"), "utf8")).toBe(`{"n": 1,`);
  });

  it("reads configuration.json by default, --configuration and CONNECTOR_CONFIGURATION by name", async () => {
    const dir = makeProject({
      "connector.ts": simple(`op.checkpoint({ region: configuration.region });`),
      "configuration.json": `{"region": "default"}`,
      "other.json": `{"region": "flag"}`,
      "env.json": `{"region": "env"}`,
    });
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
    expect(readState(dir)).toEqual({ region: "default" });
    expect((await cli(["debug"], { cwd: dir, env: { CONNECTOR_CONFIGURATION: path.join(dir, "env.json") } })).exitCode).toBe(0);
    expect(readState(dir)).toEqual({ region: "env" });
    expect((await cli(["debug", "--configuration", "other.json"], { cwd: dir, env: { CONNECTOR_CONFIGURATION: path.join(dir, "env.json") } })).exitCode).toBe(0);
    expect(readState(dir)).toEqual({ region: "flag" });
  });

  it("rejects a configuration value that is not a string without echoing secrets", async () => {
    const dir = makeProject({
      "connector.ts": simple(`op.checkpoint({});`),
      "configuration.json": JSON.stringify({ api_token: 12345678, page_size: 10 }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("page_size: must be a string, found 10");
    expect(r.stderr).toContain("api_token: must be a string, found a number");
    expect(r.stderr).not.toContain("12345678");
  });

  it("a state file without the warehouse it belongs to: a warning that the rows before it are not loaded, in debug and in run into a new file, and none once the warehouse has a checkpoint", async () => {
    const dir = makeProject({
      "connector.mjs": `import { op } from "connector-sdk";\nexport default { update(c, state) { const from = state.n ?? 0; for (let i = from; i < from + 3; i++) op.upsert("t", { id: i }); op.checkpoint({ n: from + 3 }); } };\n`,
    });
    const first = await cli(["debug", "--json"], { cwd: dir });
    expect(JSON.parse(first.stdout).warnings).toEqual([]);
    fs.rmSync(path.join(dir, "files", "warehouse.db"));
    const warning = "holds no checkpoint yet, so what the source gave before that state is not loaded into it";
    const again = await cli(["debug"], { cwd: dir });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain(`this sync starts from the state in ${path.join(dir, "files", "state.json")}, but ${path.join(dir, "files", "warehouse.db")} ${warning}`);
    expect(query(dir, "SELECT id FROM t ORDER BY id")).toEqual([{ id: 3 }, { id: 4 }, { id: 5 }]);
    const next = await cli(["debug", "--json"], { cwd: dir });
    expect(JSON.parse(next.stdout).warnings).toEqual([]);
    const run = await cli(["run", "--destination", "sqlite:prod.db"], { cwd: dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`prod.db ${warning}`);
  });

  it("a project directory given as an argument works from anywhere", async () => {
    const dir = makeProject({ "connector.ts": simple(`op.upsert("t", { id: 1 }); op.checkpoint({ ok: true });`) });
    const r = await cli(["debug", dir], { cwd: path.dirname(dir) });
    expect(r.exitCode).toBe(0);
    expect(readState(dir)).toEqual({ ok: true });
  });
});

describe("connector debug: output", () => {
  it("--json prints one run report on stdout and nothing else there", async () => {
    const dir = makeProject({ "connector.ts": simple(`op.upsert("users", { id: 1 }); op.upsert("users", { id: 2 }); op.delete("users", { _fivetran_id: "x" }); op.checkpoint({ c: 2 });`) });
    fs.writeFileSync(path.join(dir, "files.txt"), "");
    const r = await cli(["debug", "--json"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      status: "succeeded",
      previousState: {},
      state: { c: 2 },
      warnings: [],
      warehouse: path.join(dir, "files", "warehouse.db"),
      counts: { upserts: 2, deletes: 1, checkpoints: 1, schemaChanges: 1, byTable: { users: { upserts: 2, updates: 0, deletes: 1, truncates: 0 } } },
    });
    expect(typeof report.durationMs).toBe("number");
    expect(r.stderr).not.toContain("SYNC PROGRESS");
  });

  it("--json reports a failure with its reason and exit 1", async () => {
    const dir = makeProject({ "connector.ts": simple(`op.checkpoint({ c: 1 }); throw new Error("boom");`) });
    const r = await cli(["debug", "--json"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.status).toBe("failed");
    expect(report.error).toContain("boom");
    expect(report.state).toEqual({ c: 1 });
  });

  it("prints one plain line per checkpoint without a TTY, and the per-table breakdown", async () => {
    const dir = makeProject({
      "connector.ts": simple(`for (let i = 0; i < 3; i++) { op.upsert("orders", { id: i }); op.checkpoint({ i }); } op.upsert("users", { id: 1 }); op.checkpoint({ i: 3 });`),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stderr.match(/^Checkpoint \d+: committed/gm)).toHaveLength(4);
    expect(r.stderr).toMatch(/^orders\s+3\s+0\s+0\s+0$/m);
    expect(r.stderr).toMatch(/^users\s+1\s+0\s+0\s+0$/m);
    expect(r.stderr).not.toMatch(/\u001b\[/);
  });

  it("prints lints as warnings at the end of the run, and lists them in the --json report", async () => {
    const dir = makeProject({
      "connector.ts": simple(`op.checkpoint({ offset: 10 }); op.checkpoint({ offset: 3 });`),
      "files/state.json": JSON.stringify({ offset: 1, legacy: true }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    const end = r.stderr.slice(r.stderr.indexOf("SYNC PROGRESS"));
    expect(end).toContain('Warning: checkpoint 1 dropped the state key "legacy"');
    expect(end).toContain("Warning: the cursor offset moved backwards at checkpoint 2: 10 → 3");
    fs.writeFileSync(path.join(dir, "files", "state.json"), JSON.stringify({ offset: 1, legacy: true }));
    const json = JSON.parse((await cli(["debug", "--json"], { cwd: dir })).stdout);
    expect(json.warnings).toEqual([expect.stringContaining('dropped the state key "legacy"'), expect.stringContaining("the cursor offset moved backwards")]);
  });

  it("shows log.debug only with --verbose; log lines carry time and level", async () => {
    const dir = makeProject({ "connector.ts": simple(`log.debug("dbg-line"); log.fine("fine-line"); log.info("info-line"); log.warning("warn-line"); log.severe("severe-line"); log.critical("critical-line"); op.checkpoint({});`) });
    const quiet = await cli(["debug"], { cwd: dir });
    expect(quiet.stderr).not.toContain("dbg-line");
    expect(quiet.stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO    info-line$/m);
    expect(quiet.stderr).toMatch(/WARNING warn-line/);
    expect(quiet.stderr).toMatch(/ERROR   severe-line/);
    expect(quiet.stderr).toMatch(/ERROR   critical-line/);
    const loud = await cli(["debug", "--verbose"], { cwd: dir });
    expect(loud.stderr).toMatch(/DEBUG   dbg-line/);
    expect(loud.stderr).toMatch(/DEBUG   fine-line/);
  });

  it("--naming source keeps names as given; the default normalises them", async () => {
    const body = `op.upsert("userData", { userId: 1, createdAt: "x" }); op.checkpoint({});`;
    const a = makeProject({ "connector.ts": simple(body) });
    expect((await cli(["debug"], { cwd: a })).exitCode).toBe(0);
    expect(query(a, "SELECT user_id, created_at FROM user_data")).toEqual([{ user_id: 1, created_at: "x" }]);
    const b = makeProject({ "connector.ts": simple(body) });
    expect((await cli(["debug", "--naming", "source"], { cwd: b })).exitCode).toBe(0);
    expect(query(b, `SELECT "userId", "createdAt" FROM "userData"`)).toEqual([{ userId: 1, createdAt: "x" }]);
    const bad = await cli(["debug", "--naming", "snake"], { cwd: b });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--naming must be "fivetran" or "source"');
  });
});

describe("connector debug: atomicity", () => {
  it("a throw after some checkpoints leaves exactly the rows and state of the last checkpoint", async () => {
    const dir = makeProject({
      "connector.ts": `import { Connector, op } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "items", primary_key: ["id"] }],
  async update() {
        for (let page = 0; page < 3; page++) {
          for (let i = 0; i < 5; i++) op.upsert("items", { id: page * 5 + i, page });
          op.checkpoint({ page });
        }
        op.upsert("items", { id: 100, page: 99 });
        op.update("items", { id: 0, page: -1 });
        op.truncate("items");
        await new Promise((r) => setTimeout(r, 10));
        throw new Error("source failed mid-page");
  },
});
`,
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("Sync FAILED: source failed mid-page");
    expect(readState(dir)).toEqual({ page: 2 });
    expect(query(dir, "SELECT count(*) AS n, sum(_fivetran_deleted) AS deleted, min(page) AS lo, max(id) AS hi FROM items")).toEqual([{ n: 15, deleted: 0, lo: 0, hi: 14 }]);
    expect(query(dir, "SELECT seq, state FROM _connector_checkpoints ORDER BY seq")).toEqual([
      { seq: 1, state: '{"page":0}' },
      { seq: 2, state: '{"page":1}' },
      { seq: 3, state: '{"page":2}' },
    ]);
  });

  it("operations after the last checkpoint are committed at the end, with a warning", async () => {
    const dir = makeProject({ "connector.ts": simple(`op.upsert("t", { id: 1 }); op.checkpoint({ a: 1 }); op.upsert("t", { id: 2 });`) });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/Warning: 1 operation\(s\) came after the last checkpoint.*op\.checkpoint/);
    expect(query(dir, "SELECT count(*) AS n FROM t")).toEqual([{ n: 2 }]);
    expect(readState(dir)).toEqual({ a: 1 });
  });

  it("an invalid operation fails the sync even when the connector catches the error", async () => {
    const dir = makeProject({
      "connector.ts": simple(`op.upsert("t", { id: 1 }); op.checkpoint({ a: 1 }); op.upsert("t", { id: 2 }); try { op.upsert("", { id: 3 }); } catch {} op.checkpoint({ a: 2 });`),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("Sync FAILED: op.upsert: the table name must be a non-empty string");
    expect(readState(dir)).toEqual({ a: 1 });
    expect(query(dir, "SELECT count(*) AS n FROM t")).toEqual([{ n: 1 }]);
  });

  it("a checkpoint state that JSON would mangle fails with its path", async () => {
    const dir = makeProject({ "connector.ts": simple(`op.checkpoint({ ok: 1 }); op.checkpoint({ cursor: { pages: [1, undefined] } });`) });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("state.cursor.pages[1] is undefined");
    expect(readState(dir)).toEqual({ ok: 1 });
  });

  it("a second debug on the same project is refused while the first holds the lock; a stale lock is taken over", async () => {
    const dir = makeProject({
      "connector.ts": simple(`op.checkpoint({ started: true }); await new Promise((r) => setTimeout(r, 60_000));`),
    });
    const first = startDebug(dir);
    await waitFor(() => first.stderr().includes("Checkpoint 1"));
    const second = await cli(["debug"], { cwd: dir });
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toContain(`(pid ${first.child.pid}`);
    expect(second.stderr).toContain(path.join(dir, "files", ".connector.lock"));
    first.child.kill("SIGKILL");
    await first.exited;
    expect(fs.existsSync(path.join(dir, "files", ".connector.lock"))).toBe(true);
    fs.writeFileSync(path.join(dir, "connector.ts"), simple(`op.checkpoint({ resumed: true });`));
    const third = await cli(["debug"], { cwd: dir });
    expect(third.exitCode, third.stderr).toBe(0);
    expect(readState(dir)).toEqual({ resumed: true });
  });

  it("SIGINT rolls back the open transaction, keeps the last checkpoint and exits 130", async () => {
    const dir = makeProject({
      "connector.ts": simple(`op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); op.upsert("t", { id: 2 }); log.info("waiting"); await new Promise((r) => setTimeout(r, 60_000));`),
    });
    const run = startDebug(dir);
    await waitFor(() => run.stderr().includes("waiting"));
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(run.stderr()).toContain("Sync FAILED: interrupted");
    expect(readState(dir)).toEqual({ n: 1 });
    expect(query(dir, "SELECT count(*) AS n FROM t")).toEqual([{ n: 1 }]);
    expect(fs.existsSync(path.join(dir, "files", ".connector.lock"))).toBe(false);
  });
});

describe("connector debug on a terminal", () => {
  it("falls back to plain lines on a terminal that reports no width", async () => {
    const dir = makeProject({ "connector.ts": simple(`op.upsert("t", { id: 1 }); op.checkpoint({ a: 1 }); await new Promise((r) => setTimeout(r, 300));`) });
    const { execa } = await import("execa");
    const r = await execa("script", ["-qec", `stty cols 0 rows 0; node ${BIN} debug`, "/dev/null"], { cwd: dir, reject: false, timeout: 30_000 });
    expect(r.exitCode).toBe(0);
    expect(stripVT(String(r.stdout))).toContain("Checkpoint 1: committed 1 operation(s)");
    expect(stripVT(String(r.stdout))).toContain("Sync SUCCEEDED");
  });

  it("shows a live spinner with counts on a TTY, in colour unless NO_COLOR", async () => {
    const dir = makeProject({
      "connector.ts": simple(`for (let i = 0; i < 50; i++) op.upsert("t", { id: i }); op.checkpoint({ a: 1 }); await new Promise((r) => setTimeout(r, 700)); op.checkpoint({ a: 2 });`),
    });
    const { execa } = await import("execa");
    const { NO_COLOR: _no, FORCE_COLOR: _force, CI: _ci, ...inherited } = process.env;
    const run = (env: Record<string, string>) =>
      execa("script", ["-qec", `stty cols 120 rows 40; node ${BIN} debug`, "/dev/null"], { cwd: dir, reject: false, extendEnv: false, env: { ...inherited, ...env, TERM: "xterm" }, timeout: 30_000 });
    const colour = await run({ FORCE_COLOR: "1" });
    expect(colour.exitCode).toBe(0);
    const screen = stripVT(String(colour.stdout));
    expect(screen).toMatch(/Syncing: 50 operations · [\d,]+ ops\/s · 1 checkpoints/);
    expect(screen).toContain("Sync SUCCEEDED");
    expect(String(colour.stdout)).toMatch(/\u001b\[32mSync SUCCEEDED/);
    const plain = await run({ NO_COLOR: "1" });
    expect(String(plain.stdout)).not.toMatch(/\u001b\[3\dm/);
  });
});

describe("connector debug: the connector's output", () => {
  it("prints console lines and log lines in the order the connector wrote them", async () => {
    const dir = makeProject({
      "connector.ts": simple(`for (let i = 0; i < 300; i++) { log.info("log " + i); console.error("err " + i); console.log("out " + i); } op.checkpoint({});`),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stderr.split("\n").map((l) => /(log|err|out) (\d+)$/.exec(l)?.[0]).filter((l): l is string => l !== undefined);
    expect(lines).toEqual(Array.from({ length: 300 }, (_, i) => [`log ${i}`, `err ${i}`, `out ${i}`]).flat());
  });
});
