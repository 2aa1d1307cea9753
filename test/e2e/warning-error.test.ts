// op.warning(message) and op.error(message, trace?), as in Fivetran's SDK 2.11: a warning that the
// run reports and goes on, and an error that ends the sync like a throw.
import { describe, expect, it } from "vitest";
import { op } from "../../src/index.js";
import { runSync, SyncError, verifyConnector } from "../../src/testing.js";
import { cli, makeProject, query, readState } from "../helpers.js";

const project = (body: string) =>
  makeProject({
    "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update() {
    op.upsert("t", { id: 1 });
    op.checkpoint({ n: 1 });
${body}
  },
};
`,
  });

describe("op.warning", () => {
  it("shows in the log as it happens, in the summary (each message once) and in --json; the sync goes on", async () => {
    const dir = project(`    op.warning("the API returned 3 records without an id; they were skipped");
    op.upsert("t", { id: 2 });
    op.warning("the API returned 3 records without an id; they were skipped");
    op.warning("rate limit at 90%");
    op.checkpoint({ n: 2 });`);
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr.match(/^\d\d:\d\d:\d\d\.\d{3} WARNING the API returned 3 records without an id; they were skipped$/gm)).toHaveLength(2);
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARNING rate limit at 90%$/m);
    const summary = r.stderr.slice(r.stderr.indexOf("SYNC PROGRESS"));
    expect(summary.match(/^Warning: the API returned 3 records without an id; they were skipped$/gm)).toHaveLength(1);
    expect(summary).toMatch(/^Warning: rate limit at 90%$/m);
    expect(summary).toContain("Sync SUCCEEDED");
    expect(readState(dir)).toEqual({ n: 2 });
    expect(query(dir, "SELECT id FROM t ORDER BY id")).toEqual([{ id: 1 }, { id: 2 }]);

    const json = await cli(["debug", "--json"], { cwd: dir });
    expect(json.exitCode).toBe(0);
    const report = JSON.parse(json.stdout) as { status: string; warnings: string[] };
    expect(report.status).toBe("succeeded");
    expect(report.warnings).toEqual(["the API returned 3 records without an id; they were skipped", "rate limit at 90%"]);
  });

  it("lists at most 100 distinct messages, then says how many more the log holds", async () => {
    const r = await runSync({
      update() {
        for (let i = 0; i < 150; i++) op.warning(`row ${i} skipped`);
        op.checkpoint({});
      },
    });
    expect(r.warnings.filter((w) => /^row \d+ skipped$/.test(w))).toHaveLength(100);
    expect(r.warnings).toContain("op.warning was called 50 more time(s), with messages beyond the 100 listed here; the log shows them all.");
  });

  it("counts as an operation where verify interrupts, and verify passes on a connector that warns", async () => {
    const report = await verifyConnector(
      {
        schema: () => [{ table: "t", primary_key: ["id"] }],
        update(_c: unknown, state: { page?: number }) {
          for (let page = (state.page ?? 0) + 1; page <= 3; page++) {
            op.upsert("t", { id: page });
            op.warning(`page ${page} had a gap`);
            op.checkpoint({ page });
          }
        },
      },
      { trials: 9, seed: 1 },
    );
    expect(report.operations).toBe(9);
    expect(report.passed).toBe(true);
    expect(report.trials.map((t) => t.passed)).toEqual(Array(9).fill(true));
  });
});

describe("op.error", () => {
  it("fails the sync with its message and trace, like a throw: rolled back to the last checkpoint, exit 1, even when caught", async () => {
    const dir = project(`    op.upsert("t", { id: 2 });
    try {
      op.error("the API refused the token", "POST /v1/export returned 401\\n  request id r-77");
    } catch {
      // Catching it does not save the sync.
    }
    op.upsert("t", { id: 3 });
    op.checkpoint({ n: 2 });`);
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Sync FAILED: the API refused the token\n {4}POST \/v1\/export returned 401\n {6}request id r-77\n {4}at .*connector\.ts:9:\d+/);
    expect(readState(dir)).toEqual({ n: 1 });
    expect(query(dir, "SELECT id FROM t ORDER BY id")).toEqual([{ id: 1 }]);
    expect(r.stderr).not.toContain("Crash report");

    const json = await cli(["debug", "--json"], { cwd: dir });
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(json.stdout) as { status: string; error: string; counts: { upserts: number; checkpoints: number } };
    expect(report.status).toBe("failed");
    expect(report.error).toMatch(/^the API refused the token\n {4}POST \/v1\/export returned 401\n {6}request id r-77\n/);
    expect(report.counts).toMatchObject({ upserts: 2, checkpoints: 1 });
  });

  it("under runSync: rejects with a SyncError whose cause carries the trace; without a trace, the message alone", async () => {
    let after = false;
    const e = await runSync({
      update() {
        op.checkpoint({ n: 1 });
        op.error("quota exhausted", "trace line");
        after = true;
      },
    }).catch((x: unknown) => x as SyncError);
    expect(e).toBeInstanceOf(SyncError);
    expect((e as SyncError).message).toBe("quota exhausted");
    expect((e as SyncError).cause).toMatchObject({ name: "ConnectorError", message: "quota exhausted", trace: "trace line" });
    expect((e as SyncError).result.state).toEqual({ n: 1 });
    expect(after).toBe(false);
  });
});
