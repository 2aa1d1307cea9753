import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, cli, fixtureProject, makeProject, query, readState, startDebug, stripVT, waitFor } from "../helpers.js";

const exists = (dir: string, file: string) => fs.existsSync(path.join(dir, file));

/** Runs `connector <args>` on a pseudo-terminal (util-linux script), typing `keys` into it. */
async function onTerminal(dir: string, args: string, keys: string) {
  const r = await execa("script", ["-qec", `node ${BIN} ${args}`, "/dev/null"], { cwd: dir, input: keys, reject: false, env: { NO_COLOR: "1" }, timeout: 30_000 });
  return { exitCode: r.exitCode, output: stripVT(String(r.stdout)).replace(/\r\n/g, "\n") };
}

async function syncedProject(): Promise<string> {
  const dir = fixtureProject("fivetran/truncate_operation");
  fs.writeFileSync(path.join(dir, "files.keep"), "");
  const r = await cli(["debug"], { cwd: dir });
  expect(r.exitCode).toBe(0);
  fs.writeFileSync(path.join(dir, "files", "notes.txt"), "mine");
  fs.writeFileSync(path.join(dir, "files", "warehouse.db-wal"), "");
  return dir;
}

describe("connector reset", () => {
  it("--yes deletes the state file and the warehouse with its sidecars, and nothing else", async () => {
    const dir = await syncedProject();
    const r = await cli(["reset", "--yes"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("Deleted files/state.json");
    expect(r.stderr).toContain("Deleted files/warehouse.db-wal");
    expect(r.stderr).toContain("Not present, nothing to delete: files/warehouse.db-shm");
    expect(fs.readdirSync(path.join(dir, "files")).sort()).toEqual([".connector.lock.db", ".warehouse.db.lock.db", "notes.txt", "runs.jsonl"]); // the run records and the locks stay: see README, The project lock
    expect(exists(dir, "connector.ts")).toBe(true);
  });

  it("--force is an alias of --yes; a project with nothing to reset is not an error", async () => {
    const dir = await syncedProject();
    expect((await cli(["reset", "--force"], { cwd: dir })).exitCode).toBe(0);
    expect(exists(dir, "files/warehouse.db")).toBe(false);
    const again = await cli(["reset", "--yes"], { cwd: dir });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain("Nothing to reset");
  });

  it("refuses without a terminal and without --yes, naming --yes, and deletes nothing", async () => {
    const dir = await syncedProject();
    const r = await cli(["reset"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("Pass --yes");
    expect(exists(dir, "files/state.json")).toBe(true);
    expect(exists(dir, "files/warehouse.db")).toBe(true);
  });

  for (const [name, keys] of [
    ["Enter", "\n"],
    ["n", "n\n"],
    ["end of input", "\u0004"],
  ] as const) {
    it(`asks "Continue? (y/N)" on a terminal; ${name} cancels with exit 0`, async () => {
      const dir = await syncedProject();
      const r = await onTerminal(dir, "reset", keys);
      expect(r.exitCode).toBe(0);
      expect(r.output).toContain("This deletes:\n  files/state.json\n  files/warehouse.db\n  files/warehouse.db-wal\n");
      expect(r.output).toContain("Continue? (y/N)");
      expect(r.output).toContain("Reset cancelled; nothing was deleted.");
      expect(exists(dir, "files/state.json")).toBe(true);
      expect(exists(dir, "files/warehouse.db")).toBe(true);
    });
  }

  for (const answer of ["y", "yes"]) {
    it(`"${answer}" on the terminal confirms`, async () => {
      const dir = await syncedProject();
      const r = await onTerminal(dir, "reset", `${answer}\n`);
      expect(r.exitCode).toBe(0);
      expect(r.output).toContain("Reset done");
      expect(exists(dir, "files/state.json")).toBe(false);
      expect(exists(dir, "files/warehouse.db")).toBe(false);
      expect(exists(dir, "files/notes.txt")).toBe(true);
    });
  }

  it("--state deletes that state file instead of files/state.json", async () => {
    const dir = await syncedProject();
    fs.copyFileSync(path.join(dir, "files", "state.json"), path.join(dir, "other.json"));
    const r = await cli(["reset", "--state", "other.json", "--yes"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(exists(dir, "other.json")).toBe(false);
    expect(exists(dir, "files/state.json")).toBe(true);
    expect(exists(dir, "files/warehouse.db")).toBe(false);
  });

  it("--table drops only that table's rows and metadata, keeps the state, and says how to clear its cursor", async () => {
    const dir = makeProject({
      "connector.ts": `import { Connector, op } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "users", primary_key: ["id"] }, { table: "orders", primary_key: ["id"] }],
  update(c, state) {
    if (state.done) return;
    op.upsert("users", { id: 1, name: "ada" });
    op.upsert("orders", { id: 7, total: 3 });
    op.checkpoint({ done: true });
  },
});
`,
    });
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
    const r = await cli(["reset", "--table", "users", "--yes"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("Dropped users.");
    expect(r.stderr).toMatch(/still holds the cursor .*connector state unset <key>/);
    expect(readState(dir)).toEqual({ done: true });
    expect(query(dir, "SELECT name FROM sqlite_master WHERE name = 'users'")).toEqual([]);
    expect(query(dir, "SELECT count(*) AS n FROM _connector_columns WHERE table_name = 'users'")).toEqual([{ n: 0 }]);
    expect(query(dir, "SELECT id FROM orders")).toEqual([{ id: 7 }]);

    const unknown = await cli(["reset", "--table", "nope", "--yes"], { cwd: dir });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('No table "nope" in the warehouse. Tables: orders');
  });

  it("a reset followed by debug reproduces the same table contents", async () => {
    const dir = await syncedProject();
    const before = query(dir, "SELECT id, name, qty, _fivetran_deleted FROM items ORDER BY id");
    expect((await cli(["reset", "--yes"], { cwd: dir })).exitCode).toBe(0);
    const r = await cli(["debug"], { cwd: dir });
    expect(r.stderr).toContain("Previous state:\n{}");
    expect(query(dir, "SELECT id, name, qty, _fivetran_deleted FROM items ORDER BY id")).toEqual(before);
  });

  it("is refused while a sync holds the project", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";\nexport default { async update() { op.checkpoint({ a: 1 }); await new Promise((r) => setTimeout(r, 60_000)); } };\n`,
    });
    const run = startDebug(dir);
    await waitFor(() => run.stderr().includes("Checkpoint 1"));
    const r = await cli(["reset", "--yes"], { cwd: dir });
    run.child.kill("SIGKILL");
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("Another `connector debug`");
    expect(exists(dir, "files/state.json")).toBe(true);
  });
});

describe("temp files an interrupted state write left behind", () => {
  /** The pid of a process that has exited: what a sync killed between writing and renaming its state leaves in the name. */
  const deadPid = (): number => spawnSync("node", ["-e", "0"]).pid!;

  it("the next debug removes those of processes that are gone, and reset removes all of them; other files stay", async () => {
    const dir = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); } };\n` });
    fs.mkdirSync(path.join(dir, "files"));
    const gone = `files/.state.json.${deadPid()}.tmp`;
    const running = `files/.state.json.${process.pid}.tmp`; // a live process: perhaps writing right now
    const other = `files/.state.json.bak.${deadPid()}.tmp`; // another file's
    for (const f of [gone, running, other]) fs.writeFileSync(path.join(dir, f), '{"n": 0');
    const debug = await cli(["debug"], { cwd: dir });
    expect(debug.exitCode, debug.stderr).toBe(0);
    expect(readState(dir)).toEqual({ n: 1 });
    expect([gone, running, other].map((f) => exists(dir, f))).toEqual([false, true, true]);
    fs.writeFileSync(path.join(dir, gone), '{"n": 0');
    const reset = await cli(["reset", "--yes"], { cwd: dir });
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(reset.stderr).toContain(`Deleted ${path.join("files", path.basename(gone))}`);
    expect([gone, running, other].map((f) => exists(dir, f))).toEqual([false, false, true]);
  });
});

describe("connector reset on a DuckDB project", () => {
  it("deletes the DuckDB warehouse and the state, and never mentions a SQLite file", async () => {
    const dir = fixtureProject("fivetran/truncate_operation");
    expect((await cli(["debug", "--destination", "duckdb"], { cwd: dir })).exitCode).toBe(0);
    const r = await cli(["reset", "--yes"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("Deleted files/warehouse.duckdb");
    expect(r.stderr).not.toContain("warehouse.db");
    expect(exists(dir, "files/warehouse.duckdb")).toBe(false);
    expect(exists(dir, "files/state.json")).toBe(false);
  });
});
