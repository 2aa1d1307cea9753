import { describe, expect, it } from "vitest";
import { Connector, op } from "../../src/index.js";
import { RestClient, type RestClientOptions } from "../../src/http.js";
import { backoffMs, retryAfterMs, serverWait } from "../../src/http/retry.js";
import { parseJsonBody } from "../../src/http/json-body.js";
import { linkNext } from "../../src/http/paginators.js";
import { runSync, SyncError } from "../../src/testing.js";
import { closedAfterEach } from "../http-api.js";

/** connector-sdk/http in-process (runSync): auth types, 401 refresh, concurrency and the rate limit, and the pure parts. */

const apis = closedAfterEach();
const api = apis.start;

/** Runs `body` with a RestClient as a connector's update(), and the sync's result. */
async function sync(options: RestClientOptions, body: (client: RestClient) => Promise<void>) {
  const connector = new Connector({
    async update() {
      await body(new RestClient(options));
      op.checkpoint({ done: true });
    },
  });
  try {
    const r = await runSync(connector, {});
    r.close();
    return { status: "succeeded", counts: r.counts, error: undefined };
  } catch (e) {
    if (!(e instanceof SyncError)) throw e;
    e.result.close();
    return { status: "failed", counts: e.result.counts, error: e as Error };
  }
}

describe("auth", () => {
  it("sends each auth type as its scheme says, and keeps an api-key in the query out of page URLs", async () => {
    const a = await api((r) => (r.path === "/token" ? { body: { access_token: "at-client-credentials", expires_in: 3600 } } : { body: [] }));
    const seen = () => a.log.at(-1)!;
    await sync({ baseUrl: a.url, auth: { type: "bearer", token: "tok-123456" } }, (c) => c.get("/x").then(() => {}));
    expect(seen().headers.authorization).toBe("Bearer tok-123456");
    await sync({ baseUrl: a.url, auth: { type: "api-key", name: "X-Api-Key", value: "key-123456" } }, (c) => c.get("/x").then(() => {}));
    expect(seen().headers["x-api-key"]).toBe("key-123456");
    await sync({ baseUrl: a.url, auth: { type: "api-key", name: "key", value: "key-123456", in: "query" } }, (c) => c.get("/x").then(() => {}));
    expect(seen().query.key).toBe("key-123456");
    await sync({ baseUrl: a.url, auth: { type: "basic", username: "ada", password: "pw-123456" } }, (c) => c.get("/x").then(() => {}));
    expect(seen().headers.authorization).toBe(`Basic ${Buffer.from("ada:pw-123456").toString("base64")}`);
    await sync({ baseUrl: a.url, auth: { type: "oauth2-client-credentials", tokenUrl: `${a.url}/token`, clientId: "cid", clientSecret: "cs-123456", scope: "read" } }, (c) => c.get("/x").then(() => {}));
    const token = a.log.at(-2)!;
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({ grant_type: "client_credentials", scope: "read", client_id: "cid", client_secret: "cs-123456" });
    expect(seen().headers.authorization).toBe("Bearer at-client-credentials");
  });

  it("fetches a new access token once when a request is answered 401, and fails on a second 401", async () => {
    let issued = 0;
    const a = await api((r) => {
      if (r.path === "/token") return { body: { access_token: `at-${++issued}`, expires_in: 3600 } };
      return r.headers.authorization === "Bearer at-2" && r.path === "/ok" ? { body: { ok: true } } : { status: 401, body: { error: "expired" } };
    });
    const options: RestClientOptions = { baseUrl: a.url, auth: { type: "oauth2-client-credentials", tokenUrl: `${a.url}/token`, clientId: "c", clientSecret: "cs-123456" } };
    const ok = await sync(options, async (c) => {
      expect(await c.get("/ok")).toEqual({ ok: true });
    });
    expect(ok.status).toBe("succeeded");
    expect(a.log.map((s) => s.path)).toEqual(["/token", "/ok", "/token", "/ok"]);
    const failed = await sync(options, (c) => c.get("/never").then(() => {}));
    expect(failed.status).toBe("failed");
    expect(failed.error?.message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/never answered 401 Unauthorized, not retried/);
    expect(a.log.slice(4).map((s) => s.path)).toEqual(["/token", "/never", "/token", "/never"]);
  });
});

