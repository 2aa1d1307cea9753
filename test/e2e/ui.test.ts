import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, makeProject, query, ROOT, startDebug, tempDir, waitFor } from "../helpers.js";
import { launchBrowser, startUi, type RunningUi } from "../support/browser.js";

/** The page's globals, for the callbacks page.evaluate() and page.waitForFunction() run in the browser (the tests are compiled without the DOM's types). */
declare const document: { getElementById(id: string): { textContent: string | null } | null };
declare const window: unknown;

/** Three checkpoints whose cursor goes 10 → 20 → 30; the second also deletes a user. */
const CURSOR = `import { Connector, op } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "users", primary_key: ["id"] }, { table: "events", primary_key: ["id"] }],
  update(configuration, state: any) {
    for (const cursor of [10, 20, 30]) {
      if ((state.cursor ?? 0) >= cursor) continue;
      op.upsert("users", { id: cursor, name: "user " + cursor, profile: { tags: ["a", "b"], level: cursor / 10 } });
      op.upsert("events", { id: cursor, kind: "signup" });
      if (cursor === 20) op.delete("users", { id: 10 });
      op.checkpoint({ cursor });
    }
  },
});
`;

/** README screenshots go to docs/images when asked for (CONNECTOR_UI_SCREENSHOTS=1), else to a temporary folder. */
const shots = process.env.CONNECTOR_UI_SCREENSHOTS === "1" ? path.join(ROOT, "docs", "images") : tempDir("connector-shots-");

let browser: BrowserContext;
const servers: RunningUi[] = [];
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.stop();
});

async function ui(dir: string, args: string[] = []): Promise<RunningUi> {
  const s = await startUi(dir, args);
  servers.push(s);
  return s;
}

/** A page signed in through the printed URL (the token buys the cookie). */
async function signedIn(s: RunningUi): Promise<Page> {
  const page = await browser.newPage();
  const r = await page.goto(s.url);
  expect(r?.status()).toBe(200);
  expect(page.url()).toBe(`${s.base}/`);
  return page;
}

async function debugged(connector = CURSOR): Promise<string> {
  const dir = makeProject({ "connector.ts": connector });
  const r = await cli(["debug"], { cwd: dir });
  expect(r.exitCode, r.stderr).toBe(0);
  return dir;
}

