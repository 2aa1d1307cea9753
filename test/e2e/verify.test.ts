import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, ROOT, tempDir } from "../helpers.js";

const BUGS = ["timestamp-cursor", "cursor-before-upsert", "max-timestamp", "unstable-offset"];
const fixture = (bug: string, variant: string) => path.join(ROOT, "test", "fixtures", "verify", bug, variant);

describe("connector verify", () => {
  for (const bug of BUGS) {
    it(`fails on the ${bug} bug, naming the trial, the checkpoint and the missing rows; passes its corrected twin`, async () => {
      const buggy = await cli(["verify", fixture(bug, "buggy"), "--seed", "7"], { cwd: tempDir() });
      expect(buggy.exitCode, buggy.stderr).toBe(1);
      expect(buggy.stderr).toMatch(/^interrupted\s+FAIL\s+trial \d of 5, aborted before operation \d+ of \d+, after checkpoint \d+: after resuming, .* differ from the baseline$/m);
      expect(buggy.stderr).toMatch(/First differences, interrupted, trial \d \(aborted after checkpoint \d+\):\nTable\s+Key\s+Column\s+Expected\s+Got/);
      expect(buggy.stderr).toMatch(/^records\s+\d+\s+\(row\)\s+present\s+absent$/m);
      expect(buggy.stderr).toContain("VERIFY FAILED (seed 7; rerun with --seed 7 to repeat)");

      const fixed = await cli(["verify", fixture(bug, "fixed"), "--seed", "7"], { cwd: tempDir() });
      expect(fixed.exitCode, fixed.stderr).toBe(0);
      expect(fixed.stderr).toMatch(/^interrupted\s+PASS/m);
      expect(fixed.stderr).toContain("VERIFY PASSED");
    });
  }

  it("--destination duckdb verifies in DuckDB scratch warehouses: the bug is caught, its twin passes, and a project whose data is in SQLite is told so", async () => {
    // A bare kind names the kind of scratch warehouse, not the project's own warehouse file (which verify refuses to write).
    const buggy = await cli(["verify", fixture("max-timestamp", "buggy"), "--destination", "duckdb", "--seed", "7", "--trials", "3"], { cwd: tempDir() });
    expect(buggy.exitCode, buggy.stderr).toBe(1);
    expect(buggy.stderr).toMatch(/^interrupted\s+FAIL\s+trial \d of 3, aborted before operation \d+ of \d+, after checkpoint \d+/m);
    const fixed = await cli(["verify", fixture("max-timestamp", "fixed"), "--destination", "duckdb", "--seed", "7", "--trials", "3"], { cwd: tempDir() });
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    expect(fixed.stderr).toContain("VERIFY PASSED");
    expect(fixed.stderr).not.toContain("is a file");

    const dir = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); } };\n` });
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
    const other = await cli(["verify", "--destination", "duckdb", "--trials", "1"], { cwd: dir });
    expect(other.exitCode, other.stderr).toBe(2);
    expect(other.stderr).toContain("This project's data is in SQLite");
  });

  it("--json gives the same report, and the same seed repeats the same trials", async () => {
    const a = await cli(["verify", fixture("max-timestamp", "buggy"), "--seed", "11", "--trials", "4", "--json"], { cwd: tempDir() });
    const b = await cli(["verify", fixture("max-timestamp", "buggy"), "--seed", "11", "--trials", "4", "--json"], { cwd: tempDir() });
    expect(a.exitCode).toBe(1);
    const report = JSON.parse(a.stdout);
    expect(report).toMatchObject({ passed: false, seed: 11, operations: 15, checkpoints: 3 });
    expect(report.checks.map((c: { check: string; status: string }) => [c.check, c.status])).toEqual([
      ["baseline", "pass"],
      ["incremental", "pass"],
      ["interrupted", "fail"],
      ["reset", "pass"],
    ]);
    expect(report.trials).toHaveLength(4);
    expect(report.checks[2].differences[0]).toMatchObject({ table: "records", column: "(row)", expected: "present", got: "absent" });
    expect(JSON.parse(b.stdout).trials).toEqual(report.trials);
  });

  it("reports a non-deterministic source instead of failing it, and never touches the project's files/", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update(c: unknown, state: { done?: boolean }) {
    if (state.done) return;
    for (let id = 1; id <= 3; id++) op.upsert("t", { id, fetched_at: Math.random() });
    op.checkpoint({ done: true });
  },
};
`,
      "files/state.json": `{"mine": true}`,
    });
    const r = await cli(["verify", dir], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^baseline\s+WARN\s+the source is not deterministic: two historical syncs differ in 3 value\(s\)/m);
    expect(fs.readdirSync(path.join(dir, "files"))).toEqual(["state.json"]);
    expect(fs.readFileSync(path.join(dir, "files", "state.json"), "utf8")).toBe(`{"mine": true}`);
  });

  it("fails the baseline when the historical sync fails", async () => {
    const dir = makeProject({ "connector.ts": `export default { update() { throw new Error("no source"); } };\n` });
    const r = await cli(["verify", dir], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^baseline\s+FAIL\s+the historical sync failed: no source$/m);
    expect(r.stderr).toMatch(/^incremental\s+SKIPPED/m);
  });

  it("rejects a bad --trials", async () => {
    const r = await cli(["verify", fixture("max-timestamp", "fixed"), "--trials", "zero"], { cwd: tempDir() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--trials takes a whole number of at least 1");
  });

  for (const dir of ["templates/cursor", "templates/hello", "templates/multi-table", "templates/pagination", "templates/rest-api", "examples/hello", "examples/multi-table-cursors"]) {
    it(`passes on the bundled ${dir}`, async () => {
      const r = await cli(["verify", path.join(ROOT, dir), "--seed", "3"], { cwd: tempDir() });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^baseline\s+PASS/m);
      expect(r.stderr).toMatch(/^interrupted\s+PASS/m);
    });
  }
});
