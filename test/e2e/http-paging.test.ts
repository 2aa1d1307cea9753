import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, query, startCli, waitFor } from "../helpers.js";
import { closedAfterEach, type Reply, rows, scriptedApi, type ScriptedApi, type Seen } from "../http-api.js";

/** connector-sdk/http paging (issue 22): the five paginators, detection, bad items paths, and resuming after SIGKILL. */

const apis = closedAfterEach();

const SOURCE = rows(21);
const SIZE = 3; // 7 pages
const pageOf = (i: number) => SOURCE.slice(i * SIZE, (i + 1) * SIZE);

/** Each style of API, serving SOURCE 3 items a page (7 pages), and the paginator option that reads it. */
const STYLES: Record<string, { paginator: string; serve: (r: Seen, base: string) => Reply }> = {
  "next-url": {
    paginator: `{ type: "next-url", path: "links.next" }`,
    serve: (r, base) => {
      const i = Number(r.query.p ?? 0);
      return { body: { data: pageOf(i), links: { next: i < 6 ? `${base}/items?p=${i + 1}` : null } } };
    },
  },
  "link-header": {
    paginator: `{ type: "link-header" }`,
    serve: (r) => {
      const i = Number(r.query.p ?? 0);
      return { body: { data: pageOf(i) }, headers: i < 6 ? { link: `</items?p=0>; rel="first", </items?p=${i + 1}>; rel="next"` } : undefined };
    },
  },
  cursor: {
    paginator: `{ type: "cursor", path: "meta.next_cursor", param: "cursor" }`,
    serve: (r) => {
      const i = r.query.cursor ? Number(Buffer.from(r.query.cursor, "base64").toString()) : 0;
      return { body: { data: pageOf(i), meta: { next_cursor: i < 6 ? Buffer.from(String(i + 1)).toString("base64") : null } } };
    },
  },
  offset: {
    paginator: `{ type: "offset", limit: ${SIZE}, totalPath: "total" }`,
    serve: (r) => ({ body: { data: SOURCE.slice(Number(r.query.offset), Number(r.query.offset) + Number(r.query.limit)), total: SOURCE.length } }),
  },
  page: {
    paginator: `{ type: "page", totalPagesPath: "pages" }`,
    serve: (r) => ({ body: { data: pageOf(Number(r.query.page) - 1), pages: 7 } }),
  },
};

function project(baseUrl: string, paginate: string): string {
  return makeProject({
    "connector.ts": `import { Connector, op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default new Connector({
  async update(configuration, state) {
    const api = new RestClient({ baseUrl: configuration.base_url });
    for await (const page of api.paginate("/items", ${paginate})) {
      for (const item of page.items) op.upsert("items", item);
      op.checkpoint({ page: page.resume });
    }
  },
});
`,
    "configuration.json": JSON.stringify({ base_url: baseUrl }),
  });
}

async function serve(serve: (r: Seen, base: string) => Reply): Promise<ScriptedApi> {
  let base = "";
  const a = await scriptedApi((r) => serve(r, base));
  base = a.url;
  apis.push(a);
  return a;
}

