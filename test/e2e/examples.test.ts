import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, query, readState, ROOT, tempDir } from "../helpers.js";

function copyExample(name: string): string {
  const dir = path.join(tempDir(), name);
  fs.cpSync(path.join(ROOT, "examples", name), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}files`) });
  return dir;
}

describe("bundled examples", () => {
  it("hello (the README quickstart) syncs one row", async () => {
    const dir = copyExample("hello");
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("Sync SUCCEEDED");
    expect(query(dir, "SELECT message FROM hello")).toEqual([{ message: "hello, world!" }]);
  });

  it("multi-table-cursors (the porting guide's example) keeps one cursor per table and syncs incrementally", async () => {
    const dir = copyExample("multi-table-cursors");
    const first = await cli(["debug"], { cwd: dir });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^Checkpoints\s+\| 2$/m);
    expect(readState(dir)).toEqual({ users_cursor: "2024-02-07T08:00:00Z", orders_cursor: "2024-02-10T12:00:00Z" });
    expect(query(dir, "SELECT count(*) AS n FROM users")).toEqual([{ n: 7 }]);
    expect(query(dir, "SELECT total FROM orders WHERE id = 101")).toEqual([{ total: "10.50" }]);

    const second = await cli(["debug"], { cwd: dir });
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toMatch(/^Upserts\s+\| 0$/m);

    // The Python original's state shape: keys the schema does not know are called out.
    fs.writeFileSync(path.join(dir, "files", "state.json"), JSON.stringify({ users: "2024-02-07T08:00:00Z", orders: "2024-02-10T12:00:00Z" }));
    const legacy = await cli(["debug"], { cwd: dir });
    expect(legacy.stderr).toMatch(/saved state key "users" is not in the connector's state schema/);
    expect(legacy.stderr).toMatch(/^Upserts\s+\| 17$/m);
  });
});
