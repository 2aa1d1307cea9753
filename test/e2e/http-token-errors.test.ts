import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";
import { closedAfterEach, scriptedApi } from "../http-api.js";

/** What the OAuth2 auths of connector-sdk/http say when the token endpoint refuses (issue 22, attacked). */

const apis = closedAfterEach();

describe("RestClient OAuth2 refusals", () => {
  it("a wrong client secret (invalid_client) is named as such: the user is not told to replace a refresh token that is still good", async () => {
    const a = await scriptedApi(() => ({ status: 401, body: { error: "invalid_client", error_description: "client authentication failed" } }));
    apis.push(a);
    const dir = makeProject({
      "connector.ts": `import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const api = new RestClient({ baseUrl: configuration.base_url, auth: { type: "oauth2-refresh-token", tokenUrl: configuration.base_url + "/token", clientId: "app", clientSecret: configuration.client_secret, refreshToken: configuration.refresh_token } });
    await api.get("/items");
  },
};
`,
      "configuration.json": JSON.stringify({ base_url: a.url, client_secret: "wrong-secret-123", refresh_token: "rt-still-good-456" }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(a.log.map((s) => s.path)).toEqual(["/token"]);
    expect(r.stderr).toMatch(/OAuth2 token request POST http:\/\/127\.0\.0\.1:\d+\/token answered 401: .*invalid_client.* The client was refused \(invalid_client\): check clientId and clientSecret; the refresh token is not at fault and is kept\./);
    expect(r.stderr).not.toContain("put a new one in the configuration");
  });

  it("retry.when is asked about the API's answers, not the token endpoint's: a rule that reads the API's body does not trip on a token answer", async () => {
    const a = await scriptedApi((r) => (r.path === "/token" ? { body: { access_token: "at-1234567890abc", expires_in: 3600 } } : r.n === 2 ? { body: { status: "busy", items: [] } } : { body: { status: "ok", items: [{ id: 1 }] } }));
    apis.push(a);
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const api = new RestClient({
      baseUrl: configuration.base_url,
      auth: { type: "oauth2-client-credentials", tokenUrl: configuration.base_url + "/token", clientId: "app", clientSecret: configuration.client_secret },
      retry: { baseDelayMs: 1, when: (r) => r.json<{ status: string }>().status.startsWith("busy") },
    });
    const body = await api.get<{ items: { id: number }[] }>("/items");
    for (const row of body.items) op.upsert("items", row);
    op.checkpoint({ done: true });
  },
};
`,
      "configuration.json": JSON.stringify({ base_url: a.url, client_secret: "s3cret-client-1" }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(a.log.map((s) => s.path)).toEqual(["/token", "/items", "/items"]);
  });

  it("a token endpoint that refuses with a 200 and an RFC 6749 error body is quoted (error and error_description), not just its key names; the refresh token stays hidden", async () => {
    const a = await scriptedApi(() => ({ body: { error: "invalid_grant", error_description: "Refresh token rt-expired-7d3f9a expired on 2026-12-01" } }));
    apis.push(a);
    const dir = makeProject({
      "connector.ts": `import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const api = new RestClient({ baseUrl: configuration.base_url, auth: { type: "oauth2-refresh-token", tokenUrl: configuration.base_url + "/token", clientId: "app", refreshToken: configuration.refresh_token } });
    await api.get("/items");
  },
};
`,
      "configuration.json": JSON.stringify({ base_url: a.url, refresh_token: "rt-expired-7d3f9a" }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(a.log.map((s) => s.path)).toEqual(["/token"]);
    expect(r.stderr).toMatch(/OAuth2 token request POST http:\/\/127\.0\.0\.1:\d+\/token answered 200 with the error "invalid_grant": "Refresh token \*\*\* expired on 2026-12-01", and no access_token\. The refresh token was refused: .*put a new one in the configuration \(refreshToken\)/);
    expect(r.stderr).not.toContain("rt-expired-7d3f9a");
  });

  it("a token endpoint that answers as a form (access_token=…&refresh_token=…, whatever Accept asked) is read as the token answer: no token printed, and the rotated refresh token is kept for the next run", async () => {
    let refresh = "rt-first-Zq9vW3xL";
    let access = "";
    const issued: string[] = [];
    const a = await scriptedApi((r) => {
      if (r.path !== "/token") return r.headers.authorization === `Bearer ${access}` ? { body: { data: [{ id: 1 }] } } : { status: 401 };
      if (new URLSearchParams(r.body).get("refresh_token") !== refresh) return { status: 400, headers: { "content-type": "application/x-www-form-urlencoded" }, body: "error=invalid_grant" };
      refresh = `rt-${issued.length + 1}-Pw8nR4tY`;
      access = `at-${issued.length + 1}-k7Lm2Qx9`;
      issued.push(refresh, access);
      return { headers: { "content-type": "application/x-www-form-urlencoded" }, body: `access_token=${access}&refresh_token=${refresh}&token_type=bearer&expires_in=3600` };
    });
    apis.push(a);
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const api = new RestClient({ baseUrl: configuration.base_url, auth: { type: "oauth2-refresh-token", tokenUrl: configuration.base_url + "/token", clientId: "app", refreshToken: configuration.refresh_token } });
    for (const row of (await api.get<{ data: { id: number }[] }>("/items")).data) op.upsert("items", row);
    op.checkpoint({});
  },
};
`,
      "configuration.json": JSON.stringify({ base_url: a.url, refresh_token: refresh }),
    });
    let printed = "";
    for (let i = 0; i < 2; i++) {
      const r = await cli(["debug", "--json"], { cwd: dir });
      printed += r.stdout + r.stderr;
      expect(r.exitCode, r.stderr).toBe(0);
    }
    expect(a.log.filter((s) => s.path === "/token")).toHaveLength(2);
    for (const token of issued) expect(printed).not.toContain(token);
  });
});
