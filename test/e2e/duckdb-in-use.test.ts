// A DuckDB warehouse that another process holds open (a DuckDB shell, a script, another sync):
// DuckDB lets no second process open it. debug, run, inspect and reset all say so with exit 2, the
// holder named, and write no crash report, as nothing failed in the connector.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli, makeProject, readState, ROOT, startCli, waitFor } from "../helpers.js";
import { startUi } from "../support/browser.js";

const CONNECTOR = { "connector.ts": `import { op } from "connector-sdk";\nexport default { update(c: unknown, s: { n?: number }) { const n = (s.n ?? 0) + 1; op.upsert("t", { id: n }); op.checkpoint({ n }); } };\n` };

const holders: ChildProcess[] = [];
afterEach(() => {
  for (const h of holders.splice(0)) h.kill("SIGKILL");
});

/** A second process that opens the file (read-write, or read-only as `connector ui` does) with DuckDB's own client and keeps it open; resolves once it holds it. */
function holdOpen(file: string, readOnly = false): Promise<ChildProcess> {
  const api = path.join(ROOT, "node_modules", "@duckdb", "node-api", "lib", "index.js");
  const code = `const { DuckDBInstance } = await import(${JSON.stringify(api)});
const instance = await DuckDBInstance.create(${JSON.stringify(file)}${readOnly ? `, { access_mode: "READ_ONLY" }` : ""});
await instance.connect();
console.log("held");
setInterval(() => {}, 60_000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "pipe"] });
  holders.push(child);
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => String(d).includes("held") && resolve(child));
    child.once("exit", (code) => reject(new Error(`the holder exited (${code}): ${err}`)));
  });
}

const inUse = (file: string, pid: number): string =>
  `The warehouse ${file} is in use by another process (${process.execPath}, pid ${pid}): a sync, \`connector inspect\` or a DuckDB shell. DuckDB lets no other process open it meanwhile; try again when that one has finished. (\`connector ui\` holds it only while it reads a page.)`;

describe("a DuckDB warehouse another process holds open", () => {
  it("debug, run, inspect and reset refuse it with exit 2 and the same message, write no crash report, and leave state and rows as they were", async () => {
    const dir = makeProject(CONNECTOR);
    const first = await cli(["debug", "--destination", "duckdb"], { cwd: dir });
    expect(first.exitCode, first.stderr).toBe(0);
    const file = path.join(dir, "files", "warehouse.duckdb");
    const state = fs.readFileSync(path.join(dir, "files", "state.json"), "utf8");

    const holder = await holdOpen(file);
    for (const args of [["debug", "--destination", "duckdb"], ["debug"], ["run", "--destination", `duckdb:${file}`, "--retries", "2", "--retry-delay", "10ms"], ["inspect"], ["state", "history"], ["reset", "--yes"]]) {
      const r = await cli(args, { cwd: dir });
      expect(r.exitCode, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(inUse(file, holder.pid!));
      expect(r.stderr).not.toMatch(/threw outside update|Crash report|Attempt 2/);
    }
    expect(fs.existsSync(path.join(dir, "crash-reports"))).toBe(false);
    // reset deleted nothing: the state and the warehouse are still there.
    expect(fs.readFileSync(path.join(dir, "files", "state.json"), "utf8")).toBe(state);
    expect(fs.existsSync(file)).toBe(true);

    // Once the holder has gone, the next sync resumes from the same state.
    holder.kill("SIGKILL");
    await new Promise((resolve) => holder.once("exit", resolve));
    const again = await cli(["debug", "--destination", "duckdb", "--json"], { cwd: dir });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(readState(dir)).toEqual({ n: 2 });
    const shown = await cli(["inspect", "t", "--json"], { cwd: dir });
    expect(JSON.parse(shown.stdout).map((r: { id: number }) => r.id).sort()).toEqual([1, 2]);
  });

  it("a sync started while `connector ui` reads the file waits for the read to end, then runs; the ui holds nothing between reads", async () => {
    const dir = makeProject(CONNECTOR);
    expect((await cli(["debug", "--destination", "duckdb"], { cwd: dir })).exitCode).toBe(0);
    const file = path.join(dir, "files", "warehouse.duckdb");
    const ui = await startUi(dir);
    try {
      const login = await fetch(ui.url, { redirect: "manual" });
      const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
      const page = async (): Promise<string> => (await fetch(`${ui.base}/`, { headers: { cookie } })).text();
      expect(await page()).toContain("&quot;n&quot;: 1");
      // Between two reads the ui holds nothing: the sync opens the file at once.
      const second = await cli(["debug"], { cwd: dir });
      expect(second.exitCode, second.stderr).toBe(0);

      // A read in progress, as the ui's (read-only), as the sync comes to open the file (just after it prints
      // the previous state); the read ends then. Whichever comes first, the sync must run: no timed wait here,
      // so this catches a sync that refuses at once only on the runs where its open comes before the read ends.
      const reader = await holdOpen(file, true);
      const sync = startCli(dir, ["debug"]);
      await waitFor(() => sync.stderr().includes("Previous state"));
      reader.kill("SIGKILL");
      expect(await sync.exited, sync.stderr()).toBe(0);
      expect(readState(dir)).toEqual({ n: 3 });
      expect(await page()).toContain("&quot;n&quot;: 3");
    } finally {
      await ui.stop();
    }
  });

  it("a file DuckDB cannot open (not a DuckDB file, or another program's database) is refused with exit 2 too, not as a crash", async () => {
    const garbage = makeProject({ ...CONNECTOR, "files/warehouse.duckdb": "x".repeat(10_000) });
    const r = await cli(["debug", "--destination", "duckdb"], { cwd: garbage });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain(`Cannot use the warehouse ${path.join(garbage, "files", "warehouse.duckdb")}: IO Error: The file "${path.join(garbage, "files", "warehouse.duckdb")}" exists, but it is not a valid DuckDB database file. If it is damaged, move it away or run \`connector reset\`.`);
    expect(fs.existsSync(path.join(garbage, "crash-reports"))).toBe(false);

    const foreign = makeProject(CONNECTOR);
    const file = path.join(foreign, "files", "warehouse.duckdb");
    fs.mkdirSync(path.dirname(file));
    const api = path.join(ROOT, "node_modules", "@duckdb", "node-api", "lib", "index.js");
    execFileSync(process.execPath, ["--input-type=module", "-e", `const { DuckDBInstance } = await import(${JSON.stringify(api)}); const i = await DuckDBInstance.create(${JSON.stringify(file)}); const c = await i.connect(); await c.run("CREATE TABLE theirs (x INT)"); c.closeSync(); i.closeSync();`]);
    const theirs = await cli(["debug", "--destination", "duckdb"], { cwd: foreign });
    expect(theirs.exitCode, theirs.stderr).toBe(2);
    expect(theirs.stderr).toContain(`${file} is a DuckDB database that connector-sdk did not create (it has no _connector.columns table); move it away`);
    expect(fs.existsSync(path.join(foreign, "crash-reports"))).toBe(false);
  });
});
