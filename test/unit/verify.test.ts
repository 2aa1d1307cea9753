import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { op } from "../../src/index.js";
import { verifyConnector } from "../../src/testing.js";
import { tempDir } from "../helpers.js";

/** Runs fn with os.tmpdir() pointing at a fresh folder, and returns what verify left in it. */
async function leftInTemp<T>(fn: () => Promise<T>): Promise<{ value: T; left: string[] }> {
  const dir = tempDir();
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    const value = await fn();
    return { value, left: fs.readdirSync(dir).filter((f) => f.startsWith("connector-verify-")) };
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}

describe("verifyConnector", () => {
  it("passes a connector that resumes and reports each check", async () => {
    const report = await verifyConnector(
      {
        schema: () => [{ table: "t", primary_key: ["id"] }],
        update(_c: unknown, state: { next?: number }) {
          for (let id = state.next ?? 0; id < 20; id++) {
            op.upsert("t", { id });
            if (id % 5 === 4) op.checkpoint({ next: id + 1 });
          }
        },
      },
      { seed: 1, trials: 8 },
    );
    expect(report.passed).toBe(true);
    expect(report.operations).toBe(24);
    expect(report.trials.map((t) => t.passed)).toEqual(Array(8).fill(true));
    expect(new Set(report.trials.map((t) => t.abortedBeforeOperation)).size).toBeGreaterThan(1);
  });

  it("fails a connector that checkpoints past rows it has not written", async () => {
    const report = await verifyConnector(
      {
        schema: () => [{ table: "t", primary_key: ["id"] }],
        update(_c: unknown, state: { next?: number }) {
          for (let id = state.next ?? 0; id < 20; id += 5) {
            op.checkpoint({ next: id + 5 });
            for (let k = id; k < id + 5; k++) op.upsert("t", { id: k });
          }
        },
      },
      { seed: 2, trials: 10 },
    );
    expect(report.passed).toBe(false);
    const failed = report.checks.find((c) => c.check === "interrupted")!;
    expect(failed.status).toBe("fail");
    expect(failed.differences[0]).toMatchObject({ table: "t", column: "(row)", expected: "present", got: "absent" });
  });

  it("fails the check in progress on a rejected promise the connector did not await, without an unhandled rejection reaching the test runner", async () => {
    const leaked: unknown[] = [];
    const spy = (reason: unknown): void => void leaked.push(reason);
    process.on("unhandledRejection", spy);
    try {
      const { value: report, left } = await leftInTemp(() =>
        verifyConnector(
          {
            schema: () => [{ table: "t", primary_key: ["id"] }],
            async update() {
              op.upsert("t", { id: 1 });
              op.checkpoint({ n: 1 });
              void (async () => {
                throw new Error("detached failure");
              })();
              await new Promise((r) => setTimeout(r, 20));
              op.checkpoint({ n: 2 });
            },
          },
          { seed: 1 },
        ),
      );
      expect(report.passed).toBe(false);
      expect(report.checks[0]).toMatchObject({
        check: "baseline",
        status: "fail",
        detail: "the historical sync failed: a promise the connector did not await was rejected: detached failure",
      });
      expect(left).toEqual([]);
      await new Promise((r) => setTimeout(r, 50));
      expect(leaked).toEqual([]);
      // The runner's own listeners are back once verify is done.
      expect(process.listeners("unhandledRejection")).toContain(spy);
    } finally {
      process.off("unhandledRejection", spy);
    }
  });

  it("timeout fails a sync that never finishes, and verify goes on to the next checks", async () => {
    let runs = 0;
    const { value: report, left } = await leftInTemp(() =>
      verifyConnector(
        {
          schema: () => [{ table: "t", primary_key: ["id"] }],
          async update(_c: unknown, state: { done?: boolean }) {
            runs++;
            if (state.done) await new Promise((r) => setTimeout(r, 60_000));
            op.upsert("t", { id: 1 });
            op.checkpoint({ done: true });
          },
        },
        { seed: 1, trials: 1, timeout: 300 },
      ),
    );
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ["baseline", "pass"],
      ["incremental", "fail"],
      ["interrupted", "pass"],
      ["reset", "pass"],
    ]);
    expect(report.checks[1]!.detail).toBe("the sync failed: timed out after 300ms");
    expect(runs).toBeGreaterThanOrEqual(5);
    expect(left).toEqual([]);
  });
});
