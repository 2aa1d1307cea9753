import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runSync } from "connector-sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import connector from "./connector.js";
import { startFixtureServer, type FixtureServer } from "./server.js";

describe("rest-api connector", () => {
  let server: FixtureServer;
  beforeAll(async () => {
    server = await startFixtureServer();
  });
  afterAll(() => server.close());

  it("pages through the API with a compound cursor, losing no user that shares a timestamp", async () => {
    const warehouse = path.join(mkdtempSync(path.join(tmpdir(), "rest-")), "warehouse.db");
    const configuration = { base_url: server.url, page_size: "4" };

    const first = await runSync(connector, { configuration, warehouse });
    // Five users share the first timestamp, across the boundary of the first page of four.
    expect(first.rows("users").map((u) => u.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first.checkpoints[0]).toEqual({ updated_at: "2024-06-01T10:00:00Z", id: 4 });
    expect(first.state).toEqual({ updated_at: "2024-06-04T09:15:00Z", id: 10 });
    first.close();

    const second = await runSync(connector, { configuration, state: first.state, warehouse });
    expect(second.counts.upserts).toBe(0);
    expect(second.rows("users")).toHaveLength(10);
    second.close();
  });
});
