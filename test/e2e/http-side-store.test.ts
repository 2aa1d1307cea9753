import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";
import { closedAfterEach, scriptedApi, type Seen } from "../http-api.js";

/**
 * A rotated refresh token whose side store (files/http-secrets.json) cannot be written: a full disk,
 * a permission, here a folder in its way (issue 22, attacked). The provider has already rotated, so
 * failing the sync there would lose the new token and lock the connector out.
 */

const apis = closedAfterEach();

const token = (kind: string) => `${kind}-${randomBytes(12).toString("hex")}`;

describe("a side store that cannot be written", () => {
  it("the sync goes on with a warning and commits the rotated token with its checkpoint; the next run uses it", async () => {
    const first = token("rt");
    const s = { refresh: first, access: "" };
    const a = await scriptedApi((r: Seen) => {
      if (r.path === "/token") {
        if (new URLSearchParams(r.body).get("refresh_token") !== s.refresh) return { status: 400, body: { error: "invalid_grant" } };
        s.refresh = token("rt");
        s.access = token("at");
        return { body: { access_token: s.access, refresh_token: s.refresh, expires_in: 3600 } };
      }
      if (r.headers.authorization !== `Bearer ${s.access}`) return { status: 401, body: { error: "invalid_token" } };
      return { body: { data: [{ id: 1 }] } };
    });
    apis.push(a);
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const api = new RestClient({ baseUrl: configuration.base_url, auth: { type: "oauth2-refresh-token", tokenUrl: configuration.base_url + "/token", clientId: "app", refreshToken: configuration.refresh_token } });
    for await (const page of api.paginate<{ id: number }>("/items", { items: "data" })) for (const row of page.items) op.upsert("items", row);
    op.checkpoint({ done: true });
  },
};
`,
      "configuration.json": JSON.stringify({ base_url: a.url, refresh_token: first }),
    });
    const store = path.join(dir, "files", "http-secrets.json");
    fs.mkdirSync(path.join(store, "in-the-way"), { recursive: true });
    const r1 = await cli(["debug"], { cwd: dir });
    expect(r1.exitCode, r1.stderr).toBe(0);
    expect(r1.stderr).toMatch(/a rotated refresh token could not be kept in the side store \(EISDIR[^)]*\): it is committed with the next checkpoint only/);
    expect(fs.readdirSync(path.join(dir, "files")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    fs.rmSync(store, { recursive: true });
    const r2 = await cli(["debug"], { cwd: dir });
    expect(r2.exitCode, r2.stderr).toBe(0);
    expect(a.log.filter((x) => x.path === "/token").map((x) => x.body.includes(first))).toEqual([true, false]);
  });
});
