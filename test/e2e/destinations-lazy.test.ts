import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { cli, FIXTURES, makeProject, tempDir } from "../helpers.js";

/**
 * The destination table (src/destinations/registry.ts) names every destination, but a module
 * loads its client only on first use: `--help` and a SQLite sync never load DuckDB or pg. Each
 * run records the modules every thread resolved (test/fixtures/import-log), the workers' too.
 */
const CONNECTOR = `import { op } from "connector-sdk";
export default { update() { op.upsert("t", { id: 1 }); op.checkpoint({ done: true }); } };
`;

async function loaded(args: string[], dir: string, env: Record<string, string> = {}): Promise<{ exitCode: number; modules: string[] }> {
  const log = path.join(tempDir(), "imports.log");
  fs.writeFileSync(log, "");
  const hook = pathToFileURL(path.join(FIXTURES, "import-log", "register.mjs")).href;
  const r = await cli(args, { cwd: dir, env: { ...env, IMPORT_LOG: log, NODE_OPTIONS: `--import=${hook}` } });
  expect(r.exitCode, r.stderr).toBe(0);
  return { exitCode: r.exitCode, modules: fs.readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

const DUCKDB = /\/node_modules\/@duckdb\//;
const PG = /\/node_modules\/pg(-[a-z-]+)?\//;
const SQLITE = /\/node_modules\/better-sqlite3\//;

describe("destinations load lazily", () => {
  it("--help loads no database client at all", async () => {
    const { modules } = await loaded(["--help"], tempDir());
    expect(modules.some((m) => m.includes("/dist/cli.js"))).toBe(true);
    expect(modules.filter((m) => DUCKDB.test(m) || PG.test(m) || SQLITE.test(m))).toEqual([]);
  });

  it("a SQLite sync (debug, and run --destination sqlite:…) loads better-sqlite3 but never DuckDB or pg", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR });
    for (const args of [["debug"], ["run", "--destination", "sqlite:files/run.db"]]) {
      const { modules } = await loaded(args, dir);
      // The sync worker's own modules are in the log: the hooks see every thread.
      expect(modules.some((m) => m.endsWith("/dist/host/sync-worker.js"))).toBe(true);
      expect(modules.some((m) => SQLITE.test(m))).toBe(true);
      expect(modules.filter((m) => DUCKDB.test(m) || PG.test(m))).toEqual([]);
      // better-sqlite3's addon by its path (util/sqlite-driver.ts), not found by the bindings package's search.
      expect(modules.filter((m) => m.endsWith("/better_sqlite3.node"))).not.toEqual([]);
      expect(modules.filter((m) => /\/node_modules\/(bindings|file-uri-to-path)\//.test(m))).toEqual([]);
    }
  });

  it("a DuckDB sync loads DuckDB (the log sees a writer thread's client) and still never pg", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR });
    const { modules } = await loaded(["debug"], dir, { CONNECTOR_DESTINATION: "duckdb" });
    expect(modules.some((m) => DUCKDB.test(m))).toBe(true);
    expect(modules.filter((m) => PG.test(m))).toEqual([]);
  });
});
