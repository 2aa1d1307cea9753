import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runSync } from "connector-sdk/testing";
import { describe, expect, it } from "vitest";
import connector from "./connector.js";

describe("pagination connector", () => {
  it("pages through every event once and resumes after the last id", async () => {
    const warehouse = path.join(mkdtempSync(path.join(tmpdir(), "pagination-")), "warehouse.db");
    const configuration = { page_size: "10" };

    const first = await runSync(connector, { configuration, warehouse });
    expect(first.rows("events")).toHaveLength(23);
    expect(first.checkpoints).toEqual([{ last_id: 10 }, { last_id: 20 }, { last_id: 23 }]);
    first.close();

    const second = await runSync(connector, { configuration, state: first.state, warehouse });
    expect(second.counts.upserts).toBe(0);
    expect(second.rows("events")).toHaveLength(23);
    second.close();

    // Resuming from a middle checkpoint replays only what came after it.
    const resumed = await runSync(connector, { configuration, state: { last_id: 20 } });
    expect(resumed.rows("events").map((e) => e.id)).toEqual([21, 22, 23]);
    resumed.close();
  });
});