/** A GET with a chosen Host header and no cookie, which a browser will not send. */
function rawGet(base: string, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${pathname}`, { headers }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      })
      .on("error", reject);
  });
}

describe("connector ui", () => {
  it("checkpoints: the timeline lists 3 checkpoints and checkpoint 2 shows the cursor going from 10 to 20", async () => {
    const dir = await debugged();
    const s = await ui(dir);
    const page = await signedIn(s);
    await page.screenshot({ path: path.join(shots, "ui-overview.png"), fullPage: true });
    await page.goto(`${s.base}/checkpoints`);
    await expect.poll(() => page.locator("main tbody tr").count()).toBe(3);
    await page.goto(`${s.base}/checkpoints/2`);
    const change = page.locator("main tr.changed");
    expect(await change.count()).toBe(1);
    expect((await change.locator("td").allInnerTexts()).map((t) => t.trim())).toEqual(["cursor", "changed", "10", "20"]);
    expect(await page.locator("main").innerText()).toContain("connector state rewind 2");
    await page.screenshot({ path: path.join(shots, "ui-checkpoint.png"), fullPage: true });
    await page.goto(`${s.base}/checkpoints/99`);
    expect(await page.locator("main").innerText()).toContain('No checkpoint "99"');
    const missing = await page.goto(`${s.base}/tables/nope`);
    expect(missing?.status()).toBe(404);
    expect(await page.locator("main").innerText()).toContain('No table "nope"');
  });

  it("tables: the overview and /tables/users show the counts connector inspect shows", async () => {
    const dir = await debugged();
    const inspect = await cli(["inspect", "--json"], { cwd: dir });
    const { tables } = JSON.parse(inspect.stdout) as { tables: { table: string; rows: number; deleted: number }[] };
    const s = await ui(dir);
    const page = await signedIn(s);
    for (const t of tables) {
      const cells = (await page.locator("main tr", { has: page.locator(`a[href="/tables/${t.table}"]`) }).locator("td").allInnerTexts()).map((x) => x.trim());
      expect(cells.slice(2, 5)).toEqual([String(t.rows), String(t.rows - t.deleted), String(t.deleted)]);
    }
    // The last run, from its record: succeeded, its operations per table, its duration and peak memory.
    expect(await page.locator("main").innerText()).toMatch(/Status\s+succeeded · run 1/);
    const perTable = await page.locator("#run-tables tbody tr").evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent!.trim())));
    expect(perTable.sort()).toEqual([["events", "3", "0", "0", "0"], ["users", "3", "0", "1", "0"]]);
    expect(await page.locator("#run-memory").innerText()).toMatch(/ RSS, /);
    await page.goto(`${s.base}/runs`);
    const run = (await page.locator("main tbody tr").first().locator("td").allInnerTexts()).map((x) => x.trim());
    expect(run[1]).toBe("succeeded");
    expect(run[5]).toMatch(/^\d+ ms$|^\d+\.\d s$/);
    expect(run[6]).toMatch(/ RSS, /);
    expect(run[7]).toBe("6 upserts, 0 updates, 1 deletes, 0 truncates");
    await page.goto(`${s.base}/`);
    const users = tables.find((t) => t.table === "users")!;
    await page.click('a[href="/tables/users"]');
    expect(await page.locator("#counts").innerText()).toBe(`${users.rows} rows: ${users.rows - users.deleted} live, ${users.deleted} deleted`);
    expect(await page.locator("#rows tbody tr.deleted").count()).toBe(users.deleted);
    expect(await page.locator("main").innerText()).toContain('"tags": [');
  });

  // The issue asks for the first page in under 1 s; the house rule forbids asserting a time in a test (the machine is shared), so the
  // time is reported as an annotation and measured once in docs/performance.md; the test proves the page comes from one bounded query.
  it("paging: a table of 200,000 rows opens its first page (time annotated), and the next page follows it", async ({ annotate }) => {
    const dir = await debugged(`import { Connector, op } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "big", primary_key: ["id"] }],
  update() {
    for (let i = 1; i <= 200_000; i++) {
      op.upsert("big", { id: i, v: "row " + i });
      if (i % 50_000 === 0) op.checkpoint({ i });
    }
  },
});
`);
    const s = await ui(dir);
    const page = await signedIn(s);
    const started = Date.now();
    await page.goto(`${s.base}/tables/big`);
    const took = Date.now() - started;
    const first = await page.locator("#rows tbody tr td:first-child").allInnerTexts();
    expect(first).toHaveLength(50);
    expect(first[0]).toBe("200000");
    await annotate(`first page of 200,000 rows: ${took} ms in the browser`);
    await page.click("#next-page");
    const second = await page.locator("#rows tbody tr td:first-child").allInnerTexts();
    expect(second).toHaveLength(50);
    expect(Number(second[0])).toBe(Number(first[49]) - 1);
    await page.fill('input[name="key"]', "12345");
    await page.press('input[name="key"]', "Enter");
    expect(await page.locator("#rows tbody tr td:first-child").allInnerTexts()).toEqual(["12345"]);
  });

  it("http: an Authorization header shows as ***, and its value is in no page and no response", async () => {
    const secret = "sk_live_9f8e7d6c5b4a";
    const dir = await debugged();
    const cassette = {
      version: 1,
      recordedWith: "test",
      recordedAt: "2026-12-01T00:00:00.000Z",
      interactions: [
        {
          run: "sync",
          request: { method: "GET", url: "https://api.example.test/users?page=3", headers: { authorization: `Bearer ${secret}`, accept: "application/json" } },
          response: { status: 200, headers: { "content-type": "application/json" }, body: { json: { users: [{ id: 1 }], echo: secret } } },
        },
      ],
    };
    fs.mkdirSync(path.join(dir, "fixtures", "default"), { recursive: true });
    fs.writeFileSync(path.join(dir, "fixtures", "default", "cassette.json"), JSON.stringify(cassette));
    const s = await ui(dir);
    const page = await signedIn(s);
    const bodies: string[] = [];
    page.on("response", (r) => {
      if (!r.url().endsWith("/events")) bodies.push(r.url());
    });
    await page.goto(`${s.base}/http`);
    await page.click("main details summary");
    const row = page.locator("table.headers tr", { has: page.locator("td", { hasText: /^authorization$/ }) });
    expect((await row.locator("td").allInnerTexts())[1]).toBe("***");
    expect(await page.locator("main").innerText()).toContain("api.example.test/users?page=3");
    expect(await page.content()).not.toContain(secret);
    for (const p of ["/", "/http", "/runs", "/checkpoints", "/checkpoints/1", "/tables/users"]) {
      const r = await page.request.get(`${s.base}${p}`);
      expect(await r.text(), p).not.toContain(secret);
    }
    expect(bodies.length).toBeGreaterThan(0);
  });

  it("http: a recorded run's exchanges are grouped by the checkpoint they preceded, with their time; the cassette still replays, and so does one without those fields", async () => {
    const api = http.createServer((req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ path: req.url })));
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
      const dir = makeProject({
        "connector.ts": `import { Connector, op } from "connector-sdk";
