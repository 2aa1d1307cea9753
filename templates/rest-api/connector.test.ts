import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { runSync } from "connector-sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import connector from "./connector.js";
import { startFixtureServer, type FixtureOptions, type FixtureServer } from "./server.js";

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
const ids = (list: User[]) => list.map((u) => u.id).toSorted((a, b) => a - b);

describe("rest-api connector", () => {
  let server: FixtureServer;
  beforeAll(async () => {
    server = await startFixtureServer();
  });
  afterAll(() => server.close());

  it("pages through the API, checkpointing where the listing goes on and, at its end, the compound cursor of the last user; an incremental run syncs nothing again, commits no checkpoint and warns of nothing", async () => {
    const configuration = { base_url: server.url, page_size: "4" };
    const first = await runSync(connector, { configuration });
    expect(first.rows("users").map((u) => u.id)).toEqual(ids(users));
    const pageEnds = inOrder.filter((_, i) => i % 4 === 3 || i === inOrder.length - 1);
    // Until the listing ends, each checkpoint keeps the query it began with, so a resume asks exactly what this run asked.
    const start = { updated_at: "2000-01-01T00:00:00Z", id: 0 };
    expect(first.checkpoints.map(({ page: _, ...c }) => c)).toEqual([...pageEnds.slice(0, -1).map(() => start), cursorAt(pageEnds.at(-1)!)]);
    // Paging finished: nothing to resume.
    expect(first.state).toEqual({ ...cursorAt(inOrder.at(-1)!), page: null });
    expect(first.warnings).toEqual([]);
    first.close();

    const second = await runSync(connector, { configuration, state: first.state });
    expect(second.counts.upserts).toBe(0);
    expect(second.state).toEqual(first.state);
    expect(second.checkpoints).toEqual([]);
    expect(second.warnings).toEqual([]);
    second.close();
  });

  it("resumes at the page after its last checkpoint: the first request carries that page's cursor", async () => {
    const { server: api, close } = await fixtureServer(users);
    try {
      const configuration = { base_url: api.url, page_size: "4" };
      const first = await runSync(connector, { configuration });
      first.close();
      const afterFirstPage = first.checkpoints[0]!;
      const page = afterFirstPage.page as { cursor: string };
      expect(page).toEqual({ cursor: expect.any(String) });

      const before = api.requests.length;
      const resumed = await runSync(connector, { configuration, state: afterFirstPage });
      expect(new URL(api.requests[before]!, api.url).searchParams.get("cursor")).toBe(page.cursor);
      expect(resumed.rows("users").map((u) => u.id)).toEqual(ids(inOrder.slice(4)));
      resumed.close();
    } finally {
      await close();
    }
  });

  it("retries a busy API: a 503 with Retry-After, then the pages", async () => {
    const { server: api, close } = await fixtureServer(users, { failFirst: 503 });
    try {
      const result = await runSync(connector, { configuration: { base_url: api.url, page_size: "4" } });
      expect(result.rows("users").map((u) => u.id)).toEqual(ids(users));
      // The first page was asked for twice: once answered 503, once for real.
      expect(api.requests[0]).toBe(api.requests[1]);
      result.close();
    } finally {
      await close();
    }
  });

  it("loses no user that shares a timestamp across a page boundary", async () => {
    // Five users with one updated_at, in pages of two: a timestamp-only cursor with `>` would skip three of them.
    const tied = [1, 2, 3, 4, 5].map((id) => ({ id, login: `u${id}`, plan: "free", updated_at: "2024-06-01T10:00:00Z" }));
    const { server: api, close } = await fixtureServer(tied);
    try {
      const configuration = { base_url: api.url, page_size: "2" };
      const first = await runSync(connector, { configuration });
      expect(first.rows("users").map((u) => u.id)).toEqual([1, 2, 3, 4, 5]);
      expect(first.checkpoints.map(({ page: _, ...c }) => c)).toEqual([{ updated_at: "2000-01-01T00:00:00Z", id: 0 }, { updated_at: "2000-01-01T00:00:00Z", id: 0 }, { updated_at: "2024-06-01T10:00:00Z", id: 5 }]);
      first.close();
      // Resuming after the first page fetches exactly the users after it.
      const resumed = await runSync(connector, { configuration, state: first.checkpoints[0] });
      expect(resumed.rows("users").map((u) => u.id)).toEqual([3, 4, 5]);
      resumed.close();
    } finally {
      await close();
    }
  });
});

/** A server of its own over these users, in a temporary folder removed by close(). */
async function fixtureServer(fixture: object[], options?: FixtureOptions): Promise<{ server: FixtureServer; close: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "rest-api-"));
  const file = path.join(dir, "users.json");
  writeFileSync(file, JSON.stringify(fixture));
  const server = await startFixtureServer(pathToFileURL(file), options);
  return {
    server,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
