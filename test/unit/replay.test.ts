import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { op } from "../../src/index.js";
import { readCassette, writeCassette, type Exchange } from "../../src/replay/cassette.js";
import { compareOutcomes, snapshotOutcome, type Outcome } from "../../src/replay/outcome.js";
import { Redactor } from "../../src/replay/redact.js";
import { Warehouse } from "../../src/destinations/sqlite/warehouse.js";
import { upsertSql } from "../../src/destinations/sqlite/ddl.js";
import { openReader } from "../../src/destinations/open.js";
import { runSync, SyncError, verifyConnector } from "../../src/testing.js";
import { tempDir } from "../helpers.js";

const json = (status: number, body: unknown): Exchange["response"] => ({ status, headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify(body)) });

/** A cassette for hosts that do not resolve: a request that escaped the replay would fail. */
function cassette(exchanges: Exchange[]): string {
  const dir = path.join(tempDir(), "fixtures", "default");
  writeCassette(dir, exchanges, "test");
  return dir;
}

const getText = (mod: typeof http | typeof https, url: string): Promise<string> =>
  new Promise((resolve, reject) => {
    mod
      .get(url, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve(body));
      })
      .on("error", reject);
  });

describe("runSync({ replay })", () => {
  const exchanges: Exchange[] = [
    { run: "sync", request: { method: "GET", url: "https://api.example.invalid/users?page=1", headers: {} }, response: json(200, [{ id: 1, name: "ada" }]) },
    { run: "sync", request: { method: "GET", url: "http://api.example.invalid/plans", headers: {} }, response: json(200, { 1: "pro" }) },
    { run: "sync", request: { method: "GET", url: "https://api.example.invalid/status", headers: {} }, response: { status: 200, headers: { "content-type": "text/plain" }, body: Buffer.from("green") } },
  ];

  it("answers fetch, node:http and node:https from the cassette", async () => {
    const dir = cassette(exchanges);
    const connector = {
      async update() {
        const users = (await (await fetch("https://api.example.invalid/users?page=1")).json()) as { id: number; name: string }[];
        const plans = JSON.parse(await getText(http, "http://api.example.invalid/plans")) as Record<string, string>;
        const status = await getText(https, "https://api.example.invalid/status");
        for (const u of users) op.upsert("users", { ...u, plan: plans[u.id], status });
        op.checkpoint({ page: 1 });
      },
    };
    const r = await runSync(connector, { replay: dir });
    expect(r.rows("users").map(({ _fivetran_synced, ...row }) => row)).toEqual([{ _fivetran_id: expect.any(String), id: 1, name: "ada", plan: "pro", status: "green", _fivetran_deleted: 0 }]);
    expect(r.state).toEqual({ page: 1 });
    r.close();
    // Interception ends with the sync: the real network is back.
    await expect(fetch("http://api.example.invalid/plans")).rejects.toThrow();
  });

  it("fails with a SyncError naming the closest recorded request, even when the connector swallows the network error", async () => {
    const dir = cassette(exchanges);
    const connector = {
      async update() {
        try {
          await fetch("https://api.example.invalid/users?page=2");
        } catch {
          // A connector that retries or skips on network errors must not hide the gap in the cassette.
        }
        op.checkpoint({ page: 2 });
      },
    };
    const error = await runSync(connector, { replay: dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).message).toBe(
      [
        `No recorded response for GET https://api.example.invalid/users?page=2 in the cassette ${dir}.`,
        "The closest recorded request, #1 of 3, is GET https://api.example.invalid/users?page=1; it differs in:",
        '  query parameter page: recorded "1", got "2"',
        `If the connector now asks for something else, record the cassette again with \`connector debug --record\`. If these values change on every run (a timestamp, a nonce), let matching ignore them in ${path.dirname(dir)}/replay.json: {"ignore":{"query":["page"]}}`,
      ].join("\n"),
    );
    expect((error as SyncError).result.state).toEqual({});
  });

  it("ignores per call the query parameters and headers it is told to", async () => {
    const dir = cassette([{ run: "sync", request: { method: "GET", url: "https://api.example.invalid/n?ts=1", headers: { "x-nonce": "a" } }, response: json(200, { n: 7 }) }]);
    const connector = {
      async update() {
        const { n } = (await (await fetch(`https://api.example.invalid/n?ts=${Date.now()}`, { headers: { "x-nonce": String(Math.random()) } })).json()) as { n: number };
        op.upsert("t", { id: 1, n });
        op.checkpoint({});
      },
    };
    await expect(runSync(connector, { replay: dir })).rejects.toThrow(/header x-nonce: recorded "a", got "0\.\d+"/);
    const r = await runSync(connector, { replay: { cassette: dir, ignore: { query: ["ts"], headers: ["X-Nonce"] } } });
    expect(r.rows("t")[0]).toMatchObject({ id: 1, n: 7 });
    r.close();
  });

  it("serves a request asked twice its recorded answers in order, then the last one again", async () => {
    const req = { method: "GET", url: "https://api.example.invalid/job", headers: {} };
    const dir = cassette([
      { run: "sync", request: req, response: json(200, { state: "running" }) },
      { run: "sync", request: req, response: json(200, { state: "done" }) },
    ]);
    const seen: string[] = [];
    const connector = {
      async update() {
        for (let i = 0; i < 3; i++) seen.push(((await (await fetch(req.url)).json()) as { state: string }).state);
        op.checkpoint({});
      },
    };
    (await runSync(connector, { replay: dir })).close();
    expect(seen).toEqual(["running", "done", "done"]);
  });

  it("verifyConnector({ replay }) runs every check against the cassette", async () => {
    const pages = [1, 2, 3].map((p): Exchange => ({
      run: p === 3 ? "incremental" : "sync",
      request: { method: "GET", url: `https://api.example.invalid/items?after=${(p - 1) * 2}`, headers: {} },
      response: json(200, p === 3 ? [] : [{ id: p * 2 - 1 }, { id: p * 2 }]),
    }));
    const dir = cassette(pages);
    const connector = {
      async update(_c: unknown, state: { after?: number }) {
        let after = state.after ?? 0;
        for (;;) {
          const items = (await (await fetch(`https://api.example.invalid/items?after=${after}`)).json()) as { id: number }[];
          if (!items.length) break;
          for (const item of items) op.upsert("items", item);
          after = items[items.length - 1]!.id;
          op.checkpoint({ after });
          if (after >= 4) break;
        }
      },
    };
    const report = await verifyConnector(connector, { replay: dir, seed: 3 });
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ["baseline", "pass"],
      ["incremental", "pass"],
      ["interrupted", "pass"],
      ["reset", "pass"],
    ]);
  });
});

