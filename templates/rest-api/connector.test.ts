import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { runSync } from "connector-sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import connector from "./connector.js";
import { startFixtureServer, type FixtureServer } from "./server.js";

interface User {
  id: number;
  updated_at: string;
}

// The expectations come from the fixtures the server serves, so they hold after you edit
// fixtures/users.json as the README suggests. runSync uses an in-memory warehouse.
const users = JSON.parse(readFileSync(new URL("./fixtures/users.json", import.meta.url), "utf8")) as User[];
// The API's order: by updated_at, then by id.
const inOrder = users.toSorted((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id - b.id);
const cursorAt = (u: User) => ({ updated_at: u.updated_at, id: u.id });

describe("rest-api connector", () => {
  let server: FixtureServer;
  beforeAll(async () => {
    server = await startFixtureServer();
  });
  afterAll(() => server.close());

  it("pages through the API, checkpointing the compound cursor of each page's last user, and an incremental run syncs nothing again", async () => {
    const configuration = { base_url: server.url, page_size: "4" };
    const first = await runSync(connector, { configuration });
    expect(first.rows("users").map((u) => u.id)).toEqual(users.map((u) => u.id).toSorted((a, b) => a - b));
    const pageEnds = inOrder.filter((_, i) => i % 4 === 3 || i === inOrder.length - 1);
    expect(first.checkpoints).toEqual(pageEnds.map(cursorAt));
    expect(first.state).toEqual(cursorAt(inOrder.at(-1)!));
    expect(first.warnings).toEqual([]);
    first.close();

    const second = await runSync(connector, { configuration, state: first.state });
    expect(second.counts.upserts).toBe(0);
    expect(second.state).toEqual(first.state);
    second.close();
  });

  it("loses no user that shares a timestamp across a page boundary", async () => {
    // Five users with one updated_at, in pages of two: a timestamp-only cursor with `>` would skip three of them.
    const dir = mkdtempSync(path.join(tmpdir(), "rest-api-"));
    const tied = await startFixtureServerWith(dir, [1, 2, 3, 4, 5].map((id) => ({ id, login: `u${id}`, plan: "free", updated_at: "2024-06-01T10:00:00Z" })));
    try {
      const configuration = { base_url: tied.url, page_size: "2" };
      const first = await runSync(connector, { configuration });
      expect(first.rows("users").map((u) => u.id)).toEqual([1, 2, 3, 4, 5]);
      expect(first.checkpoints).toEqual([2, 4, 5].map((id) => ({ updated_at: "2024-06-01T10:00:00Z", id })));
      first.close();
      // Resuming after the first page fetches exactly the users after it.
      const resumed = await runSync(connector, { configuration, state: first.checkpoints[0] });
      expect(resumed.rows("users").map((u) => u.id)).toEqual([3, 4, 5]);
      resumed.close();
    } finally {
      await tied.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function startFixtureServerWith(dir: string, fixture: object[]): Promise<FixtureServer> {
  const file = path.join(dir, "users.json");
  writeFileSync(file, JSON.stringify(fixture));
  return startFixtureServer(pathToFileURL(file));
}
