import { describe, expect, it } from "vitest";
import { op } from "../../src/index.js";
import { runSync } from "../../src/testing.js";

const schema = () => [{ table: "t", primary_key: ["id"] }];

async function warnings(update: (c: Record<string, string>, s: Record<string, unknown>) => void, state: Record<string, unknown> = {}, configuration: Record<string, string> = {}) {
  return (await runSync({ schema, update }, { state, configuration })).warnings;
}

describe("lints during a sync", () => {
  it("a clean incremental connector triggers none", async () => {
    const w = await warnings(
      (_c, s) => {
        let cursor = Number(s.cursor ?? 0);
        for (let page = 0; page < 8; page++) {
          for (let i = 0; i < 10; i++) op.upsert("t", { id: ++cursor });
          op.checkpoint({ cursor, updated_at: new Date(Date.UTC(2024, 0, 1 + cursor)).toISOString(), nested: { since: cursor } });
        }
        op.update("t", { id: 1, note: "x" });
        op.checkpoint({ cursor, updated_at: new Date(Date.UTC(2024, 0, 1 + cursor)).toISOString(), nested: { since: cursor } });
      },
      { cursor: 0, updated_at: "2024-01-01T00:00:00.000Z", nested: { since: 0 } },
      { api_token: "tok_abcdefghijkl" },
    );
    expect(w).toEqual([]);
  });

  it("a top-level key that the start state had and a checkpoint dropped", async () => {
    const w = await warnings(() => op.checkpoint({ orders_cursor: 2 }), { users_cursor: 1, orders_cursor: 1 });
    expect(w).toEqual([expect.stringContaining('checkpoint 1 dropped the state key "users_cursor"')]);
  });

  it("a cursor that moves backwards, by number and by timestamp, at any depth", async () => {
    const w = await warnings(() => {
      op.checkpoint({ offset: 10, tables: { users: { updated_at: "2024-05-01T00:00:00Z" } } });
      op.checkpoint({ offset: 5, tables: { users: { updated_at: "2024-04-01T00:00:00Z" } } });
    });
    expect(w).toEqual([
      expect.stringContaining("the cursor offset moved backwards at checkpoint 2: 10 → 5"),
      expect.stringContaining('the cursor tables.users.updated_at moved backwards at checkpoint 2: "2024-05-01T00:00:00Z" → "2024-04-01T00:00:00Z"'),
    ]);
  });

  it("more than 100 000 operations without a checkpoint", async () => {
    const w = await warnings(() => {
      for (let id = 0; id <= 100_000; id++) op.upsert("t", { id });
      op.checkpoint({ done: true });
    });
    expect(w).toEqual([expect.stringContaining("more than 100,000 operations went by without a checkpoint")]);
  });

  it("a state that grows with the rows, such as a list of processed ids", async () => {
    const w = await warnings(() => {
      const seen: string[] = [];
      for (let page = 0; page < 8; page++) {
        for (let i = 0; i < 5; i++) {
          const id = `${page}-${i}-a1b2c3d4`;
          op.upsert("t", { id });
          seen.push(id);
        }
        op.checkpoint({ seen });
      }
    });
    expect(w).toEqual([expect.stringMatching(/the state grew at each of the last 5 checkpoints, by [\d.]+ bytes per operation/)]);
  });

  it("an update that matched no row, and a secret-looking configuration value in the state", async () => {
    const w = await warnings(
      (c) => {
        op.update("t", { id: 404, name: "x" });
        op.checkpoint({ token: c.api_key });
      },
      {},
      { api_key: "sk_live_0123456789" },
    );
    expect(w).toEqual([
      expect.stringContaining("the state contains a value of a secret-looking configuration key"),
      expect.stringContaining('1 update(s) on table "t" matched no row'),
    ]);
  });
});