describe("the cassette file", () => {
  it("round-trips bodies byte for byte: compact JSON as JSON, other text as text, binary as base64, large bodies as files", () => {
    const pretty = Buffer.from('{\n  "a": 1\n}');
    const bom = Buffer.from("\uFEFFid;name\n1;ada\n");
    const binary = Buffer.from([0, 1, 2, 255, 254]);
    const big = Buffer.alloc(300 * 1024, "x");
    const x = (body: Buffer, type: string): Exchange => ({ run: "sync", request: { method: "GET", url: "https://h.invalid/", headers: {} }, response: { status: 200, headers: { "content-type": type }, body } });
    const dir = cassette([x(Buffer.from('{"b":[1,2],"a":"é"}'), "application/json"), x(pretty, "application/json"), x(bom, "text/csv"), x(binary, "image/png"), x(big, "text/plain")]);
    const stored = JSON.parse(fs.readFileSync(path.join(dir, "cassette.json"), "utf8")).interactions.map((i: { response: { body: unknown } }) => i.response.body);
    expect(stored[0]).toEqual({ json: { b: [1, 2], a: "é" } });
    expect(stored[1]).toEqual({ text: '{\n  "a": 1\n}' });
    expect(stored[3]).toEqual({ base64: "AAEC//4=" });
    expect(stored[4]).toEqual({ file: "bodies/0005-response.bin" });
    const back = readCassette(dir).map((e) => e.response.body!);
    expect(back.map((b) => b.toString("hex"))).toEqual([Buffer.from('{"b":[1,2],"a":"é"}'), pretty, bom, binary, big].map((b) => b.toString("hex")));
  });

  it("refuses a cassette from a newer connector-sdk, and one that is not a cassette, naming the file", () => {
    const dir = cassette([]);
    const file = path.join(dir, "cassette.json");
    fs.writeFileSync(file, JSON.stringify({ version: 2, interactions: [] }));
    expect(() => readCassette(dir)).toThrow(`The cassette ${file} has format version 2, newer than this connector-sdk reads (1). Upgrade connector-sdk.`);
    fs.writeFileSync(file, "{}");
    expect(() => readCassette(dir)).toThrow(`The cassette ${file} is not a connector-sdk cassette`);
  });
});

