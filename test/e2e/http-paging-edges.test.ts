import { describe, expect, it } from "vitest";
import { cli, makeProject, query, readState } from "../helpers.js";
import { closedAfterEach, rows } from "../http-api.js";

/** connector-sdk/http's paginators at their edges (issue 22, attacked): APIs that cap, lie, loop or are resumed from odd values. */

const apis = closedAfterEach();const api = apis.start;

/** A connector that pages /items with `options` and upserts every item, checkpointing each page's resume. */
function project(baseUrl: string, options: string, state?: object): string {
  return makeProject({
    "connector.ts": `import { op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>, state: Record<string, unknown>) {
    const api = new RestClient({ baseUrl: configuration.base_url, retry: { attempts: 1 } });
    for await (const page of api.paginate<{ id: number }>("/items", { items: "data", resume: state.page, ${options} })) {
      for (const row of page.items) op.upsert("items", row);
      op.checkpoint({ page: page.resume });
    }
  },
};
`,
    "configuration.json": JSON.stringify({ base_url: baseUrl }),
    ...(state ? { "files/state.json": JSON.stringify(state) } : {}),
  });
}

const ids = (dir: string): number[] => query<{ id: number }>(dir, "SELECT id FROM items ORDER BY id").map((r) => r.id);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe("RestClient paginators at their edges", () => {
  it("offset with a total: an API that caps the page size below `limit` (5 of the 10 asked) still gives every row, neither skipped nor stopped at the first short page", async () => {
    const all = rows(23);
    const a = await api((r) => {
      const offset = Number(r.query.offset);
      return { body: { data: all.slice(offset, offset + Math.min(5, Number(r.query.limit))), total: String(all.length) } };
    });
    const dir = project(a.url, `paginator: { type: "offset", limit: 10, totalPath: "total" }`);
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(ids(dir)).toEqual(range(23));
    expect(a.log.map((s) => s.query.offset)).toEqual(["0", "5", "10", "15", "20"]);
  });

  it("offset without a total: an API that caps the page size below `limit` (100 of the 500 asked) still gives every row, paging on to the empty page instead of stopping at the first short one", async () => {
    const all = rows(250);
    const a = await api((r) => ({ body: { data: all.slice(Number(r.query.offset), Number(r.query.offset) + Math.min(100, Number(r.query.limit))) } }));
    const dir = project(a.url, `paginator: { type: "offset", limit: 500 }`);
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(ids(dir)).toEqual(range(250));
    expect(a.log.map((s) => s.query.offset)).toEqual(["0", "100", "200", "250"]);
  });

  it("OData's \"@odata.nextLink\" (Microsoft Graph, Dynamics), a key with a dot in it, pages every row, named as the next-url path or detected, instead of stopping silently after the first page", async () => {
    const all = rows(6);
    const a = await api((r) => {
      const at = Number(r.query.$skiptoken ?? 0);
      return { body: { "@odata.context": "users", value: all.slice(at, at + 2), ...(at + 2 < all.length ? { "@odata.nextLink": `${a.url}/items?$skiptoken=${at + 2}` } : {}) } };
    });
    const odata = (options: string): string =>
      makeProject({
        "connector.ts": `import { op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const api = new RestClient({ baseUrl: configuration.base_url });
    for await (const page of api.paginate<{ id: number }>("/items", { ${options} })) {
      for (const row of page.items) op.upsert("items", row);
      op.checkpoint({ page: page.resume });
    }
  },
};
`,
        "configuration.json": JSON.stringify({ base_url: a.url }),
      });
    const named = odata(`items: "value", paginator: { type: "next-url", path: "@odata.nextLink" }`);
    const r1 = await cli(["debug"], { cwd: named });
    expect(r1.exitCode, r1.stderr).toBe(0);
    expect(ids(named)).toEqual(range(6));
    const detected = odata("");
    const r2 = await cli(["debug"], { cwd: detected });
    expect(r2.exitCode, r2.stderr).toBe(0);
    expect(ids(detected)).toEqual(range(6));
  });

  it("a cursor that comes back (A, B, A, …) fails the sync as a paging loop instead of paging forever; the pages before it stay committed", async () => {
    const a = await api((r) => ({ body: { data: [{ id: a.log.length }], next: r.query.cursor === "A" ? "B" : "A" } }));
    const dir = project(a.url, `paginator: { type: "cursor", path: "next", param: "cursor" }`);
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/The cursor paginator gave the same URL again after page 3 of http:\/\/127\.0\.0\.1:\d+\/items\?cursor=B: paging would never end\./);
    expect(a.log.map((s) => s.query.cursor)).toEqual([undefined, "A", "B"]);
    expect(ids(dir)).toEqual([1, 2]);
  });

  it("a resume this paginator cannot continue from ({ cursor: null }, a URL that is no URL) starts the listing from its first page with a warning; an offset kept as text resumes there", async () => {
    const all = rows(6);
    const a = await api((r) => {
      const at = r.query.cursor ? Number(r.query.cursor) : r.query.offset ? Number(r.query.offset) : 0;
      const more = at + 2 < all.length;
      return { body: { data: all.slice(at, at + 2), next: more ? String(at + 2) : null, next_url: more ? `/items?cursor=${at + 2}` : null } };
    });
    const cursor = `paginator: { type: "cursor", path: "next", param: "cursor" }`;
    const nulled = project(a.url, cursor, { page: { cursor: null } });
    const r1 = await cli(["debug"], { cwd: nulled });
    expect(r1.exitCode, r1.stderr).toBe(0);
    // Before, the API was asked for ?cursor=null.
    expect(a.log[0]!.query).toEqual({});
    expect(r1.stderr).toMatch(/The resume \{"cursor":null\} of http:\/\/127\.0\.0\.1:\d+\/items is not one the cursor paginator can continue from \(it takes \{ "cursor": "…" \}\): paging starts from the first page\./);
    expect(ids(nulled)).toEqual(range(6));

    const broken = project(a.url, `paginator: { type: "next-url", path: "next_url" }`, { page: { url: "not a url" } });
    const r2 = await cli(["debug"], { cwd: broken });
    expect(r2.exitCode, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/The resume \{"url":"not a url"\} .* is not one the next-url paginator can continue from/);
    expect(ids(broken)).toEqual(range(6));

    const before = a.log.length;
    const text = project(a.url, `paginator: { type: "offset", limit: 2 }`, { page: { offset: "4" } });
    const r3 = await cli(["debug"], { cwd: text });
    expect(r3.exitCode, r3.stderr).toBe(0);
    expect(a.log[before]!.query.offset).toBe("4");
    expect(ids(text)).toEqual([5, 6]);
  });

  it("a Link header whose prev link has a quoted title holding \"; rel=next\" is paged by its real next link", async () => {
    const a = await api((r) => {
      const page = Number(r.query.page ?? 1);
      const links = [`<${a.url}/items?page=${Math.max(1, page - 1)}>; title="back; rel=next is not this"; rel="prev"`];
      if (page < 3) links.push(`<${a.url}/items?page=${page + 1}>; rel="next"`);
      return { body: { data: [{ id: page }] }, headers: { link: links.join(", ") } };
    });
    const dir = project(a.url, `paginator: { type: "link-header" }`);
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(a.log.map((s) => s.query.page)).toEqual([undefined, "2", "3"]);
    expect(ids(dir)).toEqual([1, 2, 3]);
  });

  it("a next URL that echoes a secret-looking query parameter (api_key) leaves no secret in the checkpointed resume; resuming puts it back from the listing's query", async () => {
    const key = "k-" + "5f2a9c1e7b3d4e60";
    const all = rows(6);
    let failOnce = true;
    const a = await api((r) => {
      if (r.query.api_key !== key) return { status: 401, body: { error: "no key" } };
      const at = Number(r.query.cursor ?? 0);
      if (at === 4 && failOnce) return ((failOnce = false), { status: 500, body: { error: "try later" } });
      return { body: { data: all.slice(at, at + 2), next_url: at + 2 < all.length ? `/items?cursor=${at + 2}&api_key=${key}&sort=id` : null } };
    });
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>, state: Record<string, unknown>) {
    const api = new RestClient({ baseUrl: configuration.base_url, retry: { attempts: 1 } });
    for await (const page of api.paginate<{ id: number }>("/items", { query: { api_key: configuration.api_key }, items: "data", resume: state.page, paginator: { type: "next-url", path: "next_url" } })) {
      for (const row of page.items) op.upsert("items", row);
      op.checkpoint({ page: page.resume });
    }
  },
};
`,
      "configuration.json": JSON.stringify({ base_url: a.url, api_key: key }),
    });
    const r1 = await cli(["debug"], { cwd: dir });
    expect(r1.exitCode, r1.stderr).toBe(1);
    expect(r1.stderr).not.toMatch(/never store credentials in state/);
    const state = JSON.stringify(readState(dir));
    expect(state).not.toContain(key);
    expect(state).toContain("cursor=4");
    expect(state).toContain("sort=id");
    const r2 = await cli(["debug"], { cwd: dir });
    expect(r2.exitCode, r2.stderr).toBe(0);
    expect(r2.stderr).not.toMatch(/never store credentials in state/);
    expect(a.log.map((s) => s.query.cursor)).toEqual([undefined, "2", "4", "4"]);
    expect(a.log.every((s) => s.query.api_key === key)).toBe(true);
    expect(ids(dir)).toEqual(range(6));
  });

  it("a next URL that echoes the bearer token under a name that looks like a page token (?token=…) leaves it out of the checkpointed resume, and the resume continues at its page", async () => {
    const token = "tok_" + "Q7vX2mK9pL4rT8wZ";
    const all = rows(6);
    let failOnce = true;
    const a = await api((r) => {
      if (r.headers.authorization !== `Bearer ${token}`) return { status: 401, body: { error: "no token" } };
      const at = Number(r.query.cursor ?? 0);
      if (at === 4 && failOnce) return ((failOnce = false), { status: 500, body: { error: "try later" } });
      return { body: { data: all.slice(at, at + 2), next_url: at + 2 < all.length ? `/items?cursor=${at + 2}&token=${token}&pageToken=p${at + 2}` : null } };
    });
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>, state: Record<string, unknown>) {
    const api = new RestClient({ baseUrl: configuration.base_url, auth: { type: "bearer", token: configuration.api_token }, retry: { attempts: 1 } });
    for await (const page of api.paginate<{ id: number }>("/items", { items: "data", resume: state.page, paginator: { type: "next-url", path: "next_url" } })) {
      for (const row of page.items) op.upsert("items", row);
      op.checkpoint({ page: page.resume });
    }
  },
};
`,
      "configuration.json": JSON.stringify({ base_url: a.url, api_token: token }),
    });
    const r1 = await cli(["debug"], { cwd: dir });
    expect(r1.exitCode, r1.stderr).toBe(1);
    expect(r1.stderr).not.toMatch(/never store credentials in state/);
    const state = JSON.stringify(readState(dir));
    expect(state).not.toContain(token);
    expect(state).toContain("cursor=4");
    expect(state).toContain("pageToken=p4");
    const r2 = await cli(["debug"], { cwd: dir });
    expect(r2.exitCode, r2.stderr).toBe(0);
    expect(a.log.map((s) => s.query.cursor)).toEqual([undefined, "2", "4", "4"]);
    expect(ids(dir)).toEqual(range(6));
  });

  it("a next URL whose page is a pageToken (a name holding \"token\", as Google's and Graph's are) keeps it in the checkpointed resume, so a resume continues at that page, not at the first", async () => {
    const all = rows(6);
    let failOnce = true;
    const a = await api((r) => {
      const at = Number(r.query.pageToken ?? 0);
      if (at === 4 && failOnce) return ((failOnce = false), { status: 500, body: { error: "try later" } });
      return { body: { data: all.slice(at, at + 2), next_url: at + 2 < all.length ? `/items?pageToken=${at + 2}` : null } };
    });
    const dir = project(a.url, `paginator: { type: "next-url", path: "next_url" }`);
    const r1 = await cli(["debug"], { cwd: dir });
    expect(r1.exitCode, r1.stderr).toBe(1);
    expect(JSON.stringify(readState(dir))).toContain("pageToken=4");
    const r2 = await cli(["debug"], { cwd: dir });
    expect(r2.exitCode, r2.stderr).toBe(0);
    expect(a.log.map((s) => s.query.pageToken)).toEqual([undefined, "2", "4", "4"]);
    expect(ids(dir)).toEqual(range(6));
  });

  it("an API that ignores the page parameter (its first page again and again, no page count) fails the sync at page 2, naming the option to set, instead of paging forever", async () => {
    const a = await api(() => ({ body: { data: [{ id: 1 }, { id: 2 }] } }));
    const dir = project(a.url, `paginator: { type: "page", param: "p" }`);
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/The page paginator's page 2 of http:\/\/127\.0\.0\.1:\d+\/items\?p=2 is the same as page 1: the API seems to ignore the query parameter "p": set paginator\.param to the one it pages by, or paginator\.totalPagesPath to where the body gives its page count\. Paging would never end\./);
    expect(a.log.map((s) => s.query.p)).toEqual(["1", "2"]);
    expect(ids(dir)).toEqual([1, 2]);
  });
});
