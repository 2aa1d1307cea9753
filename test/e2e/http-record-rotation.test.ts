import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";
import { closedAfterEach, scriptedApi, type Seen } from "../http-api.js";

/**
 * `connector debug --record` of a connector whose OAuth2 provider rotates the refresh token (issue 22, attacked):
 * the recording's incremental re-run is served the recorded token answers, and must not keep their
 * stale refresh token as the newest, or the next run is locked out.
 */

const apis = closedAfterEach();

const token = (kind: string) => `${kind}-${randomBytes(12).toString("hex")}`;

describe("recording a run that rotated the refresh token twice", () => {
  it("leaves the newest refresh token kept: the next live run is not locked out", async () => {
    const first = token("rt");
    const s = { refresh: first, access: new Set<string>(), data: 0 };
    const a = await scriptedApi((r: Seen) => {
      if (r.path === "/token") {
        if (new URLSearchParams(r.body).get("refresh_token") !== s.refresh) return { status: 400, body: { error: "invalid_grant" } };
        s.refresh = token("rt");
        const access = token("at");
        // Access tokens stay good for their hour, as most providers' do, after a refresh too.
        s.access.add(access);
        return { body: { access_token: access, refresh_token: s.refresh, expires_in: 3600 } };
      }
      if (!s.access.has(String(r.headers.authorization).replace("Bearer ", ""))) return { status: 401, body: { error: "invalid_token" } };
      // The second data request is refused once (a session reset on the provider's side): the client refreshes, rotating again.
      if (++s.data === 2) return { status: 401, body: { error: "invalid_token" } };
      if (r.query.since === "3") return { body: { data: [], next: null } };
      const page = Number(r.query.page ?? 1);
      return { body: { data: [{ id: page }], next: page < 3 ? `/items?since=0&page=${page + 1}` : null } };
    });
    apis.push(a);
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>, state: Record<string, unknown>) {
    const api = new RestClient({
      baseUrl: configuration.base_url,
      auth: { type: "oauth2-refresh-token", tokenUrl: configuration.base_url + "/token", clientId: "app", refreshToken: configuration.refresh_token },
    });
    // An incremental listing: the re-run from the final state asks for what the recording does not hold.
    const since = String(state.since ?? "0");
    for await (const page of api.paginate<{ id: number }>("/items", { query: { since }, paginator: { type: "next-url", path: "next" } })) {
      for (const row of page.items) op.upsert("items", row);
      op.checkpoint(page.resume ? { since, page: page.resume } : { since: "3", page: null });
    }
  },
};
`,
      "configuration.json": JSON.stringify({ base_url: a.url, refresh_token: first }),
    });
    const rec = await cli(["debug", "--record", "--yes"], { cwd: dir });
    expect(rec.exitCode, rec.stderr).toBe(0);
    expect(a.log.filter((x) => x.path === "/token")).toHaveLength(2);
    const next = await cli(["debug"], { cwd: dir });
    expect(next.exitCode, next.stderr).toBe(0);
    expect(a.log.filter((x) => x.path === "/token")).toHaveLength(3);
  });
});
