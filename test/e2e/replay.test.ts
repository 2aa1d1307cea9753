import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli, fixtureProject, initHere, makeProject, query, readState, tempDir } from "../helpers.js";
import { PAGE, RECORDS } from "../fixtures/verify/source.js";

const SECRET = "tok-Zq8-very-secret-4711";

interface Server {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A stand-in API on 127.0.0.1 and a free port; it records the paths it was asked for. */
/** What a test server answers. */
type Answer = { status?: number; headers?: Record<string, string | string[]>; body: string | Buffer };

async function serve(handler: (req: http.IncomingMessage, url: URL, body: string) => Answer): Promise<Server> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      hits.push(`${req.method} ${url.pathname}${url.search}`);
      const r = handler(req, url, body);
      res.writeHead(r.status ?? 200, r.headers ?? { "content-type": "application/json" });
      res.end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  let open = true;
  const s: Server = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      open
        ? new Promise<void>((resolve) => {
            open = false;
            server.closeAllConnections();
            server.close(() => resolve());
          })
        : Promise.resolve(),
  };
  servers.push(s);
  return s;
}

const ITEMS = [1, 2, 3, 4, 5].map((id) => ({ id, name: `item ${id}`, updated: `2024-01-0${id}` }));
const LOGO = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** The API of the main connector: items in pages behind a bearer token, a binary logo, and a login that echoes secrets back. */
function api(): Promise<Server> {
  return serve((req, url, body): Answer => {
    if (req.headers.authorization !== `Bearer ${SECRET}`) return { status: 401, body: '{"error":"unauthorized"}' };
    if (url.pathname === "/items") {
      const after = Number(url.searchParams.get("after"));
      const limit = Number(url.searchParams.get("limit"));
      const rest = ITEMS.filter((i) => i.id > after);
      return { body: JSON.stringify({ items: rest.slice(0, limit), more: rest.length > limit }) };
    }
    if (url.pathname === "/logo.png") return { headers: { "content-type": "image/png" }, body: LOGO };
    if (url.pathname === "/session") {
      const { password } = JSON.parse(body) as { password: string };
      return { headers: { "content-type": "application/json", "set-cookie": `sid=${password}; Path=/` }, body: JSON.stringify({ ok: password === SECRET, access_token: `${SECRET}-session`, echo: password }) };
    }
    return { status: 404, body: "{}" };
  });
}

/** Pages through /items with fetch, reads /logo.png with node:http, and logs in with a POST whose body holds the secret. */
const CONNECTOR = `import http from "node:http";
import { op } from "connector-sdk";

function get(url: string, token: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { authorization: "Bearer " + token } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks)));
    }).on("error", reject);
  });
}

export default {
  schema: () => [{ table: "items", primary_key: ["id"] }, { table: "files", primary_key: ["name"], columns: { bytes: "BINARY" } }],
  async update(configuration: { base_url: string; api_token: string }, state: { after?: number }) {
    const auth = { authorization: "Bearer " + configuration.api_token };
    let after = state.after ?? 0;
    for (;;) {
      const res = await fetch(configuration.base_url + "/items?after=" + after + "&limit=2&api_key=" + configuration.api_token, { headers: auth });
      if (!res.ok) throw new Error("/items answered " + res.status);
      const page = (await res.json()) as { items: { id: number; name: string }[]; more: boolean };
      for (const item of page.items) {
        op.upsert("items", item);
        after = item.id;
      }
      op.checkpoint({ after });
      if (!page.more) break;
    }
    const logo = await get(configuration.base_url + "/logo.png", configuration.api_token);
    op.upsert("files", { name: "logo.png", bytes: logo, size: logo.length });
    const login = await fetch(configuration.base_url + "/session", {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ user: "ada", password: configuration.api_token }),
    });
    const session = (await login.json()) as { ok: boolean };
    op.upsert("files", { name: "session", bytes: null, size: session.ok ? 1 : 0 });
    op.checkpoint({ after });
  },
};
`;

function project(server: Server): string {
  return makeProject({ "connector.ts": CONNECTOR, "configuration.json": JSON.stringify({ base_url: server.url, api_token: SECRET }) });
}

