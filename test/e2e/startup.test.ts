import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, cli, FIXTURES, makeProject, ROOT, tempDir } from "../helpers.js";

/**
 * `connector debug`'s startup (W6, docs/performance.md): the sync worker is the longer of the two
 * paths, so bin/connector.js starts it before the CLI loads commander and the command table, and
 * the command takes that worker. The import log (test/fixtures/import-log) lists what each thread
 * resolves, in order.
 */
const CONNECTOR = `import { op } from "connector-sdk";
export default { update() { op.upsert("t", { id: 1 }); op.checkpoint({ done: true }); } };
`;

async function resolved(args: string[], dir: string): Promise<string[]> {
  const log = path.join(tempDir(), "imports.log");
  fs.writeFileSync(log, "");
  const hook = pathToFileURL(path.join(FIXTURES, "import-log", "register.mjs")).href;
  const r = await cli(args, { cwd: dir, env: { IMPORT_LOG: log, NODE_OPTIONS: `--import=${hook}` } });
  expect(r.exitCode, r.stderr).toBe(0);
  return fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
}

const first = (modules: string[], end: string | RegExp): number => modules.findIndex((m) => (typeof end === "string" ? m.endsWith(end) : end.test(m)));
// npm run build bundles the CLI (scripts/bundle.mjs): worker-start.ts is then part of a chunk named for it, in the main thread's folder of chunks.
const WORKER_START = /\/dist\/(host\/worker-start|chunks\/(\w+\/)?worker-start-[\w-]+)\.js$/;

describe("connector debug's startup", () => {
  it("starts the sync worker before the CLI loads, and syncs in that one worker, --memory-limit or not", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR });
    for (const args of [["debug"], ["debug", "--memory-limit", "256MB"], ["debug", "--memory-limit=300MB"]]) {
      const modules = await resolved(args, dir);
      const early = first(modules, WORKER_START);
      expect(early, args.join(" ")).toBeGreaterThanOrEqual(0);
      expect(first(modules, "/dist/cli.js"), args.join(" ")).toBeGreaterThan(early);
      // commander is its own package in a dist/ of tsc's alone; npm run build bundles it into dist/cli.js.
      const commander = first(modules, "/node_modules/commander/index.js");
      if (commander < 0) expect(fs.readFileSync(path.join(ROOT, "dist", "cli.js"), "utf8")).toContain("class Command extends EventEmitter");
      expect(commander < 0 ? first(modules, "/dist/cli.js") : commander, args.join(" ")).toBeGreaterThan(early);
      expect(modules.filter((m) => m.endsWith("/dist/host/sync-worker.js")), args.join(" ")).toHaveLength(1);
    }
  });

  it("--help starts no worker", async () => {
    const modules = await resolved(["debug", "--help"], tempDir());
    expect(first(modules, "/dist/host/sync-worker.js")).toBe(-1);
  });

  it("requires node:child_process only to spawn (not for commander at start, nor for a sync), and chalk only where colour shows", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR });
    for (const [args, cwd] of [[["--help"], tempDir()], [["debug"], dir]] as const) {
      const modules = await resolved([...args], cwd);
      expect(modules.some((m) => m.endsWith("/dist/cli.js")), args.join(" ")).toBe(true);
      expect(modules.filter((m) => m === "builtin:fs"), args.join(" ")).not.toEqual([]);
      expect(modules.filter((m) => m === "builtin:child_process"), args.join(" ")).toEqual([]);
      // cli() runs with NO_COLOR and stderr a pipe.
      expect(modules.filter((m) => m.includes("/node_modules/chalk/") || m === "builtin:tty"), args.join(" ")).toEqual([]);
    }
  });

  it("on a terminal, loads chalk and paints the verdict", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR });
    const { NO_COLOR: _no, CI: _ci, FORCE_COLOR: _force, ...inherited } = process.env;
    const r = await execa("script", ["-qec", `node ${BIN} debug`, "/dev/null"], { cwd: dir, reject: false, extendEnv: false, env: { ...inherited, TERM: "xterm" }, timeout: 30_000 });
    expect(String(r.stdout)).toMatch(/\u001b\[32mSync SUCCEEDED in \d+ ms\u001b\[39m/);
  });
});
