import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, query, startCli, waitFor } from "../helpers.js";
import { closedAfterEach, newToken as token, rotatingOAuthApi, rows } from "../http-api.js";
import { freshSchema, usePostgres } from "../support/use-postgres.js";

const pg = usePostgres("http_oauth");

/**
 * OAuth2 with a token endpoint that rotates the refresh token on every call and refuses an old
 * one (issue 22): runs in a row succeed, a SIGKILL between a rotation and the next checkpoint
 * does not lock the connector out, and no token appears in any output or file outside the destination.
 */

const apis = closedAfterEach();

/** The rotating API, closed after the test. */
async function rotatingApi(firstRefresh: string) {
  const r = await rotatingOAuthApi(firstRefresh);
  apis.push(r.api);
  return r;
}

const CONNECTOR = `import { Connector, op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default new Connector({
  async update(configuration, state) {
    const api = new RestClient({
      baseUrl: configuration.base_url,
      auth: { type: "oauth2-refresh-token", tokenUrl: configuration.token_url, clientId: configuration.client_id, clientSecret: configuration.client_secret, refreshToken: configuration.refresh_token },
    });
    for await (const page of api.paginate("/items", { items: "data", paginator: { type: "page", totalPagesPath: "pages" }, resume: state.page })) {
      for (const item of page.items) op.upsert("items", item);
      op.checkpoint({ page: page.resume });
    }
  },
});
`;

/** Every file the CLI wrote in the project, but the warehouse (the destination), as text. */
function filesOutsideDestination(dir: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!/warehouse\.db(-wal|-shm)?$/.test(e.name)) out.push(`${path.relative(dir, p)}:\n${fs.readFileSync(p, "utf8")}`);
    }
  };
  walk(dir);
  return out.join("\n");
}

describe("oauth2-refresh-token with rotation", () => {
  it("survives rotation over runs, a SIGKILL after a rotation, a lost side store, and starts over with a new configured token; no token leaks", async () => {
    const first = token("rt");
    const { api, issued, state } = await rotatingApi(first);
    const dir = makeProject({ "connector.ts": CONNECTOR });
    const configure = (refresh: string): void =>
      fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ base_url: api.url, token_url: `${api.url}/token`, client_id: "client-1", client_secret: "s3cret-client", refresh_token: refresh }));
    configure(first);
    let printed = "";
    const run = async (args: string[] = ["debug"]) => {
      const r = await cli(args, { cwd: dir });
      printed += r.stdout + r.stderr;
      return r;
    };

    // Three runs in a row: each rotates the refresh token, and the next uses the rotated one.
    for (let i = 0; i < 3; i++) {
      const r = await run(i === 1 ? ["debug", "--json"] : ["debug"]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    expect(state.refused).toBe(0);
    expect(api.log.filter((s) => s.path === "/token")).toHaveLength(3);
    // Committed with the checkpoint, sealed.
    const stored = query<{ key: string; value: string }>(dir, "SELECT key, value FROM _connector_secrets");
    expect(stored).toHaveLength(1);

    // Killed after a rotation, before the first checkpoint could commit it: only the side store has the new token.
    let release!: () => void;
    state.hold = new Promise<void>((resolve) => (release = resolve));
    fs.rmSync(path.join(dir, "files/state.json"));
    const killed = startCli(dir, ["debug"]);
    try {
      await waitFor(() => api.log.some((s, i) => i > 0 && s.query.page === "1" && api.log.slice(0, i).filter((t) => t.path === "/token").length === 4));
      killed.child.kill("SIGKILL");
      await killed.exited;
    } finally {
      release();
      state.hold = undefined;
    }
    printed += killed.stdout() + killed.stderr();
    let r = await run();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(state.refused).toBe(0);

    // Another machine (no side store): the token committed in the destination is used.
    fs.rmSync(path.join(dir, "files/http-secrets.json"));
    r = await run();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(state.refused).toBe(0);

    // Starting over: the provider issues a new token, the user configures it, and it is used.
    const fresh = token("rt");
    state.refresh = fresh;
    issued.push(fresh);
    configure(fresh);
    r = await run();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(state.refused).toBe(0);

    r = await run(["state", "history"]);
    expect(r.exitCode, r.stderr).toBe(0);
    r = await run(["state", "show"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(query(dir, "SELECT id, name FROM items ORDER BY id")).toEqual(rows(9));

    const written = filesOutsideDestination(dir);
    expect(written).toContain("http-secrets.json");
    for (const secret of [...issued, "s3cret-client"]) {
      expect(printed.includes(secret), `${secret} printed`).toBe(false);
      // configuration.json holds the configured tokens: the user wrote them, not the CLI.
      if (secret !== first && secret !== fresh && secret !== "s3cret-client") expect(written.includes(secret), `${secret} in a file`).toBe(false);
    }
    expect(fs.readFileSync(path.join(dir, "files/warehouse.db")).includes(Buffer.from(issued.at(-2)!))).toBe(false);
  });
});

describe("two clients made with the same rotating refresh token (one per stream)", () => {
  it("each asks with the newest token, one after the other or at once: three runs succeed, none is refused", async () => {
    const first = token("rt");
    const { issued, state, api } = await rotatingApi(first);
    const twoClients = `import { Connector, op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default new Connector({
  async update(configuration) {
    const client = () => new RestClient({
      baseUrl: configuration.base_url,
      auth: { type: "oauth2-refresh-token", tokenUrl: configuration.token_url, clientId: configuration.client_id, clientSecret: configuration.client_secret, refreshToken: configuration.refresh_token },
    });
    const users = client();
    const orders = client();
    for (const [table, api] of [["users", users], ["orders", orders]] as const) {
      for await (const page of api.paginate("/items", { items: "data", paginator: { type: "page", totalPagesPath: "pages" } })) {
        for (const item of page.items) op.upsert(table, item);
        op.checkpoint({});
      }
    }
    // And both at once, each with a client made before any token was fetched.
    const [a, b] = [client(), client()];
    const [x, y] = await Promise.all([a.get("/items", { query: { page: 1 } }), b.get("/items", { query: { page: 2 } })]);
    op.checkpoint({ at_once: [x, y].length });
  },
});
`;
    const dir = makeProject({ "connector.ts": twoClients });
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ base_url: api.url, token_url: `${api.url}/token`, client_id: "client-1", client_secret: "s3cret-client", refresh_token: first }));
    let printed = "";
    for (let i = 0; i < 3; i++) {
      const r = await cli(["debug"], { cwd: dir });
      printed += r.stdout + r.stderr;
      expect(r.exitCode, r.stderr).toBe(0);
    }
    expect(state.refused).toBe(0);
    expect(query(dir, "SELECT id FROM orders ORDER BY id").map((r) => r.id)).toEqual(rows(9).map((r) => r.id));
    for (const secret of issued.slice(1)) expect(printed).not.toContain(secret);
  });
});