const allRows = (dir: string) => ({
  items: query(dir, "SELECT id, name, updated, _fivetran_deleted FROM items ORDER BY id"),
  files: query(dir, "SELECT name, hex(bytes) AS bytes, size, typeof(bytes) AS type FROM files ORDER BY name"),
});

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

type Recorded = { dir: string; server: Server; live: ReturnType<typeof allRows>; state: unknown };

/** Records the main connector, then stops its server. */
async function record(): Promise<Recorded> {
  const server = await api();
  const dir = project(server);
  const r = await cli(["debug", "--record"], { cwd: dir });
  expect(r.exitCode, r.stderr).toBe(0);
  const live = allRows(dir);
  const state = readState(dir);
  await server.close();
  return { dir, server, live, state };
}

let recording: Promise<Recorded> | undefined;
/**
 * A copy of the main connector's project as `connector debug --record` left it. The same recording every
 * time, so it is made once, by the first test that asks, and each test changes a copy of its own.
 */
async function recorded(): Promise<Recorded> {
  const once = await (recording ??= record());
  const dir = tempDir();
  fs.cpSync(once.dir, dir, { recursive: true });
  return { ...once, dir };
}

describe("connector debug --record and --replay", () => {
  it("records fetch and node:http against a local server; with the server stopped, a replay gives the same tables and state", async () => {
    const { dir, server, live, state } = await recorded();
    // 3 pages, the logo and the login: and one incremental re-run from the final state.
    expect(server.hits.filter((h) => h.startsWith("GET /items"))).toHaveLength(4);
    expect(server.hits).toContain("GET /logo.png");
    expect(live.items).toHaveLength(5);
    expect(live.files[0]).toEqual({ name: "logo.png", bytes: LOGO.toString("hex").toUpperCase(), size: 256, type: "blob" });
    expect(state).toEqual({ after: 5 });

    const cassette = JSON.parse(fs.readFileSync(path.join(dir, "fixtures/default/cassette.json"), "utf8"));
    expect(cassette.version).toBe(1);
    const urls = cassette.interactions.map((x: { run: string; request: { method: string; url: string } }) => `${x.run} ${x.request.method} ${x.request.url.replace(server.url, "")}`);
    expect(urls).toEqual([
      "sync GET /items?after=0&limit=2&api_key=[REDACTED]",
      "sync GET /items?after=2&limit=2&api_key=[REDACTED]",
      "sync GET /items?after=4&limit=2&api_key=[REDACTED]",
      "sync GET /logo.png",
      "sync POST /session",
      "incremental GET /items?after=5&limit=2&api_key=[REDACTED]",
    ]);
    // JSON as JSON, binary as base64: readable in a diff.
    expect(cassette.interactions[0].response.body.json.items[0]).toEqual({ id: 1, name: "item 1", updated: "2024-01-01" });
    expect(cassette.interactions[3].response.body).toEqual({ base64: LOGO.toString("base64") });

    fs.rmSync(path.join(dir, "files"), { recursive: true });
    const replay = await cli(["debug", "--replay"], { cwd: dir });
    expect(replay.exitCode, replay.stderr).toBe(0);
    expect(replay.stderr).toContain("Served 5 of 6 recorded response(s) from fixtures/default/; no request went to the network.");
    expect(allRows(dir)).toEqual(live);
    expect(readState(dir)).toEqual(state);

    const test = await cli(["test"], { cwd: dir });
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stderr).toContain("TEST PASSED: the replay of fixtures/default (5 of 6 recorded response(s) served) matches fixtures/default/outcome.json: 7 row(s) in 2 table(s), 4 checkpoint(s).");
  });

  it("writes no secret into any file of the cassette, and a replay still matches the redacted requests", async () => {
    const { dir } = await recorded();
    const files = filesUnder(path.join(dir, "fixtures"));
    expect(files.map((f) => path.basename(f)).sort()).toEqual(["cassette.json", "outcome.json"]);
    for (const f of files) {
      const bytes = fs.readFileSync(f);
      expect(bytes.includes(SECRET), f).toBe(false);
      expect(bytes.includes(encodeURIComponent(SECRET)), f).toBe(false);
    }
    const text = fs.readFileSync(path.join(dir, "fixtures/default/cassette.json"), "utf8");
    expect(text).toContain('"authorization": "Bearer [REDACTED]"');
    expect(text).toContain('"set-cookie": "sid=[REDACTED]; Path=[REDACTED]"');
    const session = JSON.parse(text).interactions[4];
    expect(session.request.body).toEqual({ json: { user: "ada", password: "[REDACTED]" } });
    expect(session.response.body.json).toEqual({ ok: true, access_token: "[REDACTED]", echo: "[REDACTED]" });
    // The replay's requests carry the real secret; they are redacted the same way before matching.
    const replay = await cli(["debug", "--replay"], { cwd: dir });
    expect(replay.exitCode, replay.stderr).toBe(0);
    expect(replay.stderr + replay.stdout).not.toContain(SECRET);
  });

  it("after a deliberate change to the connector, connector test reports exactly the changed rows; --update accepts them", async () => {
    const { dir } = await recorded();
    const changed = CONNECTOR.replace(
      "op.upsert(\"items\", item);",
      'if (item.id === 4) { after = item.id; continue; }\n        op.upsert("items", item.id === 2 ? { ...item, name: item.name.toUpperCase() } : item);\n        if (item.id === 5) op.upsert("items", { id: 99, name: "extra" });',
    );
    expect(changed).not.toBe(CONNECTOR);
    fs.writeFileSync(path.join(dir, "connector.ts"), changed);

    const json = await cli(["test", "--json"], { cwd: dir });
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.passed).toBe(false);
    expect(report.regression.state).toEqual([]);
    expect(report.regression.tables).toEqual([
      {
        table: "items",
        expectedCount: 5,
        gotCount: 5,
        added: 1,
        removed: 1,
        changed: 1,
        addedRows: [{ id: 99, name: "extra", updated: null, _fivetran_deleted: 0 }],
        removedRows: [{ id: 4, name: "item 4", updated: "2024-01-04", _fivetran_deleted: 0 }],
        changedRows: [{ key: "id=2", columns: { name: { expected: "item 2", got: "ITEM 2" } } }],
      },
    ]);

    const text = await cli(["test"], { cwd: dir });
    expect(text.exitCode).toBe(1);
    expect(text.stderr).toContain(
      [
        "items: 1 added, 1 removed, 1 changed (5 row(s) expected, 5 got)",
        '  added    id=99  {"name":"extra","updated":null,"_fivetran_deleted":0}',
        '  removed  id=4  {"name":"item 4","updated":"2024-01-04","_fivetran_deleted":0}',
        '  changed  id=2  name: "item 2" → "ITEM 2"',
        "",
        "TEST FAILED: the replay of fixtures/default differs from fixtures/default/outcome.json. If the change is intended, accept it with `connector test --update`.",
      ].join("\n"),
    );

    const update = await cli(["test", "--update"], { cwd: dir });
    expect(update.exitCode, update.stderr).toBe(0);
    expect(update.stderr).toContain("Wrote fixtures/default/outcome.json: 7 row(s) in 2 table(s)");
    expect(fs.readFileSync(path.join(dir, "fixtures/default/outcome.json"), "utf8")).toContain('{"id":2,"name":"ITEM 2","updated":"2024-01-02","_fivetran_deleted":0}');
    expect((await cli(["test"], { cwd: dir })).exitCode).toBe(0);
  });

  it("connector test replays into a scratch warehouse of the project's kind: a DuckDB project passes against the outcome recorded on SQLite, and a changed row fails it", async () => {
    const { dir } = await recorded();
    // A DuckDB project: its SQLite warehouse gone, DuckDB chosen.
    for (const f of fs.readdirSync(path.join(dir, "files"))) if (f.startsWith("warehouse.db")) fs.rmSync(path.join(dir, "files", f));
    const duckdb = { env: { CONNECTOR_DESTINATION: "duckdb" } };
    const passed = await cli(["test"], { cwd: dir, ...duckdb });
    expect(passed.exitCode, passed.stderr).toBe(0);
    expect(passed.stderr).toContain("Replaying fixtures/default into a scratch DuckDB warehouse");
    expect(passed.stderr).toContain("TEST PASSED");
    // Binary values, NULLs and _fivetran_deleted come back from DuckDB in the form outcome.json holds (SQLite's).
    fs.writeFileSync(path.join(dir, "connector.ts"), CONNECTOR.replace('op.upsert("items", item);', 'op.upsert("items", item.id === 2 ? { ...item, name: "renamed" } : item);'));
    const failed = await cli(["test", "--json"], { cwd: dir, ...duckdb });
    expect(failed.exitCode).toBe(1);
    expect(JSON.parse(failed.stdout).regression.tables).toMatchObject([{ table: "items", changed: 1, changedRows: [{ key: "id=2", columns: { name: { expected: "item 2", got: "renamed" } } }] }]);
    expect(fs.existsSync(path.join(dir, "files", "warehouse.duckdb"))).toBe(false);
  });

  it("a request with no recorded match fails the sync, naming the request, the closest recorded one and the difference", async () => {
    const { dir } = await recorded();
    fs.writeFileSync(path.join(dir, "connector.ts"), CONNECTOR.replace("&limit=2&", "&limit=3&"));
    fs.rmSync(path.join(dir, "files"), { recursive: true });
    for (const args of [["debug", "--replay"], ["test"]]) {
      const r = await cli(args, { cwd: dir });
      expect(r.exitCode, args.join(" ")).toBe(1);
      const out = r.stderr;
      expect(out).toMatch(/No recorded response for GET http:\/\/127\.0\.0\.1:\d+\/items\?after=0&limit=3&api_key=\[REDACTED\] in the cassette fixtures\/default\./);
      expect(out).toMatch(/The closest recorded request, #1 of 6, is GET http:\/\/127\.0\.0\.1:\d+\/items\?after=0&limit=2&api_key=\[REDACTED\]; it differs in:\n {2}query parameter limit: recorded "2", got "3"\n/);
      expect(out).toContain('let matching ignore them in fixtures/replay.json: {"ignore":{"query":["limit"]}}');
      expect(out).not.toContain(SECRET);
      if (args[0] === "test") expect(out).toContain("The replay of fixtures/default failed: No recorded response");
    }
    // The failed replay committed nothing.
    expect(fs.existsSync(path.join(dir, "files/state.json"))).toBe(false);
  });

  it("matching ignores the volatile query parameters and headers named in fixtures/replay.json", async () => {
    const server = await serve((_req, url) => ({ body: JSON.stringify({ n: Number(url.searchParams.get("n")) }) }));
    const dir = makeProject({
      "configuration.json": JSON.stringify({ base_url: server.url }),
      "connector.ts": `import { op } from "connector-sdk";
export default {
  async update(configuration: { base_url: string }) {
    const res = await fetch(configuration.base_url + "/count?n=7&ts=" + Date.now() + Math.random(), { headers: { "x-nonce": String(Math.random()) } });
    op.upsert("counts", { id: 1, ...(await res.json()) });
    op.checkpoint({ done: true });
  },
};
`,
    });
    const record = await cli(["debug", "--record"], { cwd: dir });
    // The recording cannot replay itself: the check right after recording says so, and why.
    expect(record.exitCode).toBe(1);
    expect(record.stderr).toContain("Sync SUCCEEDED");
    expect(record.stderr).toContain("Recording FAILED: the recording does not replay, so no expected outcome was written: No recorded response for GET");
    expect(record.stderr).toMatch(/query parameter ts: recorded "\d+/);
    expect(record.stderr).toMatch(/header x-nonce: recorded "0\.\d+", got "0\.\d+"/);
    expect(record.stderr).toContain('{"ignore":{"query":["ts"],"headers":["x-nonce"]}}');
    await server.close();

    expect((await cli(["test"], { cwd: dir })).stderr).toContain("has no expected outcome (fixtures/default/outcome.json). Write it from a replay with `connector test --update`.");
    fs.writeFileSync(path.join(dir, "fixtures/replay.json"), JSON.stringify({ ignore: { query: ["ts"], headers: ["x-nonce"] } }));
    const update = await cli(["test", "--update"], { cwd: dir });
    expect(update.exitCode, update.stderr).toBe(0);
    const test = await cli(["test"], { cwd: dir });
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stderr).toContain("TEST PASSED");
  });

  it("a 10 MB body and binary bodies survive a round trip, in files of their own beside cassette.json", async () => {
    const big = JSON.stringify({ text: "0123456789abcdef".repeat(655_360) });
    const binary = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < binary.length; i++) binary[i] = (i * 7919) % 256;
    const server = await serve((_req, url) =>
      url.pathname === "/big" ? { body: big } : { headers: { "content-type": "application/octet-stream" }, body: url.pathname === "/small.bin" ? Buffer.from([0, 255, 10, 13, 0]) : binary },
    );
    const dir = makeProject({
      "configuration.json": JSON.stringify({ base_url: server.url }),
      "connector.ts": `import http from "node:http";
import { createHash } from "node:crypto";
import { op } from "connector-sdk";
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const get = (url: string): Promise<Buffer> => new Promise((resolve, reject) => {
  http.get(url, (res) => { const c: Buffer[] = []; res.on("data", (d) => c.push(d)); res.on("end", () => resolve(Buffer.concat(c))); }).on("error", reject);
});
export default {
  async update(configuration: { base_url: string }) {
    const big = Buffer.from(await (await fetch(configuration.base_url + "/big")).arrayBuffer());
    op.upsert("bodies", { name: "big", size: big.length, sha: sha(big) });
    const bin = await get(configuration.base_url + "/large.bin");
    op.upsert("bodies", { name: "large.bin", size: bin.length, sha: sha(bin) });
    const small = Buffer.from(await (await fetch(configuration.base_url + "/small.bin")).arrayBuffer());
    op.upsert("bodies", { name: "small.bin", size: small.length, sha: sha(small) });
    op.checkpoint({ done: true });
  },
};
`,
    });
    const record = await cli(["debug", "--record"], { cwd: dir });
    expect(record.exitCode, record.stderr).toBe(0);
    await server.close();
    const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
    const expected = [
      { name: "big", size: big.length, sha: sha(big) },
      { name: "large.bin", size: binary.length, sha: sha(binary) },
      { name: "small.bin", size: 5, sha: sha(Buffer.from([0, 255, 10, 13, 0])) },
    ];
    expect(query(dir, "SELECT name, size, sha FROM bodies ORDER BY name")).toEqual(expected);
    const cassette = path.join(dir, "fixtures/default");
    expect(fs.statSync(path.join(cassette, "bodies/0001-response.bin")).size).toBe(big.length);
    expect(fs.readFileSync(path.join(cassette, "bodies/0002-response.bin")).equals(binary)).toBe(true);
    expect(fs.statSync(path.join(cassette, "cassette.json")).size).toBeLessThan(10_000);
    expect(JSON.parse(fs.readFileSync(path.join(cassette, "cassette.json"), "utf8")).interactions[2].response.body).toEqual({ base64: "AP8KDQA=" });

    fs.rmSync(path.join(dir, "files"), { recursive: true });
    const replay = await cli(["debug", "--replay"], { cwd: dir });
    expect(replay.exitCode, replay.stderr).toBe(0);
    expect(query(dir, "SELECT name, size, sha FROM bodies ORDER BY name")).toEqual(expected);
  });

  it("refuses --record with a folder for a name, and --record with --replay", async () => {
    const dir = makeProject({ "connector.ts": "export default { update() {} };\n" });
    fs.mkdirSync(path.join(dir, "other"));
    const folder = await cli(["debug", "--record", "other"], { cwd: dir });
    expect(folder.exitCode).toBe(2);
    expect(folder.stderr).toContain('--record takes a cassette name, and "other" is a folder. To use that project, put it first: `connector debug other --record`.');
    const both = await cli(["debug", "--record", "--replay"], { cwd: dir });
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain("--record and --replay cannot be used together");
    expect(fs.existsSync(path.join(dir, "fixtures"))).toBe(false);
  });

  it("a failed sync records nothing and leaves an existing cassette as it was", async () => {
    const { dir } = await recorded();
    const before = fs.readFileSync(path.join(dir, "fixtures/default/cassette.json"), "utf8");
    fs.writeFileSync(path.join(dir, "connector.ts"), `export default { update() { throw new Error("boom"); } };\n`);
    const r = await cli(["debug", "--record", "--yes"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("Nothing was recorded: the sync failed, so fixtures/default is left as it was.");
    expect(fs.readFileSync(path.join(dir, "fixtures/default/cassette.json"), "utf8")).toBe(before);
    expect(fs.readdirSync(path.join(dir, "fixtures"))).toEqual(["default"]);
  });
});