describe("URLs", () => {
  it("a URL with an escape that is not UTF-8 (caf%E9, a cursor's %FF) is retried, paged and named in messages like any other", async () => {
    let n = 0;
    const a = await api((req) => (req.path === "/gone" ? { status: 404, body: "no such item" } : ++n === 1 ? { status: 503, body: "busy" } : { body: { data: [{ id: n }] } }));
    const got: unknown[] = [];
    const r = await sync({ baseUrl: a.url, retry: { baseDelayMs: 1 } }, async (c) => {
      got.push(await c.get("/items?name=caf%E9"));
      for await (const page of c.paginate("/items?cursor=%FF")) got.push(page.items);
    });
    expect(r.error?.message).toBeUndefined();
    expect(got).toEqual([{ data: [{ id: 2 }] }, [{ id: 3 }]]);
    expect(a.log.map((s) => s.n)).toEqual([1, 2, 3]);
    const failed = await sync({ baseUrl: a.url }, (c) => c.get("/gone?name=caf%E9").then(() => {}));
    expect(failed.error?.message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/gone\?name=caf%E9 answered 404 Not Found, not retried/);
  });
});

describe("large integers", () => {
  it("keeps integers beyond 2^53 exact: two ids JSON.parse would round to one stay two rows, and a cursor goes back with its own digits", async () => {
    const a = await api((req) =>
      req.query.cursor === undefined
        ? { body: '{"data":[{"id":1234567890123456789,"score":1.5},{"id":1234567890123456790,"score":2}],"next_cursor":9007199254740993}' }
        : { body: '{"data":[{"id":12,"score":3}],"next_cursor":null}' },
    );
    const connector = new Connector({
      schema: () => [{ table: "users", primary_key: ["id"] }],
      async update() {
        const api = new RestClient({ baseUrl: a.url });
        for await (const page of api.paginate("/users", { items: "data", paginator: { type: "cursor", path: "next_cursor", param: "cursor" } })) {
          for (const user of page.items) op.upsert("users", user as Record<string, unknown>);
          op.checkpoint({ page: page.resume });
        }
      },
    });
    const r = await runSync(connector, {});
    try {
      const users = r.rows("users").map((u) => [u.id, u.score]);
      expect(users).toHaveLength(3);
      expect(users).toEqual(expect.arrayContaining([[12, 3], [1234567890123456789n, 1.5], [1234567890123456790n, 2]]));
      // JSON.parse would have sent 9007199254740992.
      expect(a.log.map((s) => s.query.cursor)).toEqual([undefined, "9007199254740993"]);
    } finally {
      r.close();
    }
  });

  it("a body with a key given twice is read as JSON.parse reads it (the last wins), with a warning that its large integers may be rounded", () => {
    const warned: string[] = [];
    expect(parseJsonBody('{"id":2,"id":12345678901234567}', (w) => warned.push(w))).toEqual({ id: 12345678901234568 });
    expect(warned).toEqual([expect.stringMatching(/Duplicate key 'id'.*read as JSON\.parse reads it, so an integer beyond ±\(2\^53 − 1\) in it may be rounded/)]);
    // Other numbers are as JSON.parse gives them (a float beyond 2^53 included), and digits in a string stay a string.
    expect(parseJsonBody('{"a":12345678901234567890.5,"b":1e21,"c":-0,"d":"12345678901234567","e":[-9007199254740993]}', () => {})).toEqual({ a: 12345678901234567890.5, b: 1e21, c: -0, d: "12345678901234567", e: [-9007199254740993n] });
    expect(parseJsonBody('{"a":9007199254740991}', () => {})).toEqual({ a: 9007199254740991 });
    expect(warned).toHaveLength(1);
  });
});

