import { describe, expect, it } from "vitest";
import { op } from "../../src/index.js";
import { verifyConnector } from "../../src/testing.js";

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
});
