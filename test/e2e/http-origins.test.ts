import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";
import { closedAfterEach } from "../http-api.js";

/**
 * connector-sdk/http sends its credentials to the origin the connector named only: not to the host
 * a redirect, a paginator's next URL or a resume names (issue 22, attacked). Two servers on two ports are two origins.
 */

const apis = closedAfterEach();const api = apis.start;

const KEY = "k3y_V9xR2mQ7wL4tZ8pB";

function project(baseUrl: string, auth: string, body: string): string {
  return makeProject({
    "connector.ts": `import { op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>, state: Record<string, unknown>) {
    const api = new RestClient({ baseUrl: configuration.base_url, auth: ${auth} });
    ${body}
  },
};
`,
    "configuration.json": JSON.stringify({ base_url: baseUrl, api_key: KEY }),
  });
}

const PAGING = `for await (const page of api.paginate<{ id: number }>("/items", { paginator: { type: "next-url", path: "next" } })) {
      for (const row of page.items) op.upsert("items", row);
      op.checkpoint({ page: page.resume });
    }`;

describe("RestClient credentials stay with their origin", () => {
  it("a redirect to another host gets no api-key header (fetch would forward it); a redirect on the same host keeps it; the recording replays offline", async () => {
    const other = await api(() => ({ body: { id: 2 } }));
    const a = await api((r) => (r.path === "/same" ? { status: 307, headers: { location: "/moved" } } : r.path === "/away" ? { status: 302, headers: { location: `${other.url}/landing` } } : { body: { id: 1 } }));
    const dir = project(a.url, `{ type: "api-key", name: "X-Api-Key", value: configuration.api_key }`, `op.upsert("things", await api.get<{ id: number }>("/same"));
    op.upsert("things", await api.get<{ id: number }>("/away"));
    op.checkpoint({ done: true });`);
    const r = await cli(["debug", "--record", "--yes"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(a.log.map((s) => [s.path, s.headers["x-api-key"]])).toEqual([["/same", KEY], ["/moved", KEY], ["/away", KEY]]);
    expect(other.log.map((s) => [s.path, s.headers["x-api-key"]])).toEqual([["/landing", undefined]]);
    expect(r.stderr).toMatch(new RegExp(`${other.url}/landing is on another origin than ${a.url}: requested without the client's credentials`));
    await a.close();
    await other.close();
    const t = await cli(["test"], { cwd: dir });
    expect(t.exitCode, t.stderr).toBe(0);
    expect(t.stderr + t.stdout).toMatch(/TEST PASSED/);
  });

  it("a next URL on another host is requested without the bearer token or the api-key query parameter", async () => {
    for (const auth of [`{ type: "bearer", token: configuration.api_key }`, `{ type: "api-key", name: "key", value: configuration.api_key, in: "query" }`]) {
      const other = await api(() => ({ body: { data: [{ id: 3 }], next: null } }));
      const a = await api((r) => ({ body: { data: [{ id: Number(r.query.page ?? 1) }], next: r.query.page ? `${other.url}/items?page=3` : "/items?page=2" } }));
      const r = await cli(["debug"], { cwd: project(a.url, auth, PAGING) });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(a.log.map((s) => s.headers.authorization ?? s.query.key)).toEqual([expect.stringContaining(KEY), expect.stringContaining(KEY)]);
      expect(other.log.map((s) => [s.path, s.headers.authorization, s.query.key])).toEqual([["/items", undefined, undefined]]);
    }
  });

  it("a resume whose URL names another host (a state from before base_url changed) gets no credentials there", async () => {
    const stale = await api(() => ({ status: 401, body: { error: "who are you" } }));
    const a = await api(() => ({ body: { data: [{ id: 1 }], next: null } }));
    const dir = project(a.url, `{ type: "bearer", token: configuration.api_key }`, PAGING.replace(`path: "next" }`, `path: "next" }, resume: state.page`));
    fs.mkdirSync(path.join(dir, "files"));
    fs.writeFileSync(path.join(dir, "files/state.json"), JSON.stringify({ page: { url: `${stale.url}/items?page=7` } }));
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(stale.log.length, r.stderr).toBe(1);
    expect(stale.log.map((s) => [s.query.page, s.headers.authorization])).toEqual([["7", undefined]]);
    expect(r.stderr).toMatch(/is on another origin than .*requested without the client's credentials/);
    expect(r.stderr).not.toContain(KEY);
  });

  it("a 401 from another origin, which got no credentials, fetches no new OAuth2 token: the sync fails on that 401 with the token endpoint asked once", async () => {
    const other = await api(() => ({ status: 401, body: { error: "who are you" } }));
    const a = await api((r) => (r.path === "/token" ? { body: { access_token: `at-${a.log.length}-Q8wE4rT6yU`, expires_in: 3600 } } : { body: { data: [{ id: 1 }], next: `${other.url}/items?page=2` } }));
    const auth = `{ type: "oauth2-client-credentials", tokenUrl: configuration.base_url + "/token", clientId: "cid", clientSecret: configuration.api_key }`;
    const r = await cli(["debug"], { cwd: project(a.url, auth, PAGING) });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(a.log.map((s) => s.path)).toEqual(["/token", "/items"]);
    expect(other.log.map((s) => [s.path, s.headers.authorization])).toEqual([["/items", undefined]]);
    expect(r.stderr).not.toMatch(/fetched a new access token/);
    expect(r.stderr).toMatch(/answered 401/);
  });
});