describe("maxPages", () => {
  it("stops paging after maxPages pages, and the last page's resume continues where it stopped: every row once over two calls", async () => {
    const a = await api((req) => ({ body: { data: [{ id: Number(req.query.page ?? 1) }], total_pages: 7 } }));
    const seen: number[] = [];
    let resume: unknown;
    const paging = { items: "data", paginator: { type: "page" as const, totalPagesPath: "total_pages" } };
    const r = await sync({ baseUrl: a.url }, async (c) => {
      for await (const page of c.paginate<{ id: number }>("/items", { ...paging, maxPages: 3 })) {
        seen.push(...page.items.map((i) => i.id));
        resume = page.resume;
      }
      expect(resume).not.toBeNull();
      for await (const page of c.paginate<{ id: number }>("/items", { ...paging, resume })) seen.push(...page.items.map((i) => i.id));
    });
    expect(r.error?.message).toBeUndefined();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Three requests, then the resume's first is page 4: none asked twice, none past the end.
    expect(a.log.map((s) => s.query.page ?? "1")).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
  });

  it("refuses a maxPages that is no number of pages, naming the option, before any request", async () => {
    const a = await api(() => ({ body: { data: [] } }));
    for (const bad of [0, 1.5, -2, "3"]) {
      const r = await sync({ baseUrl: a.url }, async (c) => {
        for await (const _ of c.paginate("/items", { maxPages: bad as number })) void _;
      });
      expect(r.error?.message).toMatch(/paginate option maxPages: .* is not a number of pages: give a whole number, 1 or more/);
    }
    expect(a.log).toHaveLength(0);
  });
});

describe("redirects", () => {
  it("redirects without end fail at the first try, naming the last Location, instead of being retried as a network error (5 tries of 21 requests each)", async () => {
    const a = await api(() => ({ status: 302, headers: { location: "/loop" } }));
    const r = await sync({ baseUrl: a.url, retry: { baseDelayMs: 1 } }, (c) => c.get("/loop").then(() => {}));
    expect(r.error?.message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/loop failed, not retried: more than 20 redirects, the last to \/loop/);
    expect(a.log).toHaveLength(21);
  });

  it("a token endpoint that redirects (307) to another origin is not followed: the POST body holds the client secret and the refresh token", async () => {
    const other = await api((r) => ({ body: { access_token: "at-elsewhere-1234", expires_in: 60, got: r.body } }));
    const a = await api((r) => (r.path === "/token" ? { status: 307, headers: { location: `${other.url.replace("127.0.0.1", "localhost")}/token` } } : { body: {} }));
    const r = await sync({ baseUrl: a.url, auth: { type: "oauth2-refresh-token", tokenUrl: `${a.url}/token`, clientId: "cid", clientSecret: "cs-Zq9vW3xL7mN2", refreshToken: "rt-Pw8nR4tYk7Lm" } }, (c) => c.get("/items").then(() => {}));
    expect(r.error?.message).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/token failed, not retried: redirected to http:\/\/localhost:\d+, another origin than http:\/\/127\.0\.0\.1:\d+: not followed, as the request's body holds the client's credentials/);
    expect(other.log).toHaveLength(0);
    expect(a.log.map((s) => s.path)).toEqual(["/token"]);
  });
});

describe("timeouts", () => {
  it("timeoutMs: Infinity (or beyond 2^31 − 1 ms) is no timeout, not a timeout after 1 ms as setTimeout makes of it", async () => {
    const a = await api(async () => {
      await new Promise((r) => setTimeout(r, 30));
      return { body: { ok: true } };
    });
    for (const timeoutMs of [Infinity, 3_000_000_000]) {
      const r = await sync({ baseUrl: a.url, timeoutMs, retry: { attempts: 1 } }, (c) => c.get("/x").then(() => {}));
      expect(r.error?.message, String(timeoutMs)).toBeUndefined();
    }
  });
});

