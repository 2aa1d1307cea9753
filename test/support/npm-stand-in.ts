/** What `npm install` and a global install of the CLI would give a project, for tests that follow a template's README. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { BIN, ROOT, tempDir } from "../helpers.js";

/**
 * Stands in for `npm install`: what the registry would install, this package's own dependencies.
 * Not connector-sdk, which is no registry's: `npm test` and `npm run typecheck` link it first.
 */
export function linkNodeModules(dir: string): void {
  const modules = path.join(dir, "node_modules");
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(path.join(ROOT, "node_modules"))) fs.symlinkSync(path.join(ROOT, "node_modules", entry), path.join(modules, entry));
}

/** A folder holding a `connector` command that runs this package's CLI (and `sqlite3`, if the system has none), to put on PATH. */
export function connectorOnPath(): string {
  const bin = tempDir("connector-bin-");
  fs.writeFileSync(path.join(bin, "connector"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  if (spawnSync("sh", ["-c", "command -v sqlite3"]).status !== 0) {
    const query = `const D = require(process.argv[1]); for (const r of new D(process.argv[2], { readonly: true }).prepare(process.argv[3]).raw().all()) console.log(r.join("|"));`;
    fs.writeFileSync(path.join(bin, "sqlite3"), `#!/bin/sh\nexec "${process.execPath}" -e '${query}' "${path.join(ROOT, "node_modules", "better-sqlite3")}" "$@"\n`, { mode: 0o755 });
  }
  return bin;
}

