import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";
import { closedAfterEach, type Reply } from "../http-api.js";

/** connector-sdk/http against a local API scripted to fail (issue 22): what is retried, how long it waits, when it gives up. */

const apis = closedAfterEach();
const api = apis.start;

/** A connector that GETs /thing with the given client options and upserts the body. */
function project(baseUrl: string, options: string): string {
  return makeProject({
    "connector.ts": `import { Connector, op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default new Connector({
  async update(configuration) {
    const api = new RestClient({ baseUrl: configuration.base_url, ${options} });
    const thing = await api.get("/thing", { query: { fields: "id" } });
    op.upsert("things", thing);
    op.checkpoint({ done: true });
  },
});
`,
    "configuration.json": JSON.stringify({ base_url: baseUrl }),
  });
}

const json = (stdout: string): Record<string, any> => JSON.parse(stdout);

describe("RestClient retries", () => {
  it("honours Retry-After: a 429 with Retry-After: 1, then a 200, is two requests at least a second apart, and the sync succeeds", async () => {
    const a = await api((r) => (r.n === 1 ? { status: 429, headers: { "retry-after": "1" }, body: { error: "slow down" } } : { body: { id: 1 } }));
    const dir = project(a.url, "");
    const r = await cli(["debug", "--json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(a.log.map((s) => `${s.method} ${s.path}`)).toEqual(["GET /thing", "GET /thing"]);
    expect(a.log[1]!.at - a.log[0]!.at).toBeGreaterThanOrEqual(1000);
    const out = json(r.stdout);
    expect(out.status).toBe("succeeded");
    expect(out.http).toMatchObject({ requests: 2, retries: 1 });
    expect(out.http.waited_ms).toBeGreaterThanOrEqual(1000);
    expect(out.http.bytes).toBeGreaterThan(0);
    // Logged once, with its reason and delay.
    expect(r.stderr.match(/answered 429/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/thing\?fields=id answered 429 Too Many Requests with Retry-After 1; retry 1 of 4; waiting 1000 ms/);
  });

  it("honours Retry-After as an HTTP date", async () => {
    const a = await api((r) => (r.n === 1 ? { status: 503, headers: { "retry-after": new Date(Date.now() + 2000).toUTCString() } } : { body: { id: 1 } }));
    const r = await cli(["debug", "--json"], { cwd: project(a.url, "") });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(a.log).toHaveLength(2);
    // The date has a whole second's precision: at least one second is left of the two.
    expect(a.log[1]!.at - a.log[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it("waits for a rate-limit reset header when there is no Retry-After: GitHub's 403 with none remaining (retried by retry.when) and a Unix time, then a 429 with RateLimit-Reset in seconds", async () => {
    const a = await api((r): Reply => {
      if (r.n === 1) return { status: 403, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 2) }, body: { message: "API rate limit exceeded" } };
      if (r.n === 2) return { status: 429, headers: { "ratelimit-reset": "1" } };
      return { body: { id: 1 } };
    });
    const when = `retry: { when: (r) => (r.status === 403 && r.headers.get("x-ratelimit-remaining") === "0" ? true : undefined) }`;
    const r = await cli(["debug", "--json"], { cwd: project(a.url, when) });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(a.log).toHaveLength(3);
    expect(a.log[1]!.at - a.log[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(a.log[2]!.at - a.log[1]!.at).toBeGreaterThanOrEqual(1000);
    // Two seconds after the server's clock, read at a whole second: between 2 and 3 s, less the moment the answer took to arrive.
    const waited = Number(r.stderr.match(/answered 403 Forbidden with X-RateLimit-Reset \d{10}; retry 1 of 4; waiting (\d+) ms/)?.[1]);
    expect(waited).toBeGreaterThan(1500);
    expect(waited).toBeLessThanOrEqual(3000);
    expect(r.stderr).toMatch(/answered 429 Too Many Requests with RateLimit-Reset 1; retry 2 of 4; waiting 1000 ms/);
    expect(json(r.stdout).http).toMatchObject({ requests: 3, retries: 2 });
  });

  it("gives up after retry.attempts: 503 five times with attempts: 3 is three requests, and the sync fails with exit 1 naming the path and 503", async () => {
    const a = await api(() => ({ status: 503, body: "upstream down" }));
    const r = await cli(["debug"], { cwd: project(a.url, "retry: { attempts: 3, baseDelayMs: 10 }") });
    expect(r.exitCode).toBe(1);
    expect(a.log).toHaveLength(3);
    expect(r.stderr).toMatch(/Sync FAILED/);
    expect(r.stderr).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/thing\?fields=id answered 503 Service Unavailable after 3 attempt\(s\) \(retry\.attempts: 3\): "upstream down"/);
  });

  it("does not retry a 404: one request, and the sync fails", async () => {
    const a = await api(() => ({ status: 404, body: { error: "no such thing" } }));
    const r = await cli(["debug"], { cwd: project(a.url, "") });
    expect(r.exitCode).toBe(1);
    expect(a.log).toHaveLength(1);
    expect(r.stderr).toMatch(/answered 404 Not Found, not retried \(a 404 fails at once\): "\{\\"error\\":\\"no such thing\\"\}"/);
  });

  it("retries what retry.statuses and retry.when say: a 404 listed is retried, a 200 with an error body is retried by when()", async () => {
    const a = await api((r) => (r.n === 1 ? { status: 404 } : r.n === 2 ? { body: { error: "busy" } } : { body: { id: 3 } }));
    const r = await cli(["debug", "--json"], {
      cwd: project(a.url, `retry: { baseDelayMs: 10, statuses: [404], when: (res) => (res.status === 200 && "error" in (res.json() as object)) || undefined }`),
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(a.log).toHaveLength(3);
    expect(json(r.stdout).http).toMatchObject({ requests: 3, retries: 2 });
  });

  it("retries a network error: a server that drops the first connection without an answer", async () => {
    const a = await api((r) => (r.n === 1 ? { drop: true } : { body: { id: 1 } }));
    const r = await cli(["debug", "--json"], { cwd: project(a.url, "retry: { baseDelayMs: 10 }") });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(a.log).toHaveLength(2);
    expect(json(r.stdout).http).toMatchObject({ requests: 2, retries: 1 });
    expect(r.stderr).toMatch(/\/thing\?fields=id failed: fetch failed/);
  });

  it("retries a timeout (timeoutMs), then gives up naming it", async () => {
    const a = await api(() => ({ hold: new Promise((resolve) => setTimeout(resolve, 1500)) }));
    const r = await cli(["debug"], { cwd: project(a.url, "timeoutMs: 200, retry: { attempts: 2, baseDelayMs: 10 }") });
    expect(r.exitCode).toBe(1);
    expect(a.log).toHaveLength(2);
    expect(r.stderr).toMatch(/failed after 2 attempt\(s\) \(retry\.attempts\): no answer within 200 ms \(timeoutMs\)/);
  });

  it("times out a body that stops half-way (timeoutMs covers the body), and closes the connection", async () => {
    // Headers and the start of the body at once, then nothing: the timeout must reach the body being read.
    let requests = 0;
    let closed = 0;
    const server = createServer((req, res) => {
      requests++;
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"id": 1, ');
      req.socket.on("close", () => closed++);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await cli(["debug"], { cwd: project(url, "timeoutMs: 500, retry: { attempts: 2, baseDelayMs: 10 }") });
      expect(r.exitCode).toBe(1);
      expect(requests).toBe(2);
      expect(r.stderr).toMatch(/failed after 2 attempt\(s\) \(retry\.attempts\): no answer within 500 ms \(timeoutMs\)/);
      // Both connections closed by the client when its time was up (the server never ends them).
      await expect.poll(() => closed).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