describe("the rotated refresh token committed with the checkpoint, on every destination", () => {
  for (const kind of ["duckdb", "postgres"] as const) {
    it(`${kind}: a run with no side store (another machine) takes the rotated token from the destination`, async () => {
      const first = token("rt");
      const { issued, state, api } = await rotatingApi(first);
      const dir = makeProject({ "connector.ts": CONNECTOR });
      fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ base_url: api.url, token_url: `${api.url}/token`, client_id: "client-1", client_secret: "s3cret-client", refresh_token: first }));
      const destination = kind === "duckdb" ? "duckdb:out/w.duckdb" : pg().url("postgres", freshSchema("oauth"));
      let printed = "";
      for (let i = 0; i < 3; i++) {
        const r = await cli(["run", "--destination", destination], { cwd: dir });
        printed += r.stdout + r.stderr;
        expect(r.exitCode, r.stderr).toBe(0);
        // Only the destination's copy is left for the next run.
        fs.rmSync(path.join(dir, "files/http-secrets.json"));
      }
      expect(state.refused).toBe(0);
      for (const secret of issued.slice(1)) expect(printed).not.toContain(secret);
    });
  }
});

describe("a rotation in a setup test (connector configuration --test)", () => {
  it("is kept sealed in the project, so the next sync uses the new token, not the one the provider no longer takes", async () => {
    const first = token("rt");
    const { issued, state, api } = await rotatingApi(first);
    const withTest = CONNECTOR.replace(
      "export default new Connector({",
      `export default new Connector({
  form: { tests: { "Reach the API": async (c) => { await new RestClient({ baseUrl: c.base_url, auth: { type: "oauth2-refresh-token", tokenUrl: c.token_url, clientId: c.client_id, clientSecret: c.client_secret, refreshToken: c.refresh_token } }).get("/items", { query: { page: "1" } }); } } },`,
    );
    const dir = makeProject({ "connector.ts": withTest });
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ base_url: api.url, token_url: `${api.url}/token`, client_id: "client-1", client_secret: "s3cret-client", refresh_token: first }));
    const test = await cli(["configuration", "--test"], { cwd: dir });
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stderr).toContain("PASS  Reach the API");
    const sync = await cli(["debug"], { cwd: dir });
    expect(sync.exitCode, sync.stderr).toBe(0);
    expect(state.refused).toBe(0);
    expect(api.log.filter((s) => s.path === "/token")).toHaveLength(2);
    for (const secret of issued.slice(1)) expect(test.stdout + test.stderr + sync.stdout + sync.stderr).not.toContain(secret);
  });
});
