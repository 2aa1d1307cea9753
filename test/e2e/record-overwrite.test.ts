import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cli, makeProject, readState, stripVT } from "../helpers.js";

// `connector debug --record` never replaces a cassette silently (issue 20, item 17): with saved
// state, an incremental one-request recording replaced a three-request historical one.

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** Pages of ids after ?after=, two per page; counts the requests it served. */
async function api(): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    const after = Number(new URL(req.url ?? "/", "http://x").searchParams.get("after"));
    const ids = [1, 2, 3, 4, 5].filter((id) => id > after).slice(0, 2);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ids, more: ids.length > 0 && ids.at(-1)! < 5 }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

const CONNECTOR = `import { op } from "connector-sdk";
export default {
  async update(configuration, state) {
    let after = state.after ?? 0;
    for (;;) {
      const page = await (await fetch(configuration.base_url + "/ids?after=" + after)).json();
      for (const id of page.ids) op.upsert("items", { id });
      after = page.ids.at(-1) ?? after;
      op.checkpoint({ after });
      if (!page.more) break;
    }
  },
};
`;

/** A project recorded once from {}: a historical cassette of three requests. */
async function recorded() {
  const server = await api();
  const dir = makeProject({ "connector.ts": CONNECTOR, "configuration.json": JSON.stringify({ base_url: server.url }) });
  const first = await cli(["debug", "--record"], { cwd: dir });
  expect(first.exitCode, first.stderr).toBe(0);
  const cassette = path.join(dir, "fixtures/default/cassette.json");
  const before = fs.readFileSync(cassette, "utf8");
  expect(requests(before)).toBe(4); // 3 pages, and the incremental re-run's one request
  return { dir, server, cassette, before };
}

const requests = (text: string): number => (JSON.parse(text) as { interactions: unknown[] }).interactions.length;

/** `connector <args>` on a pseudo-terminal (util-linux script), typing `keys`. */
async function onTerminal(dir: string, args: string, keys: string) {
  const r = await execa("script", ["-qec", `node ${BIN} ${args}`, "/dev/null"], { cwd: dir, input: keys, reject: false, env: { NO_COLOR: "1" }, timeout: 60_000 });
  return { exitCode: r.exitCode, output: stripVT(String(r.stdout)).replace(/\r\n/g, "\n") };
}

describe("debug --record over an existing cassette", () => {
  it("without a terminal: refuses with exit 2, names --yes, and neither syncs nor touches the cassette", async () => {
    const { dir, server, cassette, before } = await recorded();
    const hits = server.hits();
    const state = readState(dir);
    const r = await cli(["debug", "--record"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/fixtures\/default\/ already holds a cassette of 4 requests, recorded \d{4}-\d\d-\d\dT[\d:.]+Z, which --record would replace\. Pass --yes to replace it, or record under another name: `connector debug --record <another-name>`\./);
    expect(fs.readFileSync(cassette, "utf8")).toBe(before);
    expect(server.hits()).toBe(hits);
    expect(readState(dir)).toEqual(state);
  });

  it("--yes (or --force) replaces it: here with the incremental recording from the saved state", async () => {
    for (const flag of ["--yes", "--force"]) {
      const { dir, cassette, before } = await recorded();
      const r = await cli(["debug", "--record", flag], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      const after = fs.readFileSync(cassette, "utf8");
      expect(after).not.toBe(before);
      expect(requests(after)).toBe(1);
    }
  });

  it("another name records beside it without asking", async () => {
    const { dir, cassette, before } = await recorded();
    const r = await cli(["debug", "--record", "nightly"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, "fixtures/nightly/cassette.json"))).toBe(true);
    expect(fs.readFileSync(cassette, "utf8")).toBe(before);
  });

  it("on a terminal: asks (y/N); Enter or n keeps the cassette and syncs nothing, y records over it", async () => {
    const { dir, server, cassette, before } = await recorded();
    for (const keys of ["\n", "n\n"]) {
      const hits = server.hits();
      const no = await onTerminal(dir, "debug --record", keys);
      expect(no.output).toMatch(/fixtures\/default\/ already holds a cassette of 4 requests, recorded [^\n]*\. Record over it\? \(y\/N\)/);
      expect(no.output).toContain("Recording cancelled; fixtures/default/ is unchanged.");
      expect(no.exitCode).toBe(0);
      expect(fs.readFileSync(cassette, "utf8")).toBe(before);
      expect(server.hits()).toBe(hits);
    }
    const yes = await onTerminal(dir, "debug --record", "y\n");
    expect(yes.output).toContain("Record over it? (y/N)");
    expect(yes.exitCode, yes.output).toBe(0);
    expect(requests(fs.readFileSync(cassette, "utf8"))).toBe(1);
  });
});
