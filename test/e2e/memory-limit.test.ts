// Memory like production: every debug run ends with its peak memory (Fivetran 2.9.2), and
// --memory-limit caps the sync worker's heap (4 GB by default, as Fivetran's local debug;
// 1GB simulates production). A connector over the limit fails cleanly; the CLI survives it.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatSize, parseSize } from "../../src/util/size.js";
import { cli, makeProject, query, readState } from "../helpers.js";

const PEAK = /^Peak memory: [\d.]+ (KB|MB|GB) heap \(sync worker\), [\d.]+ (MB|GB) RSS \(process\); limit (.+) \(--memory-limit\)$/;

/** Three pages of 1,000 rows, each checkpointed; then it keeps every row it reads in an array, and never checkpoints again. */
const hoarder = (): string =>
  makeProject({
  "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "rows", primary_key: ["id"] }],
  update() {
    let id = 0;
    for (let page = 1; page <= 3; page++) {
      for (let i = 0; i < 1000; i++) op.upsert("rows", { id: id++, page });
      op.checkpoint({ page });
    }
    const all: object[] = [];
    for (;;) {
      const row = { id: id++, page: 4, payload: "x".repeat(64) + id };
      all.push(row);
      op.upsert("rows", row);
    }
  },
};
`,
  });

describe("peak memory", () => {
  it("ends the summary of every run, succeeded or failed, and is in --json", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default { update(c: Record<string, string>) { op.upsert("t", { id: 1 }); op.checkpoint({}); if (c.fail) throw new Error("boom"); } };
`,
    });
    const ok = await cli(["debug"], { cwd: dir });
    expect(ok.exitCode, ok.stderr).toBe(0);
    const last = ok.stderr.trimEnd().split("\n").at(-1)!;
    expect(last).toMatch(PEAK);
    expect(PEAK.exec(last)![3]).toBe("4 GB");

    const json = await cli(["debug", "--json", "--memory-limit", "1GB"], { cwd: dir });
    const report = JSON.parse(json.stdout) as { memory: { peakHeapBytes: number; peakRssBytes: number; limitBytes: number } };
    expect(report.memory.limitBytes).toBe(1024 ** 3);
    expect(report.memory.peakHeapBytes).toBeGreaterThan(1024 ** 2);
    expect(report.memory.peakRssBytes).toBeGreaterThan(report.memory.peakHeapBytes);

    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ fail: "yes" }));
    const failed = await cli(["debug"], { cwd: dir });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain("Sync FAILED: boom");
    expect(failed.stderr.trimEnd().split("\n").at(-1)).toMatch(PEAK);
  });
});

describe("--memory-limit", () => {
  it("a connector that accumulates rows past the limit fails with the limit named, rolls back to its last checkpoint, and the CLI survives", async () => {
    const dir = hoarder();
    const r = await cli(["debug", "--memory-limit", "192MB"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain("Sync FAILED: memory limit of 192 MB exceeded: the sync worker's heap reached --memory-limit");
    // The summary is printed: the main thread outlived the worker.
    expect(r.stderr).toMatch(/^Checkpoints\s+\| 3$/m);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toMatch(/^Peak memory: 192 MB heap \(sync worker\), .*; limit 192 MB \(--memory-limit\)$/);
    expect(r.stderr).not.toMatch(/FATAL ERROR|JavaScript heap out of memory|Internal error/);
    expect(readState(dir)).toEqual({ page: 3 });
    expect(query(dir, "SELECT count(*) AS n, max(id) AS last, max(page) AS page FROM rows")).toEqual([{ n: 3000, last: 2999, page: 3 }]);
    // The lock was released and the warehouse closed: the next run starts normally.
    const again = await cli(["debug", "--memory-limit", "192MB", "--json"], { cwd: dir });
    expect(again.exitCode).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: "failed", previousState: { page: 3 }, state: { page: 3 } });
  }, 120_000); // two runs that fill a 192 MB heap, whose garbage collections near the limit slow down most on a loaded machine

  it("reads sizes in KB, MB and GB (units of 1024) and names them back", () => {
    expect(parseSize("512MB", "--memory-limit")).toBe(512 * 1024 ** 2);
    expect(parseSize("1GB", "--memory-limit")).toBe(1024 ** 3);
    expect(parseSize("1.5 gb", "--memory-limit")).toBe(1.5 * 1024 ** 3);
    expect(formatSize(1024 ** 3)).toBe("1 GB");
    expect(formatSize(4 * 1024 ** 3)).toBe("4 GB");
    expect(formatSize(1.5 * 1024 ** 3)).toBe("1.5 GB");
    expect(formatSize(512 * 1024 ** 2)).toBe("512 MB");
    expect(() => parseSize("lots", "--memory-limit")).toThrow('--memory-limit: cannot read the size "lots"; write it as 512MB or 1GB');
    expect(() => parseSize("1", "--memory-limit")).toThrow("write it as 512MB or 1GB");
    expect(() => parseSize("16MB", "--memory-limit")).toThrow("--memory-limit 16MB is too small: a sync needs at least 64 MB");
  });
});
