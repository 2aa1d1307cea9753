import { describe, expect, it } from "vitest";
import { op } from "../../src/index.js";
import { runSync, SyncError } from "../../src/testing.js";

/** The same faults behave the same through runSync() as through `connector debug` and `connector verify` (faults.test.ts, interrupts.test.ts). */
const failure = async (p: Promise<unknown>): Promise<SyncError> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SyncError);
    return e as SyncError;
  }
  throw new Error("the sync succeeded");
};
const tick = () => new Promise((r) => setTimeout(r, 5));

describe("runSync binds each operation to its own sync", () => {
  it("two syncs at the same time never see each other's operations", async () => {
    const connector = (name: string, ids: number[]) => ({
      async update() {
        for (const id of ids) {
          op.upsert(name, { id });
          await tick();
        }
        op.checkpoint({ done: name });
      },
    });
    const [a, b] = await Promise.all([runSync(connector("a", [1, 2, 3])), runSync(connector("b", [10, 20]))]);
    expect(a.tables()).toEqual(["a"]);
    expect(b.tables()).toEqual(["b"]);
    expect(a.rows("a").map((r) => r.id).sort()).toEqual([1, 2, 3]);
    expect(b.rows("b").map((r) => r.id).sort()).toEqual([10, 20]);
    expect([a.state, b.state]).toEqual([{ done: "a" }, { done: "b" }]);
  });

  it("an operation from a timer the first sync left behind is refused, and never lands in the next sync", async () => {
    let late: unknown;
    const left = new Promise<void>((resolve) => {
      void runSync({
        update() {
          op.upsert("t", { id: 1 });
          op.checkpoint({ n: 1 });
          setTimeout(() => {
            try {
              op.upsert("t", { id: 99 });
            } catch (e) {
              late = e;
            }
            resolve();
          }, 30);
        },
      });
    });
    const next = await runSync({
      async update() {
        op.upsert("t", { id: 2 });
        await left;
        op.checkpoint({ n: 2 });
      },
    });
    expect(next.rows("t").map((r) => r.id)).toEqual([2]);
    expect(String(late)).toContain("update() had already finished, so this operation is lost");
  });
});

describe("runSync turns a connector's faults into a failed sync", () => {
  it("a promise the connector did not await is rejected: the sync fails, and the test runner sees no unhandled rejection", async () => {
    const e = await failure(
      runSync({
        async update() {
          op.upsert("t", { id: 1 });
          op.checkpoint({ n: 1 });
          void Promise.reject(new Error("lost"));
          await tick();
          await tick();
          op.upsert("t", { id: 2 });
        },
      }),
    );
    expect(e.message).toContain("a promise the connector did not await was rejected: lost");
    expect(e.result.state).toEqual({ n: 1 });
    expect(e.result.rows("t").map((r) => r.id)).toEqual([1]);
  });

  it("update() awaits a promise nothing will ever settle: the sync fails instead of hanging", async () => {
    const e = await failure(
      runSync({
        async update() {
          op.upsert("t", { id: 1 });
          op.checkpoint({ n: 1 });
          await new Promise(() => {});
        },
      }),
    );
    expect(e.message).toContain("update() never finished: it is waiting on a promise that nothing will ever settle");
    expect(e.result.state).toEqual({ n: 1 });
  });

  it("the connector calls process.exit(): the sync fails, and the process goes on", async () => {
    const e = await failure(
      runSync({
        update() {
          op.checkpoint({ n: 1 });
          process.exit(3);
        },
      }),
    );
    expect(e.message).toContain("the connector called process.exit(3); return from update() instead, or throw to fail the sync");
    expect(e.result.state).toEqual({ n: 1 });
  });
});

describe("runSync warns of what a generator update() yields (update-yields-a-row)", () => {
  it("a dlt-style `yield row` loads nothing, and says so once; `yield op.upsert(…)` yields undefined and warns of nothing", async () => {
    const dropped = await runSync({
      *update() {
        yield { id: 1, name: "ada" };
        yield { id: 2, name: "alan" };
        op.checkpoint({ page: 1 });
      },
    });
    expect(dropped.tables()).toEqual([]);
    const warned = dropped.warnings.filter((w) => w.startsWith("update() yielded"));
    expect(warned).toEqual([expect.stringContaining("update() yielded an object, which is not loaded")]);
    expect(warned[0]).toContain("op.upsert(table, row)");
    dropped.close();
    const emitted = await runSync({
      async *update() {
        yield op.upsert("users", { id: 1 });
        yield op.checkpoint({ page: 1 });
      },
    });
    expect(emitted.rows("users").map((r) => r.id)).toEqual([1]);
    expect(emitted.warnings).toEqual([]);
    emitted.close();
  });
});
