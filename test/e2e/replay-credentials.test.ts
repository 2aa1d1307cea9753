import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli, makeProject, query } from "../helpers.js";

/** `--record` hides credentials in JSON of any layout, and a response's token wherever the connector sends it on (issue 20, item 6). */

const PASSWORD = "pw-Hq7-not-a-config-secret";
const ACCESS = "at-Vb3n9Kq2-live-access";
const REFRESH = "rt-Lm4x8Pz1-live-refresh";
const SESSION = "ss-Qw5e6Rt7-live-session";

const open: http.Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/**
 * A login that answers its tokens as Python's json.dumps does (`{"access_token": "…", …}`, with
 * spaces) or compact, and sets a session cookie; an API that wants the access token in an
 * oddly named header, the session in another, and the refresh token in the path.
 */
async function api(layout: "spaced" | "compact"): Promise<{ url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      hits.push(`${req.method} ${req.url}`);
      const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(layout === "spaced" ? JSON.stringify(value).replace(/":/g, '": ').replace(/,"/g, ', "') : JSON.stringify(value));
      };
      if (req.url === "/login") {
        const sent = JSON.parse(body) as { password?: string };
        if (sent.password !== PASSWORD) return json(401, { error: "bad password" });
        return json(200, { access_token: ACCESS, refresh_token: REFRESH, expires_in: 3600 }, { "set-cookie": `session=${SESSION}; Path=/; HttpOnly` });
      }
      if (req.headers["x-weird"] !== `v=${ACCESS}` || req.headers["x-sess"] !== SESSION) return json(401, { error: "unauthorized" });
      if (req.url === "/items") return json(200, { items: [{ id: 1, name: "ada" }, { id: 2, name: "grace" }], whoami: ACCESS });
      if (req.url === `/refresh/${REFRESH}`) return json(200, { ok: true });
      return json(404, {});
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  open.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

/** The configuration names the password `login_word`, which is no secret-looking key: only the request's own field says it is one. */
const CONNECTOR = `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "items", primary_key: ["id"] }],
  async update(configuration: { base_url: string; user: string; login_word: string }, state: { done?: boolean }) {
    const login = await fetch(configuration.base_url + "/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user: configuration.user, password: configuration.login_word }, null, 2),
    });
    if (!login.ok) throw new Error("login answered " + login.status);
    const tokens = (await login.json()) as { access_token: string; refresh_token: string };
    const session = (login.headers.get("set-cookie") ?? "").split(";")[0]!.split("=")[1]!;
    const headers = { "X-Weird": "v=" + tokens.access_token, "X-Sess": session };
    const res = await fetch(configuration.base_url + "/items", { headers });
    if (!res.ok) throw new Error("/items answered " + res.status);
    const page = (await res.json()) as { items: { id: number; name: string }[] };
    for (const item of page.items) op.upsert("items", item);
    const refreshed = await fetch(configuration.base_url + "/refresh/" + tokens.refresh_token, { headers });
    if (!refreshed.ok) throw new Error("/refresh answered " + refreshed.status);
    op.checkpoint({ done: true });
  },
};
`;

const SECRETS = [PASSWORD, ACCESS, REFRESH, SESSION];

/** Every form a secret may take in a file: raw, JSON-escaped, percent-encoded, base64. */
const forms = (s: string): string[] => [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s), Buffer.from(s).toString("base64")];

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe("debug --record with credentials in JSON of any layout, sent on under other names", () => {
  for (const layout of ["spaced", "compact"] as const) {
    it(`${layout} token responses: no credential in any file of the cassette; it replays, offline, to the same rows`, async () => {
      const server = await api(layout);
      const dir = makeProject({ "connector.ts": CONNECTOR, "configuration.json": JSON.stringify({ base_url: server.url, user: "ada", login_word: PASSWORD }) });
      const record = await cli(["debug", "--record"], { cwd: dir });
      expect(record.exitCode, record.stderr).toBe(0);
      expect(record.stderr).toContain("secrets redacted");
      expect(record.stderr).not.toContain("Recording FAILED");
      expect(record.stderr).not.toContain("Warning: replaying the recording ended in state");
      const live = query(dir, "SELECT id, name FROM items ORDER BY id");

      for (const file of filesUnder(path.join(dir, "fixtures"))) {
        const bytes = fs.readFileSync(file);
        for (const secret of SECRETS) for (const form of forms(secret)) expect(bytes.includes(form), `${form} in ${file}`).toBe(false);
      }
      const cassette = JSON.parse(fs.readFileSync(path.join(dir, "fixtures/default/cassette.json"), "utf8")) as {
        interactions: { request: { url: string; headers: Record<string, string>; body?: { text?: string; json?: unknown } }; response: { headers: Record<string, string>; body?: { text?: string; json?: unknown } } }[];
      };
      const [login, items, refresh] = cassette.interactions;
      // Redacted where they stand, each body keeping its layout.
      expect(login!.request.body).toEqual({ text: `{\n  "user": "ada",\n  "password": "[REDACTED]"\n}` });
      const tokens = { access_token: "[REDACTED]", refresh_token: "[REDACTED]", expires_in: 3600 };
      expect(login!.response.body).toEqual(layout === "spaced" ? { text: JSON.stringify(tokens).replace(/":/g, '": ').replace(/,"/g, ', "') } : { json: tokens });
      expect(login!.response.headers["set-cookie"]).toBe("session=[REDACTED]; Path=[REDACTED]; HttpOnly");
      // And wherever the connector sent them on: an odd header, another header, the path, an echo in a body.
      expect(items!.request.headers["x-weird"]).toBe("v=[REDACTED]");
      expect(items!.request.headers["x-sess"]).toBe("[REDACTED]");
      expect(refresh!.request.url).toBe(`${server.url}/refresh/[REDACTED]`);
      expect(JSON.stringify(items!.response.body)).toContain("whoami");

      // The server stays up: a request that escaped the replay would show in its hits.
      const hits = server.hits.length;
      const test = await cli(["test"], { cwd: dir });
      expect(test.exitCode, test.stderr).toBe(0);
      expect(test.stderr).toContain("TEST PASSED");
      fs.rmSync(path.join(dir, "files"), { recursive: true });
      const replay = await cli(["debug", "--replay"], { cwd: dir });
      expect(replay.exitCode, replay.stderr).toBe(0);
      expect(query(dir, "SELECT id, name FROM items ORDER BY id")).toEqual(live);
      expect(server.hits.length, "the replay reached no server").toBe(hits);
      for (const secret of SECRETS) expect(replay.stdout + replay.stderr + test.stdout + test.stderr).not.toContain(secret);
    }, 60_000);
  }
});