describe("paginate()", () => {
  for (const [name, style] of Object.entries(STYLES)) {
    it(`${name}: seven pages give every row once, in seven requests, and the last checkpoint's resume is null`, async () => {
      const a = await serve(style.serve);
      const dir = project(a.url, `{ items: "data", paginator: ${style.paginator}, resume: state.page }`);
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(a.log).toHaveLength(7);
      expect(r.stderr).toMatch(/Upserts\s+\| 21\n/);
      expect(query(dir, "SELECT id, name FROM items ORDER BY id")).toEqual(SOURCE);
      expect(JSON.parse(fs.readFileSync(path.join(dir, "files/state.json"), "utf8"))).toEqual({ page: null });
    });
  }

  it("detects a Link header and a next URL in the body when no paginator is given, and takes one page when it finds neither", async () => {
    for (const style of ["link-header", "next-url"]) {
      const a = await serve(STYLES[style]!.serve);
      const dir = project(a.url, `{ resume: state.page }`);
      const r = await cli(["debug", "--verbose"], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(a.log).toHaveLength(7);
      expect(query(dir, "SELECT count(*) AS n FROM items")).toEqual([{ n: 21 }]);
      expect(r.stderr).toMatch(style === "link-header" ? /by its Link header/ : /by the next URL in links\.next/);
    }
    const a = await serve(() => ({ body: { results: SOURCE.slice(0, 3) } }));
    const dir = project(a.url, `{}`);
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(a.log).toHaveLength(1);
    expect(r.stderr).toMatch(/Paging not detected for http:\/\/127\.0\.0\.1:\d+\/items \(no Link header and no next URL in the body\): took one page/);
  });

  it("fails naming the path and the keys the body has when the items path is missing, and naming the content type when the body is not JSON", async () => {
    const a = await serve((r) => (r.query.html ? { body: "<html>oops</html>", headers: { "content-type": "text/html" } } : { body: { result: { users: [] }, count: 0 } }));
    let r = await cli(["debug"], { cwd: project(a.url, `{ items: "result.data" }`) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/The items path "result\.data" is missing in the body of http:\/\/127\.0\.0\.1:\d+\/items; result has the keys: users\. Set items to the dotted path of the list\./);
    r = await cli(["debug"], { cwd: project(a.url, `{ query: { html: 1 } }`) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/The body of GET http:\/\/127\.0\.0\.1:\d+\/items\?html=1 is not JSON \(content type: text\/html\): "<html>oops<\/html>"/);
  });

  it("fails when the client is made with an unknown paginator or auth type, or no tokenUrl, listing the valid ones", async () => {
    const a = await serve(() => ({ body: [] }));
    let r = await cli(["debug"], { cwd: project(a.url, `{ paginator: { type: "scroll" } as never }`) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/RestClient option paginator\.type: "scroll" is not a paginator type\. Valid types: next-url, link-header, cursor, offset, page\./);
    const dir = project(a.url, `{}`);
    for (const [auth, message] of [
      [`{ type: "digest" }`, /RestClient option auth\.type: "digest" is not an auth type\. Valid types: bearer, api-key, basic, oauth2-client-credentials, oauth2-refresh-token\./],
      [`{ type: "oauth2-refresh-token", clientId: "c", refreshToken: "r" }`, /RestClient option auth\.tokenUrl is missing: an auth of type "oauth2-refresh-token" needs tokenUrl, clientId, refreshToken\./],
    ] as const) {
      fs.writeFileSync(path.join(dir, "connector.ts"), fs.readFileSync(path.join(dir, "connector.ts"), "utf8").replace(/baseUrl: configuration\.base_url(, auth: .*?)? \}\);/, `baseUrl: configuration.base_url, auth: ${auth} as never });`));
      r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(a.log).toHaveLength(0);
    }
  });
});

describe("resume", () => {
  it("after SIGKILL in the middle of paging, the next run starts at the page after the last checkpoint and ends with exactly the source's rows", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const a = await serve((r, base) => {
      const reply = STYLES.cursor!.serve(r, base);
      return r.query.cursor === Buffer.from("4").toString("base64") && r.n < 8 ? { ...reply, hold: held } : reply;
    });
    const dir = project(a.url, `{ items: "data", paginator: ${STYLES.cursor!.paginator}, resume: state.page }`);
    const first = startCli(dir, ["debug"]);
    try {
      // The fifth page is asked for: four pages are checkpointed, and the process is killed mid-request.
      await waitFor(() => a.log.length === 5);
      await waitFor(() => fs.existsSync(path.join(dir, "files/state.json")) && JSON.parse(fs.readFileSync(path.join(dir, "files/state.json"), "utf8")).page?.cursor === Buffer.from("4").toString("base64"));
      first.child.kill("SIGKILL");
      await first.exited;
    } finally {
      release();
    }
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    // The resumed run's first request is the fifth page, not the first.
    expect(a.log.slice(5).map((s) => s.query.cursor ?? "(first page)")).toEqual(["4", "5", "6"].map((n) => Buffer.from(n).toString("base64")));
    expect(query(dir, "SELECT id, name FROM items ORDER BY id")).toEqual(SOURCE);
  });
});

describe("the rest-api template", () => {
  it("passes connector verify with 20 random crash points", async () => {
    const dir = path.join(makeProject({}), "rest");
    expect((await cli(["init", dir, "--template", "rest-api"], { cwd: path.dirname(dir) })).exitCode).toBe(0);
    const r = await cli(["verify", "--trials", "20"], { cwd: dir });
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/interrupted\s+PASS\s+20 syncs aborted at random operations resumed to the baseline/);
    expect(r.stdout + r.stderr).toContain("VERIFY PASSED");
  });
});