const get = async (p: string) => (await (await fetch("${base}" + p)).json()) as { path: string };
export default new Connector({
  schema: () => [{ table: "pages", primary_key: ["path"] }],
  async update() {
    op.upsert("pages", await get("/a"));
    op.checkpoint({ step: 1 });
    op.upsert("pages", await get("/b"));
    op.upsert("pages", await get("/c"));
    op.checkpoint({ step: 2 });
    op.upsert("pages", await get("/d"));
  },
});
`,
      });
      const rec = await cli(["debug", "--record"], { cwd: dir });
      expect(rec.exitCode, rec.stderr).toBe(0);
      const file = path.join(dir, "fixtures", "default", "cassette.json");
      const cassette = JSON.parse(fs.readFileSync(file, "utf8")) as { interactions: { run: string; afterCheckpoints?: number; durationMs?: number; request: { url: string } }[] };
      const synced = cassette.interactions.filter((x) => x.run === "sync");
      expect(synced.map((x) => [new URL(x.request.url).pathname, x.afterCheckpoints])).toEqual([["/a", 0], ["/b", 1], ["/c", 1], ["/d", 2]]);
      for (const x of synced) expect(typeof x.durationMs).toBe("number");
      const s = await ui(dir);
      const page = await signedIn(s);
      await page.goto(`${s.base}/http`);
      expect(await page.locator("h4.checkpoint-group").allInnerTexts()).toEqual(["Before checkpoint 1 of the run", "After checkpoint 1, before checkpoint 2 (if any)", "After checkpoint 2, before checkpoint 3 (if any)"]);
      const groupRows = await page.locator("h4.checkpoint-group + table").evaluateAll((ts) => ts.map((t) => t.querySelectorAll(":scope > tbody > tr").length));
      expect(groupRows).toEqual([1, 2, 1]);
      expect((await page.locator("main tbody tr").first().locator("td").allInnerTexts())[4]).toMatch(/^\d+ ms$/);
      await api.close();
      // The recorded cassette replays offline; so does the same cassette in the older format, without the new fields.
      expect((await cli(["debug", "--replay"], { cwd: dir })).exitCode).toBe(0);
      for (const x of cassette.interactions) {
        delete x.afterCheckpoints;
        delete x.durationMs;
      }
      fs.writeFileSync(file, JSON.stringify(cassette));
      const old = await cli(["test"], { cwd: dir });
      expect(old.exitCode, old.stdout + old.stderr).toBe(0);
      await page.goto(`${s.base}/http`);
      expect(await page.locator("h4.checkpoint-group").count()).toBe(0);
      expect(await page.locator("main tr:has(details)").count()).toBe(4);
    } finally {
      api.closeAllConnections();
      api.close();
    }
  });

  it("access: no token gives 401, a foreign Host header 403", async () => {
    const dir = await debugged();
    const s = await ui(dir);
    expect((await rawGet(s.base, "/")).status).toBe(401);
    expect((await rawGet(s.base, "/checkpoints/1")).status).toBe(401);
    expect((await rawGet(s.base, "/?token=wrong")).status).toBe(401);
    const token = new URL(s.url).searchParams.get("token")!;
    expect((await rawGet(s.base, `/?token=${token}`, { Host: `attacker.example:${s.port}` })).status).toBe(403);
    const ok = await rawGet(s.base, `/?token=${token}`);
    expect(ok.status).toBe(303);
  });

  it("offline: the browser asks nothing of any origin but the server's", async () => {
    const dir = await debugged();
    const s = await ui(dir);
    const page = await browser.newPage();
    const asked: string[] = [];
    await page.route("**/*", (route) => {
      asked.push(route.request().url());
      return route.request().url().startsWith(`${s.base}/`) ? route.continue() : route.abort();
    });
    await page.goto(s.url);
    for (const p of ["/tables/users", "/checkpoints", "/checkpoints/2", "/runs", "/http"]) await page.goto(`${s.base}${p}`);
    expect(asked.length).toBeGreaterThan(6);
    expect(asked.filter((u) => !u.startsWith(`${s.base}/`))).toEqual([]);
    expect(asked).toContain(`${s.base}/assets/app.css`);
    // Every asset the pages use, JavaScript and CSS together, stays under 300 KB uncompressed.
    const assets = asked.filter((u) => u.startsWith(`${s.base}/assets/`));
    let bytes = 0;
    for (const u of new Set(assets)) bytes += (await (await page.request.get(u)).body()).length;
    expect(new Set(assets).size).toBe(2);
    expect(bytes).toBeLessThan(300 * 1024);
  });

  it("live: during a running connector debug, a new checkpoint appears in the timeline without a reload", async () => {
    const dir = makeProject({
      "connector.ts": `import fs from "node:fs";