describe("redaction", () => {
  const r = new Redactor(["s3cr3t/+&token"]);

  it("removes credentials from headers, keeping the scheme, and secret values from URLs and bodies in every encoding", () => {
    expect(r.headers({ authorization: "Bearer abc", "x-api-key": "abc", cookie: "a=1; b=2", accept: "s3cr3t/+&token" })).toEqual({
      authorization: "Bearer [REDACTED]",
      "x-api-key": "[REDACTED]",
      cookie: "a=[REDACTED]; b=[REDACTED]",
      accept: "[REDACTED]",
    });
    expect(r.url(`https://u:pw@h.invalid/v1/${encodeURIComponent("s3cr3t/+&token")}?q=${encodeURIComponent("s3cr3t/+&token")}&access_token=zzz&page=2`)).toBe(
      "https://u:[REDACTED]@h.invalid/v1/[REDACTED]?q=[REDACTED]&access_token=[REDACTED]&page=2",
    );
    expect(r.body(Buffer.from(JSON.stringify({ client_secret: "x", nested: { note: "s3cr3t/+&token" }, key: "PROJ-1" })), "application/json")!.toString()).toBe(
      '{"client_secret":"[REDACTED]","nested":{"note":"[REDACTED]"},"key":"PROJ-1"}',
    );
    expect(r.body(Buffer.from("grant_type=x&password=hunter2"), "application/x-www-form-urlencoded")!.toString()).toBe("grant_type=x&password=%5BREDACTED%5D");
    expect(r.bytes(Buffer.from([0, ...Buffer.from("s3cr3t/+&token"), 255])).toString("latin1")).toBe("\u0000[REDACTED]\u00ff");
  });
});