/** The cursor-before-upsert pair of test/fixtures/verify, reading RECORDS page by page from an HTTP API instead of memory. */
function recordsApi(): Promise<Server> {
  let served = 0;
  return serve((_req, url) => {
    const after = Number(url.searchParams.get("after_id") ?? 0);
    const page = RECORDS.filter((r) => r.id > after).slice(0, PAGE);
    // A moving source: every response says when it was served, as many APIs do.
    return { body: JSON.stringify({ records: page.map((r) => ({ ...r, served: ++served })), more: RECORDS.some((r) => r.id > (page.at(-1)?.id ?? Infinity)) }) };
  });
}

describe("connector verify --replay", () => {
  it("passes a correct connector offline with no non-determinism WARN, and catches the seeded resume bug of the buggy one", async () => {
    const verdicts: Record<string, { code: number; out: string }> = {};
    for (const variant of ["fixed", "buggy"]) {
      const server = await recordsApi();
      const dir = fixtureProject(`replay/cursor-before-upsert/${variant}`);
      fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ base_url: server.url }));
      if (variant === "fixed") {
        // Live, the moving source makes verify warn.
        const live = await cli(["verify", "--seed", "1"], { cwd: dir });
        expect(live.stderr).toMatch(/baseline\s+WARN\s+the source is not deterministic/);
      }
      const record = await cli(["debug", "--record"], { cwd: dir });
      expect(record.exitCode, record.stderr).toBe(0);
      await server.close();
      const r = await cli(["verify", "--replay", "--seed", "7", "--trials", "12"], { cwd: dir });
      verdicts[variant] = { code: r.exitCode, out: r.stderr };
    }
    expect(verdicts.fixed!.code, verdicts.fixed!.out).toBe(0);
    expect(verdicts.fixed!.out).toContain("Every run replays HTTP from fixtures/default/: offline, and the same source every time.");
    expect(verdicts.fixed!.out).toMatch(/baseline\s+PASS\s+two historical syncs agree: 12 rows/);
    expect(verdicts.fixed!.out).not.toContain("WARN");
    expect(verdicts.buggy!.code).toBe(1);
    expect(verdicts.buggy!.out).toMatch(/interrupted\s+FAIL\s+trial \d+ of 12, aborted before operation \d+ of \d+, after checkpoint \d+: after resuming, \d+ row\(s\) differ from the baseline/);
  });

  it("a project with a cassette hears about --replay from a plain connector verify", async () => {
    const { dir } = await recorded();
    const r = await cli(["verify", "--trials", "1"], { cwd: dir });
    expect(r.stderr).toContain("This project has a recorded cassette (fixtures/default/): `connector verify --replay` runs every check against it, offline and deterministic.");
  });
});

describe("the rest-api template", () => {
  it("ships a cassette that connector test and connector verify --replay pass offline", async () => {
    // The project as `connector init` writes it (init.test.ts spawns that).
    const dir = await initHere(path.join(tempDir(), "api"), "rest-api");
    // No base_url: nothing to serve from but the cassette, so the fixture server the connector would start is not used.
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ base_url: "http://127.0.0.1:9", api_key: "", page_size: "4" }));
    const test = await cli(["test"], { cwd: dir });
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stderr).toContain("TEST PASSED");
    const verify = await cli(["verify", "--replay", "--seed", "5"], { cwd: dir });
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.stderr).toContain("VERIFY PASSED (seed 5)");
  });
});