import { Connector, op } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "users", primary_key: ["id"] }],
  async update() {
    op.upsert("users", { id: 1 });
    op.checkpoint({ cursor: 1 });
    while (!fs.existsSync("go")) await new Promise((r) => setTimeout(r, 20));
    op.upsert("users", { id: 2 });
    op.checkpoint({ cursor: 2 });
  },
});
`,
    });
    const sync = startDebug(dir);
    await waitFor(() => fs.existsSync(path.join(dir, "files", "warehouse.db")) && query(dir, "SELECT 1 FROM sqlite_master WHERE name = '_connector_checkpoints'").length === 1 && query(dir, "SELECT seq FROM _connector_checkpoints").length === 1);
    const s = await ui(dir);
    const page = await signedIn(s);
    await page.goto(`${s.base}/checkpoints`);
    expect(await page.locator("main tbody tr").count()).toBe(1);
    await page.waitForFunction(() => document.getElementById("live")?.textContent === "live");
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));
    fs.writeFileSync(path.join(dir, "go"), "");
    await expect.poll(() => page.locator("main tbody tr").count(), { timeout: 20_000 }).toBe(2);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);
    expect(await sync.exited).toBe(0);
  });

  it("runs: a failed run shows its error and its crash report, on the overview and in /runs", async () => {
    const dir = makeProject({
      "connector.ts": `import { Connector, op } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "users", primary_key: ["id"] }],
  update() {
    op.upsert("users", { id: 1 });
    op.checkpoint({ cursor: 1 });
    throw new Error("the API answered 500 on page 3");
  },
});
`,
    });
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(1);
    const report = fs.readdirSync(path.join(dir, "crash-reports"))[0]!;
    const s = await ui(dir);
    const page = await signedIn(s);
    const overview = await page.locator("main").innerText();
    expect(overview).toMatch(/Status\s+failed · run 1/);
    expect(overview).toContain("the API answered 500 on page 3");
    // The run record of files/runs.jsonl: the duration and peak memory connector debug measured.
    const record = JSON.parse(fs.readFileSync(path.join(dir, "files", "runs.jsonl"), "utf8").trim()) as { durationMs: number };
    expect(await page.locator("#run-duration").innerText()).toContain("connector debug");
    expect(await page.locator("#run-memory").innerText()).toMatch(/^\d+(\.\d)? [KMG]B RSS, \d+(\.\d)? [KMG]B heap$/);
    expect(record.durationMs).toBeGreaterThan(0);
    await page.goto(`${s.base}/runs`);
    const row = page.locator("main tbody tr").first();
    expect(await row.locator(".status-failed").first().innerText()).toBe("failed");
    await row.locator("summary").click();
    expect(await row.innerText()).toContain(`crash-reports/${report}`);
    expect(await row.innerText()).toContain("connector.ts:7");
  });

  it("hostile input: names, rows and state are shown as text, a secret with & < \" is masked, odd addresses get 400 or 404, and nothing in the project changes", async () => {
    const secret = `s3cr&t<"pa55'>`;
    const dir = makeProject({
      "configuration.json": JSON.stringify({ api_key: secret }),
      "connector.ts": `import { Connector, op } from "connector-sdk";
const X = "<script>window.pwned = 1</script><img src=x onerror=alert(1)>";
export default new Connector({
  update(configuration: any) {
    for (const t of ["my table", "a/b", "ünï", "x<img src=x onerror=alert(2)>", "t".repeat(120)]) op.upsert(t, { id: 1, [X]: X, j: { [X]: X } });
    op.upsert("users", { id: 1, echo: configuration.api_key });
    op.checkpoint({ token: configuration.api_key, [X]: X });
  },
});
`,
    });
    expect((await cli(["debug", "--naming", "source"], { cwd: dir })).exitCode).toBe(0);
    const snapshot = (): string[] =>
      (fs.readdirSync(dir, { recursive: true }) as string[])
        .filter((f) => fs.statSync(path.join(dir, f)).isFile() && !/-(wal|shm)$/.test(f))
        .map((f) => `${f} ${fs.statSync(path.join(dir, f)).mtimeMs} ${createHash("sha1").update(fs.readFileSync(path.join(dir, f))).digest("hex")}`)
        .sort();
    const before = snapshot();
    const s = await ui(dir);
    const page = await signedIn(s);
    const alerts: string[] = [];
    page.on("dialog", (d) => {
      alerts.push(d.message());
      void d.dismiss();
    });
    const links = await page.locator("main table a").evaluateAll((as) => as.map((a) => [a.textContent!, a.getAttribute("href")!]));
    expect(links.map(([name]) => name).sort()).toEqual(["a/b", "my table", "t".repeat(120), "users", "x<img src=x onerror=alert(2)>", "ünï"]);
    const seen: string[] = [];
    for (const [name, href] of [...links, ["", "/checkpoints/1"], ["", "/checkpoints"], ["", "/runs"], ["", "/http"], ["", "/"]]) {
      const r = await page.goto(`${s.base}${href}`);
      expect(r?.status(), href).toBe(200);
      if (name) expect(await page.locator("main h1").innerText()).toBe(name);
      seen.push(await page.content(), await r!.text());
    }
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(alerts).toEqual([]);
    expect(seen.join("\n")).toContain("onerror=alert(1)&gt;");
    for (const text of seen) expect(text).not.toMatch(/pa55/);
    // An address the server cannot read is the request's fault (400), never a server error.
    for (const bad of ["/tables/%E0%A4", "/tables/%", "/checkpoints/%ZZ", "/tables/users?after=garbage", `/tables/users?after=${Buffer.from("[1]").toString("base64url")}`]) {
      const r = await page.request.get(`${s.base}${bad}`);
      expect(r.status(), bad).toBe(400);
      expect(await r.text()).not.toMatch(/URI malformed|JSON/);
    }
    for (const seq of ["0", "-1", "99999999999999999999", "abc", "1e3"]) expect((await page.request.get(`${s.base}/checkpoints/${seq}`)).status(), seq).toBe(404);
    // Only GET and HEAD: a POST that carries the token buys no cookie.
    const token = new URL(s.url).searchParams.get("token")!;
    const post = await page.request.post(`${s.base}/?token=${token}`, { maxRedirects: 0 });
    expect(post.status()).toBe(405);
    expect(post.headers()["set-cookie"]).toBeUndefined();
    expect((await page.request.fetch(`${s.base}/`, { method: "DELETE" })).status()).toBe(405);
    expect(snapshot()).toEqual(before);
    expect(s.stdout()).not.toMatch(/pa55/);
    expect(s.stderr()).toBe("");
  });

  it("a checkpoint that changes 1,200 paths of its state shows the first 1,000 and says how to print the rest", async () => {
    const dir = await debugged(`import { Connector, op } from "connector-sdk";
export default new Connector({
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update() {
    for (const c of [1, 2]) {
      op.upsert("t", { id: c });
      op.checkpoint(Object.fromEntries(Array.from({ length: 1200 }, (_, i) => ["k" + i, i + c])));
    }
  },
});
`);
    const s = await ui(dir);
    const page = await signedIn(s);
    await page.goto(`${s.base}/checkpoints/2`);
    expect(await page.locator("main tr.changed").count()).toBe(1000);
    expect(await page.locator("main caption").first().innerText()).toBe("1,200 paths changed; the first 1,000 are shown");
    expect(await page.locator("main").innerText()).toContain("200 more paths changed; connector state diff 1 2 prints them all.");
    const all = await cli(["state", "diff", "1", "2"], { cwd: dir });
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout).toContain("k1199");
  });

  it("a missing project or a port in use is an error with exit 2", async () => {
    const empty = tempDir();
    const none = await cli(["ui", "--no-open", "--port", "0"], { cwd: empty });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain("No connector in");
    const dir = await debugged();
    const s = await ui(dir);
    const busy = await cli(["ui", "--no-open", "--port", String(s.port)], { cwd: dir });
    expect(busy.exitCode).toBe(2);
    expect(busy.stderr).toContain(`Port ${s.port} on 127.0.0.1 is in use`);
    const wide = await startUi(dir, ["--host", "0.0.0.0"]);
    servers.push(wide);
    expect(wide.stderr()).toContain("Serving on 0.0.0.0, not 127.0.0.1");
  });
});
