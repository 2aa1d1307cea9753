import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runSync } from "connector-sdk/testing";
import { describe, expect, it } from "vitest";
import connector from "./connector.js";

describe("cursor connector", () => {
  it("syncs every user once, then an incremental run from the saved state adds nothing twice", async () => {
    const warehouse = path.join(mkdtempSync(path.join(tmpdir(), "cursor-")), "warehouse.db");
    const configuration = { page_size: "5" };

    const first = await runSync(connector, { configuration, warehouse });
    const users = first.rows("users");
    expect(users).toHaveLength(12);
    // One checkpoint per page of five: 5 + 5 + 2.
    expect(first.checkpoints).toHaveLength(3);
    expect(first.state).toEqual({ last_updated_at: "2024-03-03T20:00:00Z" });
    first.close();

    const second = await runSync(connector, { configuration, state: first.state, warehouse });
    expect(second.counts.upserts).toBe(0);
    expect(new Set(second.rows("users").map((u) => u.id)).size).toBe(12);
    expect(second.state).toEqual(first.state);
    second.close();
  });
});
