import { readFileSync } from "node:fs";
import { runSync } from "connector-sdk/testing";
import { describe, expect, it } from "vitest";
import connector from "./connector.js";
import type { Event } from "./source.js";

// The expectations come from the data the source serves, so they hold after you append
// events to data/events.json as the README suggests. runSync uses an in-memory warehouse.
const ids = (JSON.parse(readFileSync(new URL("./data/events.json", import.meta.url), "utf8")) as Event[]).map((e) => e.id).toSorted((a, b) => a - b);
const configuration = { page_size: "10" };

describe("pagination connector", () => {
  it("pages through every event once, checkpointing the last id of each page, and resumes after it", async () => {
    const first = await runSync(connector, { configuration });
    expect(first.rows("events").map((e) => e.id)).toEqual(ids);
    // One checkpoint per page of ten, each at the last id of its page.
    const pageEnds = ids.filter((_, i) => i % 10 === 9 || i === ids.length - 1);
    expect(first.checkpoints).toEqual(pageEnds.map((id) => ({ last_id: id })));
    expect(first.warnings).toEqual([]);
    first.close();

    const second = await runSync(connector, { configuration, state: first.state });
    expect(second.counts.upserts).toBe(0);
    expect(second.state).toEqual(first.state);
    second.close();

    // Resuming from any checkpoint replays only what came after it.
    for (const checkpoint of first.checkpoints) {
      const resumed = await runSync(connector, { configuration, state: checkpoint });
      expect(resumed.rows("events").map((e) => e.id)).toEqual(ids.filter((id) => id > (checkpoint.last_id as number)));
      resumed.close();
    }
  });
});
