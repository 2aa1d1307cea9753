import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { op } from "../../src/index.js";
import { runSync } from "../../src/testing.js";
import { cli, makeProject, query, readState } from "../helpers.js";
import { tableRows } from "../destinations.js";

const debug = (dir: string, ...args: string[]) => cli(["debug", ...args], { cwd: dir });

interface Report {
  status: string;
  error?: string;
  previousState: unknown;
  state: unknown;
  warnings: string[];
  counts: { upserts: number };
}
const report = (stdout: string): Report => JSON.parse(stdout) as Report;

/** A port on this machine that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("a forgotten await", () => {
  const connector = `import { op } from "connector-sdk";
async function syncUsers(state: any) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  op.upsert("users", { id: 1 });
  op.checkpoint({ cursor: 1 });
}
export default {
  update(configuration: any, state: any) {
    syncUsers(state);
  },
};
`;
  const warning = "update() finished without a single operation or checkpoint. If it calls an async function, await it (`await syncUsers(state)`, not `syncUsers(state)`)";

  it("still succeeds with no rows, but says that update() emitted nothing and names the missing await, in text and --json", async () => {
    const dir = makeProject({ "connector.ts": connector });
    const r = await debug(dir);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Warning: ${warning}`);
    expect(r.stderr).toContain("Sync SUCCEEDED");
    expect(query(dir, "SELECT name FROM sqlite_master WHERE name = 'users'")).toEqual([]);
    const json = await debug(dir, "--json");
    expect(json.exitCode).toBe(0);
    expect(report(json.stdout).warnings.join("\n")).toContain(warning);
  });

  it("does not warn when update() emitted anything", async () => {
    const dir = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { async update() { await Promise.resolve(); op.checkpoint({ n: 1 }); } };\n` });
    const r = await debug(dir, "--json");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(report(r.stdout).warnings).toEqual([]);
  });

  const lateWarning =
    "update() returned without waiting for work it started (a timer, a request, a file read) that is still under way, so what that work emits later is lost. If it calls an async function, await it: `async update(configuration, state) { await syncUsers(state); }`, not `syncUsers(state)`.";

  it("warns too when the forgotten function emitted an operation before its first await (update() returned no promise)", async () => {
    const dir = makeProject({
      "connector.mjs": `import { Connector, op } from "connector-sdk";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function syncUsers() { for (let p = 1; p <= 3; p++) { op.upsert("u", { id: p }); await sleep(20); op.checkpoint({ page: p }); } }
export default new Connector({ update(c, s) { syncUsers(s); } });
`,
    });
    const r = await debug(dir);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Warning: ${lateWarning}`);
    expect(query(dir, "SELECT id FROM u")).toEqual([{ id: 1 }]);
    const json = await debug(dir, "--json");
    expect(report(json.stdout).warnings).toContain(lateWarning);
  });

  it("does not warn on an async update() that leaves a keep-alive socket open, nor on a generator or a synchronous update()", async () => {
    const http = await import("node:http");
    const server = http.createServer((_req, res) => res.end(JSON.stringify([{ id: 1 }, { id: 2 }])));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
      const connectors = [
        `export default { async update() { const rows = await (await fetch(${JSON.stringify(url)})).json(); for (const r of rows) op.upsert("u", r); op.checkpoint({ n: rows.length }); } };`,
        `export default { *update() { yield op.upsert("u", { id: 1 }); yield op.checkpoint({ n: 1 }); } };`,
        `export default { update() { op.upsert("u", { id: 1 }); op.checkpoint({ n: 1 }); } };`,
      ];
      for (const body of connectors) {
        const dir = makeProject({ "connector.mjs": `import { op } from "connector-sdk";
${body}
` });
        const r = await debug(dir, "--json");
        expect(r.exitCode, r.stderr).toBe(0);
        expect(report(r.stdout).warnings, body).toEqual([]);
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("an async update() that emitted nothing is quiet when it awaited its requests, and warned about when it forgot an await", async () => {
    const http = await import("node:http");
    const server = http.createServer((_req, res) => res.end("[]"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = JSON.stringify(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`);
      const later = `async function syncUsers() { await new Promise((r) => setTimeout(r, 50)); op.checkpoint({ n: 1 }); }`;
      const cases: [string, string[]][] = [
        // A source with nothing new: the request was awaited, and its keep-alive socket stays open.
        [`export default { async update() { const rows = await (await fetch(${url})).json(); for (const r of rows) op.upsert("u", r); } };`, []],
        [`${later}\nexport default { async update() { syncUsers(); } };`, [warning]],
        [`${later}\nexport default { async update() { await (await fetch(${url})).json(); syncUsers(); } };`, [warning]],
      ];
      for (const [body, expected] of cases) {
        const dir = makeProject({ "connector.mjs": `import { op } from "connector-sdk";\n${body}\n` });
        const r = await debug(dir, "--json");
        expect(r.exitCode, r.stderr).toBe(0);
        const warnings = report(r.stdout).warnings;
        expect(warnings.map((w) => (w.startsWith(warning) ? warning : w)), body).toEqual(expected);
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("ends the same way every time, whenever the work it did not await comes back: 15 runs with page delays spread from 0 to 43 ms, on SQLite and DuckDB", async () => {
    // Page 1's first row comes before the first await; everything after an await comes once update() has returned,
    // and then fails: its operations are refused, and page 2 throws.
    const files = {
      "connector.ts": `import { op, log } from "connector-sdk";
const delay = Number(process.env.PAGE_DELAY_MS);
async function syncUsers(state: any) {
  op.upsert("users", { id: 0 });
  for (let page = 1; page <= 3; page++) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    log.info(\`page \${page} fetched\`);
    console.log(\`page \${page} done\`);
    try {
      op.upsert("users", { id: page });
      op.checkpoint({ page });
    } catch {
      // A connector that carries on past a refused operation, to fail later on its own.
    }
    if (page === 2) throw new TypeError("page 2 has no items");
  }
}
export default { update(configuration: any, state: any) { syncUsers(state); } };
`,
    };
    // What varies from run to run by design: durations, memory, times of day.
    const steady = (text: string): string =>
      text
        .replace(/ in \d+(\.\d+)? m?s/g, " in <t>")
        .replace(/^Peak memory: .*$/m, "Peak memory: <m>")
        .replace(/\d\d:\d\d:\d\d\.\d{3}/g, "<time>");
    for (const kind of ["sqlite", "duckdb"] as const) {
      const outcomes = new Set<string>();
      const runs = kind === "duckdb" ? 10 : 5;
      for (let i = 0; i < runs; i++) {
        const dir = makeProject(files);
        const r = await cli(["debug", "--destination", kind], { cwd: dir, env: { PAGE_DELAY_MS: String(Math.round((i * 42) / (runs - 1)) + (kind === "sqlite" ? 1 : 0)) } });
        const rows = await tableRows(dir, kind, "users", ["_fivetran_synced", "_connector_generation"]);
        outcomes.add(JSON.stringify({ exit: r.exitCode, stdout: steady(r.stdout), stderr: steady(r.stderr.replaceAll(dir, "<dir>")), rows, state: fs.existsSync(path.join(dir, "files", "state.json")) ? readState(dir) : "none" }, null, 1));
      }
      expect([...outcomes], `${kind}: every run must end alike`).toHaveLength(1);
      const only = JSON.parse([...outcomes][0]!) as { exit: number; stderr: string; rows: { id: number }[]; state: unknown };
      expect(only.exit, only.stderr).toBe(0);
      expect(only.stderr).toContain(`Warning: ${lateWarning}`);
      expect(only.stderr).not.toContain("page 1");
      expect(only.stderr).not.toContain("page 2 has no items");
      expect(only.rows.map((row) => row.id)).toEqual([0]);
      expect(only.state, "no checkpoint was committed").toBe("none");
    }
  }, 120_000);

  it("connector verify: an operation of one sync's unawaited work, arriving while the next sync runs, fails neither", async () => {
    // The work each sync leaves waits until the next sync has started, then emits while it runs: an order the timers
    // fix (2 ms before 20 ms), with no race to win.
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
const g = globalThis as { syncs?: number };
async function lateRow(sync: number) {
  while ((g.syncs ?? 0) === sync) await new Promise((resolve) => setTimeout(resolve, 2));
  op.upsert("users", { id: 99 });
}
export default {
  async update() {
    g.syncs = (g.syncs ?? 0) + 1;
    const sync = g.syncs;
    // A turn of the event loop, which the previous sync's work (polling every 2 ms) takes first.
    await new Promise((resolve) => setTimeout(resolve, 20));
    op.upsert("users", { id: 1 });
    op.checkpoint({ done: true });
    void lateRow(sync);
  },
};
`,
    });
    const r = await cli(["verify", "--seed", "3", "--json"], { cwd: dir });
    const out = JSON.parse(r.stdout) as { passed: boolean; checks: { check: string; status: string; detail: string }[] };
    expect(out.checks.filter((c) => c.status === "fail"), r.stdout).toEqual([]);
    expect(out.passed).toBe(true);
    expect(r.exitCode).toBe(0);
  });

  it("under runSync, an operation that arrives after update() finished throws an error that names the missing await", async () => {
    let orphan: Promise<void> | undefined;
    const result = await runSync({
      update() {
        orphan = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          op.upsert("users", { id: 1 });
        })();
      },
    });
    expect(result.warnings.join("\n")).toContain(warning);
    expect(result.tables()).toEqual([]);
    await expect(orphan).rejects.toThrow(/op\.upsert\(\) was called outside a sync: update\(\) had already finished, so this operation is lost\. .*without await \(`syncUsers\(state\)` instead of `await syncUsers\(state\)`\)/);
    result.close();
  });
});

describe("update() that changes the state object it received", () => {
  it("reports the state the sync started from, and lints against it", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  update(configuration: any, state: any) {
    state.cursor = "2024-01-01T00:00:00Z";
    op.checkpoint({ ...state });
    delete state.legacy;
    op.checkpoint({ ...state });
  },
};
`,
      "files/state.json": JSON.stringify({ cursor: "2024-05-01T00:00:00Z", legacy: 1 }),
    });
    const r = await debug(dir, "--json");
    expect(r.exitCode, r.stderr).toBe(0);
    const rep = report(r.stdout);
    expect(rep.previousState).toEqual({ cursor: "2024-05-01T00:00:00Z", legacy: 1 });
    expect(rep.state).toEqual({ cursor: "2024-01-01T00:00:00Z" });
    const warnings = rep.warnings.join("\n");
    expect(warnings).toContain('checkpoint 2 dropped the state key "legacy"');
    expect(warnings).toContain('the cursor cursor moved backwards at checkpoint 1: "2024-05-01T00:00:00Z" → "2024-01-01T00:00:00Z"');
  });
});

describe("a CommonJS connector", () => {
  it("loads module.exports = new Connector(...) from connector.js", async () => {
    const dir = makeProject({
      "connector.js": `const { Connector, op } = require("connector-sdk");\nmodule.exports = new Connector({ update() { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); } });\n`,
    });
    const r = await debug(dir);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(query(dir, "SELECT id FROM t")).toEqual([{ id: 1 }]);
  });

  it("loads module.exports = { update } from connector.ts", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";\nmodule.exports = { update() { op.upsert("t", { id: 2 }); op.checkpoint({ n: 1 }); } };\n`,
    });
    const r = await debug(dir);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(query(dir, "SELECT id FROM t")).toEqual([{ id: 2 }]);
  });

  it("says what to change when module.exports holds no connector", async () => {
    const dir = makeProject({ "connector.js": `const { op } = require("connector-sdk");\nmodule.exports = { sync() { op.checkpoint({}); } };\n` });
    const r = await debug(dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("connector.js does not export a connector: its module.exports holds sync (a function). Set `module.exports = new Connector({ update })`");
  });
});

describe("a thrown value that is not an Error", () => {
  it("shows its JSON in text and --json, not [object Object]", async () => {
    const dir = makeProject({ "connector.ts": `export default { update() { throw { code: 42, reason: "quota" }; } };\n` });
    const r = await debug(dir);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Sync FAILED: the connector threw a non-Error value: {"code":42,"reason":"quota"}');
    const json = await debug(dir, "--json");
    // Its first line; under it, as under an Error's, the place it was thrown.
    expect(report(json.stdout).error!.split("\n")[0]).toBe('the connector threw a non-Error value: {"code":42,"reason":"quota"}');
  });

  it("cuts a long value to 200 characters", async () => {
    const dir = makeProject({ "connector.ts": `export default { update() { throw { detail: "x".repeat(500) }; } };\n` });
    const r = await debug(dir, "--json");
    const error = report(r.stdout).error!.split("\n")[0]!;
    const value = error.slice("the connector threw a non-Error value: ".length);
    expect(value).toHaveLength(200);
    expect(value.startsWith('{"detail":"xxx')).toBe(true);
    expect(value.endsWith("x…")).toBe(true);
  });

  it("shows it for a rejection nobody awaited and for a throw in a timer", async () => {
    const rejected = makeProject({ "connector.ts": `export default { update() { Promise.reject({ code: 7 }); return new Promise((r) => setTimeout(r, 5000)); } };\n` });
    const r1 = await debug(rejected);
    expect(r1.exitCode).toBe(1);
    expect(r1.stderr).toContain('Sync FAILED: a promise the connector did not await was rejected with a non-Error value: {"code":7}');
    expect(r1.stderr).not.toContain("node:events");
    const timer = makeProject({ "connector.ts": `export default { update() { setTimeout(() => { throw ["a", 1]; }, 1); return new Promise((r) => setTimeout(r, 5000)); } };\n` });
    const r2 = await debug(timer);
    expect(r2.exitCode).toBe(1);
    expect(r2.stderr).toContain('Sync FAILED: the connector threw a non-Error value outside update(): ["a",1]');
  });

  it("shows it when the connector's top-level code throws one", async () => {
    const dir = makeProject({ "connector.ts": `throw { code: 42 };\nexport default { update() {} };\n` });
    const r = await debug(dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('its top-level code threw a non-Error value: {"code":42}');
  });
});

describe("an error's cause", () => {
  it("prints fetch failed with the connection error under it, in text and --json", async () => {
    const port = await closedPort();
    const dir = makeProject({
      "connector.ts": `export default { async update(configuration: any) { await fetch(\`http://127.0.0.1:\${configuration.port}/users\`); } };\n`,
      "configuration.json": JSON.stringify({ port: String(port) }),
    });
    const r = await debug(dir);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`Sync FAILED: fetch failed\\n(    at .*connector\\.ts:\\d+:\\d+\\)?\\n)*  Caused by: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
    expect(r.stderr).not.toContain("node:net");
    const json = await debug(dir, "--json");
    expect(report(json.stdout).error).toContain(`fetch failed`);
    expect(report(json.stdout).error).toContain(`Caused by: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it("prints every cause of a chain with the connector's own frames, and non-Error causes as JSON", async () => {
    const dir = makeProject({
      "connector.ts": `function parse() {
  throw new Error("row 7 has no id", { cause: { row: 7 } });
}
export default {
  update() {
    try {
      parse();
    } catch (e) {
      throw new Error("sync users failed", { cause: e });
    }
  },
};
`,
    });
    const r = await debug(dir);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Sync FAILED: sync users failed\n {4}at .*connector\.ts:9:\d+\)\n {2}Caused by: row 7 has no id\n {6}at parse .*connector\.ts:2:\d+\)\n.*\n {2}Caused by: \{"row":7\}/);
  });
});

describe("an import of a name connector-sdk does not export", () => {
  it("is refused when the connector loads, in the file that has it, with what to write instead; a valid port still runs", async () => {
    const dir = makeProject({
      "connector.ts": `import { Connector, type TableDefinition } from "connector-sdk";
import { syncUsers } from "./lib/users.js";
const tables: TableDefinition[] = [{ table: "users", primary_key: ["id"] }];
export default new Connector({ schema: () => tables, update: (c, s) => syncUsers(s) });
`,
      "lib/users.ts": `// Ported from Python: import * as sdk from "connector-sdk" is fine; what follows is not.
import * as sdk from "connector-sdk";
import connectorSdk from "connector-sdk";
const { Logging } = require("connector-sdk");
import { OP, conector } from "connector-sdk";

export async function syncUsers(state: any) {
  sdk.Operations.upsert("users", { id: 1 });
  sdk.op.checkpoint(state);
  Logging.info(String(connectorSdk) + OP + conector);
}
`,
    });
    const r = await debug(dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`Cannot load ${path.join(dir, "connector.ts")}: it imports names that connector-sdk does not export.`);
    expect(r.stderr).toContain(`lib/users.ts:3: import connectorSdk from "connector-sdk"\n  "connector-sdk" has no default export: take its names, or all of them as a namespace\n  Write instead: import * as connectorSdk from "connector-sdk";`);
    expect(r.stderr).toContain(`lib/users.ts:4: const { Logging } = require("connector-sdk")\n  "connector-sdk" has no export "Logging": Fivetran's Python SDK calls log Logging\n  Write instead: const { log: Logging } = require("connector-sdk");`);
    expect(r.stderr).toContain(`lib/users.ts:5: import { OP, conector } from "connector-sdk"\n  "connector-sdk" has no export "OP": it is spelled op\n  "connector-sdk" has no export "conector": did you mean Connector?\n  Write instead: import { op as OP, Connector as conector } from "connector-sdk";`);
    expect(r.stderr).toContain(`lib/users.ts:8: sdk.Operations\n  "connector-sdk" has no export "Operations": Fivetran's Python SDK calls op Operations\n  Write instead: sdk.op`);
    expect(r.stderr).not.toContain("sdk.op\n  \"connector-sdk\" has no export \"op\"");
    expect(r.stderr).not.toContain("Cannot read properties of undefined");

    // The same port with the names fixed as told runs.
    fs.writeFileSync(
      path.join(dir, "lib/users.ts"),
      `import * as sdk from "connector-sdk";
const { log: Logging } = require("connector-sdk");
export async function syncUsers(state: any) {
  sdk.op.upsert("users", { id: 1 });
  sdk.op.checkpoint(state);
  Logging.info("done");
}
`,
    );
    const fixed = await debug(dir);
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    expect(query(dir, "SELECT id FROM users")).toEqual([{ id: 1 }]);
  });

  it("names a connector-sdk/testing name that does not exist, and leaves other packages alone", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
import { run_sync } from "connector-sdk/testing";
import { something } from "zod";
export default { update() { void run_sync; void something; op.checkpoint({}); } };
`,
    });
    const r = await debug(dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`connector.ts:2: import { run_sync } from "connector-sdk/testing"\n  "connector-sdk/testing" has no export "run_sync": did you mean runSync?`);
    expect(r.stderr).not.toContain("zod");
  });
});

describe("a failed import", () => {
  it("points at the import's own line and says how to install the package", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";

// The HTTP client:
import axios from "axios";

export default { async update() { await axios.get("/"); op.checkpoint({}); } };
`,
    });
    const r = await debug(dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("Cannot find module 'axios'");
    expect(r.stderr).toMatch(/at .*connector\.ts:4:\d+/);
    expect(r.stderr).not.toMatch(/connector\.ts:[1235]:/);
    expect(r.stderr).toContain(`Install it in ${dir}: npm install axios`);
  });

  it("names the installed package that needed the missing one", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";\n\nimport { client } from "api-client";\nexport default { update() { client(); op.checkpoint({}); } };\n`,
      "node_modules/api-client/package.json": JSON.stringify({ name: "api-client", main: "index.js" }),
      "node_modules/api-client/index.js": `const axios = require("axios");\nexports.client = () => axios;\n`,
    });
    const r = await debug(dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("Cannot find module 'axios'");
    expect(r.stderr).toMatch(/at .*connector\.ts:3:\d+/);
    expect(r.stderr).toContain("imported by node_modules/api-client/index.js");
  });
});

describe("small things a user reads", () => {
  it("articles and plurals: an array, an Error instance, 1 operation, its one operation, 1 sync", async () => {
    const config = makeProject({ "connector.ts": `export default { update() {} };\n`, "configuration.json": '{"api_token": ["a", "b"], "other": {}}' });
    const c = await debug(config);
    expect(c.exitCode).toBe(2);
    expect(c.stderr).toContain("api_token: must be a string, found an array");
    expect(c.stderr).toContain("other: must be a string, found an object");

    const error = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("t", { id: 1, e: new Error("x") }); } };\n` });
    expect((await debug(error)).stderr).toContain('table "t", column "e": the value is an Error instance, which has no faithful form in the warehouse');

    const one = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update(c: any, s: any) { op.upsert("t", { id: (s.n ?? 0) + 1 }); op.checkpoint({ n: (s.n ?? 0) + 1 }); } };\n` });
    expect((await debug(one)).exitCode).toBe(0);
    expect((await debug(one)).exitCode).toBe(0);
    const rewind = await cli(["state", "rewind", "1"], { cwd: one });
    expect(rewind.stderr).toContain("replays what checkpoints 2 to 2 committed (1 operation): t: 1 upsert.");

    const never = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("t", { id: 1 }); } };\n` });
    const verify = await cli(["verify", "--trials", "1", "--seed", "3"], { cwd: never });
    expect(verify.stderr).toContain("an interrupted sync starts over from the beginning (its one operation)");
    expect(verify.stderr).toContain("1 sync aborted at random operations resumed to the baseline (seed 3)");
  });

  it("verify --seed beyond the 32 bits the generator takes is refused, not echoed rounded", async () => {
    const dir = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.checkpoint({}); } };\n` });
    for (const seed of ["99999999999999999999", "4294967296"]) {
      const r = await cli(["verify", "--seed", seed], { cwd: dir });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`--seed takes a whole number from 0 to 4294967295, got "${seed}"`);
      expect(r.stderr).not.toContain("100000000000000000000");
    }
    const max = await cli(["verify", "--seed", "4294967295", "--trials", "1"], { cwd: dir });
    expect(max.exitCode, max.stderr).toBe(0);
    expect(max.stderr).toContain("VERIFY PASSED (seed 4294967295)");
  });
});