describe("limits", () => {
  it("keeps at most `concurrency` requests in flight", async () => {
    // Requests are held; whenever two are held, the oldest is answered soon after, and once all eight came, the rest. A client
    // that sends more than two at once shows three or more in flight here.
    let inFlight = 0;
    let most = 0;
    let received = 0;
    const held: (() => void)[] = [];
    const a = await api(async () => {
      most = Math.max(most, ++inFlight);
      received++;
      const answered = new Promise<void>((resolve) => held.push(resolve));
      if (received === 8) for (const release of held.splice(0)) release();
      // A moment later, so that a client sending more would have sent them by then.
      else if (held.length >= 2) setTimeout(() => held.shift()?.(), 50);
      await answered;
      inFlight--;
      return { body: { ok: true } };
    });
    const r = await sync({ baseUrl: a.url, concurrency: 2 }, async (c) => {
      await Promise.all(Array.from({ length: 8 }, (_, i) => c.get(`/x/${i}`)));
    });
    expect(r.status).toBe("succeeded");
    expect(a.log).toHaveLength(8);
    expect(most).toBe(2);
    expect(r.counts.http).toMatchObject({ requests: 8, retries: 0 });
  });

  it("holds requests beyond the rate limit for their turn, and counts the wait", async () => {
    const a = await api(() => ({ body: {} }));
    const r = await sync({ baseUrl: a.url, rateLimit: { requestsPerSecond: 20 } }, async (c) => {
      await Promise.all(Array.from({ length: 4 }, (_, i) => c.get(`/x/${i}`)));
    });
    expect(r.status).toBe("succeeded");
    // Three of the four waited their turn: 50, 100 and 150 ms at 20 a second, less the time that passed between the
    // four calls, which a loaded machine stretches (so the sum is not asserted here: test/unit/http-limiter.test.ts
    // asserts the bucket's arithmetic); the last request still went out well after the first.
    expect(r.counts.http!.waited_ms).toBeGreaterThan(0);
    expect(a.log.at(-1)!.at - a.log[0]!.at).toBeGreaterThanOrEqual(100);
  });
});

describe("the pure parts", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs("0")).toBe(0);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:10 GMT", now)).toBe(10_000);
    expect(retryAfterMs("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon")).toBeUndefined();
    // The RFC 850 and asctime forms, and ISO 8601 as some APIs send it.
    expect(retryAfterMs("Thursday, 01-Jan-26 00:00:05 GMT", now)).toBe(5_000);
    expect(retryAfterMs("Thu Jan  1 00:00:20 2026", now)).toBe(20_000);
    expect(retryAfterMs("2026-01-01T00:00:30Z", now)).toBe(30_000);
    // Neither seconds nor a date: the back-off decides, not a wait of 0 ms that Date.parse's reading as a date long past gave.
    for (const garbage of ["-1", "-5", "-0", "1/2", "1,5", "2 3 4", "3-4", "1e3", "30s"]) expect(retryAfterMs(garbage, now), garbage).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it("waits for a rate-limit reset header when there is no Retry-After: seconds from now or a Unix time, only on a 429 or with nothing remaining", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    const at = (h: Record<string, string>, status = 429) => serverWait(status, new Headers(h), now);
    expect(at({ "ratelimit-reset": "7" })).toEqual({ ms: 7000, header: "RateLimit-Reset", value: "7" });
    expect(at({ "x-ratelimit-reset": String(now / 1000 + 42) })).toEqual({ ms: 42_000, header: "X-RateLimit-Reset", value: String(now / 1000 + 42) });
    expect(at({ "x-ratelimit-reset": String(now / 1000 - 5) })).toMatchObject({ ms: 0 });
    // Retry-After comes first.
    expect(at({ "retry-after": "2", "x-ratelimit-reset": "60" })).toEqual({ ms: 2000, header: "Retry-After", value: "2" });
    // GitHub sends its reset on every answer: a 502 with requests left waits its back-off, a 403 with none left waits for the reset.
    expect(at({ "x-ratelimit-reset": "60", "x-ratelimit-remaining": "4999" }, 502)).toBeUndefined();
    expect(at({ "x-ratelimit-reset": "60" }, 503)).toBeUndefined();
    expect(at({ "x-ratelimit-reset": "60", "x-ratelimit-remaining": "0" }, 403)).toMatchObject({ ms: 60_000 });
    expect(at({ "x-ratelimit-reset": "soon" })).toBeUndefined();
    expect(at({})).toBeUndefined();
  });

  it("backs off with full jitter under a doubling ceiling, capped at maxDelayMs", () => {
    expect(backoffMs(1, 1000, 60_000, () => 0.999)).toBe(999);
    expect(backoffMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffMs(20, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffMs(3, 1000, 60_000, () => 0)).toBe(0);
  });

  it("finds rel=next among the links of an RFC 8288 Link header", () => {
    expect(linkNext('<https://a/x?p=1>; rel="prev", <https://a/x?p=3>; rel="next"')).toBe("https://a/x?p=3");
    expect(linkNext("<https://a/x?p=3>; rel=next")).toBe("https://a/x?p=3");
    expect(linkNext('<https://a/x?p=9>; rel="last"')).toBeUndefined();
    expect(linkNext(null)).toBeUndefined();
  });
});
