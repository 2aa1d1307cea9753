import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";
import { closedAfterEach } from "../http-api.js";

/** connector-sdk/http, attacked for its credentials: where could one leak out of the CLI? (issue 22) */

const apis = closedAfterEach();const api = apis.start;

/** Every file the CLI wrote in the project outside the warehouse, and its output. */
function written(dir: string, out: { stdout: string; stderr: string }): string {
  const texts = [out.stdout, out.stderr];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!/warehouse\.(db|duckdb)/.test(e.name) && !["connector.ts", "configuration.json"].includes(e.name)) texts.push(fs.readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return texts.join("\n");
}

describe("RestClient secrets", () => {
  it("hides a token that the 500 bytes quoted from an error body cut in two: not even its start is printed, in the terminal, --json or the crash report", async () => {
    const token = "tok_Q7vX2mK9pL4rT8wZ3nB6cJ1dF5";
    // The body echoes the request's Authorization header after padding, so that the cut at 500 bytes falls inside the token.
    const a = await api((r) => ({ status: 503, headers: { "content-type": "text/plain" }, body: `${"x".repeat(480)}${r.headers.authorization} and more text after it` }));
    const dir = makeProject({
      "connector.ts": `import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const api = new RestClient({ baseUrl: configuration.base_url, auth: { type: "bearer", token: configuration.api_token }, retry: { attempts: 1 } });
    await api.get("/items");
  },
};
`,
      "configuration.json": JSON.stringify({ base_url: a.url, api_token: token }),
    });
    const r = await cli(["debug", "--json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/answered 503 Service Unavailable after 1 attempt\(s\).*\(first 500 of \d+ bytes\)/);
    const out = written(dir, r);
    expect(out).toMatch(/crash-reports|"crashReport"/);
    // "Bearer tok_Q7vX2" is what fell before the cut: no part of the token of 3 characters or more is shown.
    expect(out).not.toContain(token.slice(0, 5));
    expect(out).toContain("Bearer ***…");
  });

  it("keeps out of the cassette a credential the client sends under names that do not look secret (api-key in the query as `k`, configured as `site`), and the cassette still replays offline", async () => {
    const key = "Zq9vW3xL7mN2pR8s";
    const a = await api((r) => (r.query.k !== key ? { status: 401 } : { body: { data: r.query.page ? [{ id: 2 }] : [{ id: 1 }], next: r.query.page ? null : "/items?page=2" } }));
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const api = new RestClient({ baseUrl: configuration.base_url, auth: { type: "api-key", name: "k", value: configuration.site, in: "query" } });
    for await (const page of api.paginate<{ id: number }>("/items")) {
      for (const row of page.items) op.upsert("items", row);
      op.checkpoint({ page: page.resume });
    }
  },
};
`,
      "configuration.json": JSON.stringify({ base_url: a.url, site: key }),
    });
    const rec = await cli(["debug", "--record", "--yes"], { cwd: dir });
    expect(rec.exitCode, rec.stderr).toBe(0);
    expect(a.log.map((s) => s.query.k)).toEqual([key, key]);
    const cassette = fs.readFileSync(path.join(dir, "fixtures/default/cassette.json"), "utf8");
    expect(cassette).toContain("k=[REDACTED]");
    expect(written(dir, rec)).not.toContain(key);
    await a.close();
    const test = await cli(["test"], { cwd: dir });
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stderr + test.stdout).toMatch(/TEST PASSED/);
  });
});