describe("the expected outcome", () => {
  /** A SQLite warehouse file with `rows` items, closed: snapshotOutcome reads it back through its reader, as connector test does. */
  function warehouseWith(rows: number, name = "item"): string {
    const file = path.join(tempDir(), "warehouse.db");
    const w = Warehouse.open(file);
    w.begin();
    const t = w.createTable("items", [
      { name: "id", type: { type: "LONG" }, declared: true, pk: true },
      { name: "name", type: { type: "STRING" }, declared: true, pk: false },
    ]);
    const upsert = w.db.prepare(upsertSql(t, 0, 1));
    for (let i = 1; i <= rows; i++) upsert.run(new Date().toISOString(), i, `${name} ${i}`);
    w.commit();
    w.close();
    return file;
  }
  const snap = async (file: string): Promise<Outcome> => {
    const reader = await openReader({ kind: "sqlite", file });
    try {
      return await snapshotOutcome(reader, { startState: {}, checkpoints: [{ n: 1 }], state: { n: 1 }, naming: "fivetran" }, new Redactor(["item 3"]));
    } finally {
      await reader.close();
    }
  };

  it("keeps every row of a small table, sorted by key, without _fivetran_synced and without secrets", async () => {
    const o = await snap(warehouseWith(3));
    expect(o.tables.items).toEqual({
      primaryKey: ["id"],
      count: 3,
      rows: [
        { id: 1, name: "item 1", _fivetran_deleted: 0 },
        { id: 2, name: "item 2", _fivetran_deleted: 0 },
        { id: 3, name: "[REDACTED]", _fivetran_deleted: 0 },
      ],
    });
  });

  it("keeps only a count and a hash of a table over 1000 rows, and still notices a change in it", async () => {
    const a = await snap(warehouseWith(1001));
    expect(a.tables.items!.rows).toBeUndefined();
    expect(a.tables.items!.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(compareOutcomes(a, await snap(warehouseWith(1001))).passed).toBe(true);
    const changed = compareOutcomes(a, await snap(warehouseWith(1001, "Item")));
    expect(changed.passed).toBe(false);
    expect(changed.tables[0]).toMatchObject({ table: "items", hashOnly: true, expectedCount: 1001, gotCount: 1001 });
  });
});

describe("Redactor: credential fields in JSON of any layout", () => {
  const r = new Redactor([]);
  const body = (text: string): string => r.body(Buffer.from(text), "application/json")!.toString("utf8");
  it("replaces the value where it stands, keeping the layout, the key order and every other value", () => {
    expect(body('{"access_token": "abc", "n": 1}')).toBe('{"access_token": "[REDACTED]", "n": 1}');
    expect(body('{\n  "user": "ada",\n  "password"  :\t"p\\"w: \\"x"\n}')).toBe('{\n  "user": "ada",\n  "password"  :\t"[REDACTED]"\n}');
    expect(body('[{"refresh_token": "r1"}, {"nested": {"client_secret": "c"}}]')).toBe('[{"refresh_token": "[REDACTED]"}, {"nested": {"client_secret": "[REDACTED]"}}]');
    // An escaped key is still that key; a value that looks like a key is still a value; numbers and objects keep their place.
    expect(body('{"pass\\u0077ord": "x", "note": "\\"password\\": \\"y\\"", "api_key": 42}')).toBe('{"pass\\u0077ord": "[REDACTED]", "note": "\\"password\\": \\"y\\"", "api_key": 42}');
    expect(body('{"password": "[REDACTED]"}')).toBe('{"password": "[REDACTED]"}');
    // JSON under another content type (text/plain from a Python server) too.
    expect(r.body(Buffer.from('{"access_token": "abc"}'), "text/plain")!.toString()).toBe('{"access_token": "[REDACTED]"}');
    // Not JSON: left as it is.
    expect(r.body(Buffer.from('{"access_token": "abc"'), "application/json")!.toString()).toBe('{"access_token": "abc"');
  });

  it("a response's token is hidden in every later request, under any name, and the replayed request matches", async () => {
    const { credentialsOf, responseCredentials } = await import("../../src/replay/redact.js");
    const { redactExchanges } = await import("../../src/replay/http.js");
    const { shapeOf, differences } = await import("../../src/replay/match.js");
    const token = "tok-7Hq2-live";
    const exchanges: Exchange[] = [
      { run: "sync", request: { method: "POST", url: "https://a.invalid/login", headers: {} }, response: json(200, { access_token: token }) },
      { run: "sync", request: { method: "GET", url: `https://a.invalid/items?t=${token}`, headers: { "x-weird": `v=${token}` } }, response: json(200, { echo: token }) },
    ];
    expect(responseCredentials(exchanges)).toEqual([token]);
    expect(credentialsOf({ headers: { "set-cookie": "sid=abcdefgh; Path=/; HttpOnly; Expires=Wed, 21 Oct 2015 07:28:00 GMT" } })).toEqual(["abcdefgh"]);
    const written = redactExchanges(exchanges, responseCredentials(exchanges));
    expect(JSON.stringify(written.map((x) => [x.request, x.response.body!.toString()]))).not.toContain(token);
    expect(written[1]!.request.headers["x-weird"]).toBe("v=[REDACTED]");
    // In a replay the connector got [REDACTED] from the login, and sends that on.
    const replayed = { method: "GET", url: "https://a.invalid/items?t=[REDACTED]", headers: { "x-weird": "v=[REDACTED]" } };
    const none = new Redactor([]);
    expect(differences(shapeOf(written[1]!.request, {}, none), shapeOf(replayed, {}, none))).toEqual([]);
  });
});

describe("runSync({ replay }) is offline", () => {
  it("refuses a node:net socket while the replay runs, even one the connector's error handler swallows, and gives the network back after", async () => {
    const net = await import("node:net");
    let reached = 0;
    const server = net.createServer((c) => {
      reached++;
      c.end("hi");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as import("node:net").AddressInfo).port;
    const dial = (): Promise<string> =>
      new Promise((resolve) => {
        const s = net.connect(port, "127.0.0.1");
        let text = "";
        s.on("data", (d) => (text += d));
        s.on("close", () => resolve(text));
        s.on("error", (e) => resolve(`error: ${e.message}`));
      });
    try {
      const connector = {
        async update() {
          await dial();
          op.checkpoint({ done: true });
        },
      };
      const error = await runSync(connector, { replay: cassette([]) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SyncError);
      expect((error as SyncError).message).toMatch(new RegExp(`^Replay is offline, so the connection to 127\\.0\\.0\\.1:${port} \\(node:net\\) was refused`));
      expect(reached).toBe(0);
      expect(await dial()).toBe("hi");
      expect(reached).toBe(1);
    } finally {
      server.close();
    }
  });
});
