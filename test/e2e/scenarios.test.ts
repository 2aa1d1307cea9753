import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, fixtureProject, query, readState } from "../helpers.js";

// The three validation scenarios of the state-management document, run end to end.
const T = (minute: number): string => `2024-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`;

function writeSource(dir: string, records: object[]): void {
  fs.writeFileSync(path.join(dir, "source.json"), JSON.stringify(records));
}

const contents = (dir: string) => query(dir, "SELECT id, name, updated_at, _fivetran_deleted AS deleted FROM users ORDER BY id");

describe("state validation scenarios", () => {
  it("initial sync, incremental sync of only the new and changed records, and a re-sync after reset that reproduces the data", async () => {
    const dir = fixtureProject("source-cursor");
    writeSource(dir, [
      { id: 1, name: "ada", updated_at: T(1) },
      { id: 2, name: "bob", updated_at: T(2) },
      { id: 3, name: "cy", updated_at: T(2) },
    ]);

    const initial = await cli(["debug"], { cwd: dir });
    expect(initial.exitCode).toBe(0);
    expect(initial.stderr).toContain("Previous state:\n{}");
    expect(initial.stderr).toMatch(/^Upserts\s+\| 3$/m);
    expect(readState(dir)).toEqual({ cursor: { updated_at: T(2), id: 3 } });
    expect(contents(dir)).toHaveLength(3);

    // The source changes: bob is renamed, dee arrives, ada is deleted.
    writeSource(dir, [
      { id: 1, name: "ada", updated_at: T(5), deleted: true },
      { id: 2, name: "bobby", updated_at: T(3) },
      { id: 3, name: "cy", updated_at: T(2) },
      { id: 4, name: "dee", updated_at: T(4) },
    ]);
    const incremental = await cli(["debug"], { cwd: dir });
    expect(incremental.exitCode).toBe(0);
    expect(incremental.stderr).toMatch(/^Upserts\s+\| 2$/m);
    expect(incremental.stderr).toMatch(/^Deletes\s+\| 1$/m);
    expect(readState(dir)).toEqual({ cursor: { updated_at: T(5), id: 1 } });
    const afterIncremental = contents(dir);
    expect(afterIncremental).toEqual([
      { id: 1, name: "ada", updated_at: T(1), deleted: 1 },
      { id: 2, name: "bobby", updated_at: T(3), deleted: 0 },
      { id: 3, name: "cy", updated_at: T(2), deleted: 0 },
      { id: 4, name: "dee", updated_at: T(4), deleted: 0 },
    ]);
    expect(query(dir, "SELECT count(*) AS n FROM users")).toEqual([{ n: 4 }]);

    // A run with nothing new changes nothing and keeps the cursor.
    const idle = await cli(["debug"], { cwd: dir });
    expect(idle.exitCode).toBe(0);
    expect(idle.stderr).toMatch(/^Upserts\s+\| 0$/m);
    expect(contents(dir)).toEqual(afterIncremental);

    // Re-sync after the files are deleted: a historical sync of the current source.
    fs.rmSync(path.join(dir, "files"), { recursive: true });
    const resync = await cli(["debug"], { cwd: dir });
    expect(resync.exitCode).toBe(0);
    expect(resync.stderr).toContain("Previous state:\n{}");
    const fresh = contents(dir);
    // A historical sync never saw ada before her deletion, so her row is a soft-delete of nothing.
    expect(fresh).toEqual(afterIncremental.filter((r) => r.id !== 1));
    expect(readState(dir)).toEqual({ cursor: { updated_at: T(5), id: 1 } });
  });
});
