import { readFileSync } from "node:fs";
import { runSync } from "connector-sdk/testing";
import { describe, expect, it } from "vitest";
import connector from "./connector.js";
import type { User } from "./source.js";

// The expectations come from the data the source serves, so they hold after you edit
// data/users.json as the README suggests. runSync uses an in-memory warehouse.
const users = JSON.parse(readFileSync(new URL("./data/users.json", import.meta.url), "utf8")) as User[];
const byTime = users.toSorted((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at));
const configuration = { page_size: "5" };

describe("cursor connector", () => {
  it("syncs every user once, checkpointing after each page, and an incremental run syncs nothing again", async () => {
    const first = await runSync(connector, { configuration });
    expect(first.rows("users").map((u) => u.id)).toEqual(users.map((u) => u.id).toSorted((a, b) => a - b));
    // One checkpoint per page of five, each at the last user of its page.
    const pageEnds = byTime.filter((_, i) => i % 5 === 4 || i === byTime.length - 1);
    expect(first.checkpoints).toEqual(pageEnds.map((u) => ({ last_updated_at: u.updated_at })));
    expect(first.state).toEqual({ last_updated_at: byTime.at(-1)!.updated_at });
    expect(first.warnings).toEqual([]);
    first.close();

    const second = await runSync(connector, { configuration, state: first.state });
    expect(second.counts.upserts).toBe(0);
    expect(second.state).toEqual(first.state);
    second.close();
  });

  it("resumes after the last committed page: a sync from a middle checkpoint syncs only the later users", async () => {
    const first = await runSync(connector, { configuration });
    first.close();
    for (const checkpoint of first.checkpoints) {
      const resumed = await runSync(connector, { configuration, state: checkpoint });
      const later = byTime.filter((u) => Date.parse(u.updated_at) > Date.parse(checkpoint.last_updated_at as string));
      expect(resumed.rows("users").map((u) => u.id)).toEqual(later.map((u) => u.id).toSorted((a, b) => a - b));
      expect(resumed.state).toEqual(first.state);
      resumed.close();
    }
  });
});
