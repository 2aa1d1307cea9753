import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, query, tempDir } from "../helpers.js";

/**
 * A connector is compiled once per content (src/project/transform-cache.ts), not once per folder:
 * jiti's own cache is keyed by the file's path, so every new folder paid babel again. Each run here
 * gets a TMPDIR of its own, where the cache lives.
 */
const CONNECTOR = `import { op } from "connector-sdk";
export default { update() { op.upsert("t", { id: 1, word: "compiled" }); op.checkpoint({}); } };
`;

const compiled = (tmp: string): string[] => {
  const dir = path.join(tmp, `connector-sdk-compiled-${os.userInfo().uid}`);
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
};

describe("the compile cache", () => {
  it("serves the same connector in another folder from the cache", async () => {
    const tmp = tempDir();
    const first = makeProject({ "connector.ts": CONNECTOR });
    const r1 = await cli(["debug"], { cwd: first, env: { TMPDIR: tmp } });
    expect(r1.exitCode, r1.stderr).toBe(0);
    const files = compiled(tmp);
    expect(files).toHaveLength(1);
    // What the second folder runs is the cached code, not a fresh compile of its source.
    fs.writeFileSync(files[0]!, fs.readFileSync(files[0]!, "utf8").replace('"compiled"', '"from the cache"'));
    const second = makeProject({ "connector.ts": CONNECTOR });
    const r2 = await cli(["debug"], { cwd: second, env: { TMPDIR: tmp } });
    expect(r2.exitCode, r2.stderr).toBe(0);
    expect(compiled(tmp)).toHaveLength(1);
    expect(query(first, "SELECT word FROM t")).toEqual([{ word: "compiled" }]);
    expect(query(second, "SELECT word FROM t")).toEqual([{ word: "from the cache" }]);
  });

  it("keys a connector that reads import.meta by its path too, as the compiled code holds it", async () => {
    const tmp = tempDir();
    const source = `import { op } from "connector-sdk";
export default { update() { op.upsert("t", { id: 1, url: import.meta.url }); op.checkpoint({}); } };
`;
    const dirs = [makeProject({ "connector.ts": source }), makeProject({ "connector.ts": source })];
    for (const dir of dirs) {
      const r = await cli(["debug"], { cwd: dir, env: { TMPDIR: tmp } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(query(dir, "SELECT url FROM t")).toEqual([{ url: `file://${fs.realpathSync(dir)}/connector.ts` }]);
    }
    expect(compiled(tmp)).toHaveLength(2);
  });

  it("never uses a cache folder that others can write", async () => {
    const tmp = tempDir();
    const shared = path.join(tmp, `connector-sdk-compiled-${os.userInfo().uid}`);
    fs.mkdirSync(shared, { mode: 0o777 });
    fs.chmodSync(shared, 0o777);
    const dir = makeProject({ "connector.ts": CONNECTOR });
    const r = await cli(["debug"], { cwd: dir, env: { TMPDIR: tmp } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(query(dir, "SELECT word FROM t")).toEqual([{ word: "compiled" }]);
    expect(fs.readdirSync(shared)).toEqual([]);
  });
});
