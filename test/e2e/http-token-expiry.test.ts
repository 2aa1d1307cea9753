import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, query } from "../helpers.js";
import { closedAfterEach, rows, scriptedApi, type Seen } from "../http-api.js";

/**
 * An OAuth2 access token with `expires_in` is refreshed before it expires (issue 22): the next
 * request goes out with a new token, never with the expired one to be answered 401 first.
 * Asserted on the servers' request log, not on timing.
 */

const apis = closedAfterEach();

const SOURCE = rows(9);
const LIFE_S = 1;

/**
 * Access tokens live LIFE_S seconds by the server's clock, from before the token response is sent;
 * a request with an expired or unknown token is answered 401. The first page is held until the
 * token has lived LIFE_S seconds since that request arrived, which is after the client received
 * the token: by then the client's own count of the token's life has certainly run out.
 */
async function expiringApi(grant: "client_credentials" | "refresh_token") {
  const issued = new Map<string, number>();
  const state = { refresh: "rt-0", n: 0, held: false };
  const answered401: Seen[] = [];
  const a = await scriptedApi(async (r: Seen) => {
    if (r.path === "/token") {
      const form = new URLSearchParams(r.body);
      if (form.get("grant_type") !== grant || (grant === "refresh_token" && form.get("refresh_token") !== state.refresh)) return { status: 400, body: { error: "invalid_grant" } };
      const access = `at-${++state.n}`;
      issued.set(access, Date.now());
      state.refresh = `rt-${state.n}`;
      return { body: { access_token: access, expires_in: LIFE_S, token_type: "bearer", ...(grant === "refresh_token" ? { refresh_token: state.refresh } : {}) } };
    }
    const access = /^Bearer (.+)$/.exec(r.headers.authorization ?? "")?.[1] ?? "";
    const at = issued.get(access);
    if (at === undefined || Date.now() >= at + LIFE_S * 1000) {
      answered401.push(r);
      return { status: 401, body: { error: "invalid_token" } };
    }
    const page = Number(r.query.page);
    const reply = { body: { data: SOURCE.slice((page - 1) * 3, page * 3), pages: 3 } };
    if (state.held) return reply;
    state.held = true;
    return { ...reply, hold: new Promise<void>((resolve) => setTimeout(resolve, r.at + LIFE_S * 1000 + 50 - Date.now())) };
  });
  apis.push(a);
  return { api: a, answered401 };
}

const connector = (auth: string): string => `import { Connector, op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default new Connector({
  async update(configuration, state) {
    const api = new RestClient({ baseUrl: configuration.base_url, auth: ${auth} });
    for await (const page of api.paginate("/items", { items: "data", paginator: { type: "page", totalPagesPath: "pages" }, resume: state.page })) {
      for (const item of page.items) op.upsert("items", item);
      op.checkpoint({ page: page.resume });
    }
  },
});
`;

const AUTH = {
  client_credentials: `{ type: "oauth2-client-credentials", tokenUrl: configuration.token_url, clientId: "client-1", clientSecret: "s3cret-client" }`,
  refresh_token: `{ type: "oauth2-refresh-token", tokenUrl: configuration.token_url, clientId: "client-1", clientSecret: "s3cret-client", refreshToken: configuration.refresh_token }`,
} as const;

describe("OAuth2 access tokens with expires_in", () => {
  for (const grant of ["client_credentials", "refresh_token"] as const) {
    it(`${grant}: a token about to expire is refreshed before the next request, with no 401 round trip`, async () => {
      const { api, answered401 } = await expiringApi(grant);
      const dir = makeProject({ "connector.ts": connector(AUTH[grant]) });
      fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ base_url: api.url, token_url: `${api.url}/token`, refresh_token: "rt-0" }));
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(answered401).toEqual([]);
      const log = api.log.map((s) => (s.path === "/token" ? "token" : `page ${s.query.page}`));
      // Each page asked for once, and a token request between page 1 and page 2: the one held past the first token's life.
      expect(log.filter((s) => s !== "token")).toEqual(["page 1", "page 2", "page 3"]);
      expect(log.slice(0, log.indexOf("page 2") + 1)).toEqual(["token", "page 1", "token", "page 2"]);
      const sent = (page: string) => api.log.find((s) => s.query.page === page)!.headers.authorization;
      expect(sent("2")).not.toBe(sent("1"));
      expect(query(dir, "SELECT id, name FROM items ORDER BY id")).toEqual(SOURCE);
    });
  }
});
