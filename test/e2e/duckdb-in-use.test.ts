// A DuckDB warehouse that another process holds open (a DuckDB shell, a script, another sync):
// DuckDB lets no second process open it. debug, run, inspect and reset all say so with exit 2, the
// holder named, and write no crash report, as nothing failed in the connector.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli, makeProject, readState, ROOT } from "../helpers.js";

const CONNECTOR = { "connector.ts": `import { op } from "connector-sdk";\nexport default { update(c: unknown, s: { n?: number }) { const n = (s.n ?? 0) + 1; op.upsert("t", { id: n }); op.checkpoint({ n }); } };\n` };

const holders: ChildProcess[] = [];
afterEach(() => {
  for (const h of holders.splice(0)) h.kill("SIGKILL");
});

/** A second process that opens the file read-write with DuckDB's own client and keeps it open; resolves once it holds it. */
function holdOpen(file: string): Promise<ChildProcess> {
  const api = path.join(ROOT, "node_modules", "@duckdb", "node-api", "lib", "index.js");
  const code = `const { DuckDBInstance } = await import(${JSON.stringify(api)});
const instance = await DuckDBInstance.create(${JSON.stringify(file)});
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
  `The warehouse ${file} is in use by another process (${process.execPath}, pid ${pid}): a sync, \`connector inspect\` or a DuckDB shell. DuckDB lets no other process open it meanwhile; try again when that one has finished.`;

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
