import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it, onTestFinished } from "vitest";
import { Warehouse } from "../../dist/destinations/sqlite/warehouse.js";
import pg from "pg";
import { BIN, cli, hasChild, makeProject, query, readState, releaseFifo, ROOT, startCli, waitFor, type CliResult } from "../helpers.js";
import { usePostgres } from "../support/use-postgres.js";
import { scriptedApi, type Reply, type ScriptedApi, type Seen } from "../http-api.js";
// The built package, as the CLI runs it: one copy of the engine in this process, shared with priorSync and the writer threads.
import { loadConnector } from "../../dist/project/loader.js";
import { runSync, SyncError, type Naming } from "../../dist/testing.js";

/** The test server for the `run-*` rows, in a database of this file's own (t_errors): `__pg__` in their arguments is its host:port, `__pgpw__` its superuser's password. */
const server = usePostgres("errors");
const withServer = (text: string): string => text.replaceAll("__pg__", `${server().host}:${server().port}`).replaceAll("__pgpw__", server().password);

/** A connector that commits row 1 and state {n: 1} before it runs `body`: nothing committed may be lost. */
const after = (body: string, schema = `[{ table: "t", primary_key: ["id"] }]`) => ({
  "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => ${schema},
  update() {
    op.upsert("t", { id: 1 });
    op.checkpoint({ n: 1 });
    ${body}
  },
};
`,
});

const ok = { "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.checkpoint({ n: 1 }); } };\n` };
const badSchema = (schema: string) => ({ "connector.ts": `import { op } from "connector-sdk";\nexport default { schema: () => (${schema}), update() { op.checkpoint({ n: 1 }); } };\n` });

interface Case {
  id: string;
  files: Record<string, string>;
  args?: string[];
  env?: Record<string, string>;
  setup?: (dir: string) => void | Promise<void>;
  code: number;
  says: (string | RegExp)[];
  /** The committed state and rows that must survive: from `after()`. */
  keepsCheckpoint?: boolean;
  /** Ctrl-C, as SIGINT: each one sent once stderr contains its text (or, for "<cat is running>", once the connector's `cat` has started). */
  interrupts?: string[];
  /** Runs after the test, pass or fail. */
  cleanup?: (dir: string) => void;
}

/** Runs the command, sending SIGINT at each of `interrupts`; a process ended by SIGINT counts as exit 130, as a shell reports it. */
async function interrupted(args: string[], dir: string, interrupts: string[], env?: Record<string, string>): Promise<CliResult> {
  const run = startCli(dir, args, env);
  try {
    for (const text of interrupts) {
      const ready = text === "<cat is running>" ? () => hasChild(run.child.pid!, "cat") : () => run.stderr().includes(text);
      await waitFor(ready).catch(() => {
        throw new Error(`stderr never said ${JSON.stringify(text)}:\n${run.stderr()}`);
      });
      run.child.kill("SIGINT");
    }
    const code = await run.exited;
    return { exitCode: run.child.signalCode === "SIGINT" ? 130 : (code ?? -1), stdout: run.stdout(), stderr: run.stderr() };
  } finally {
    run.child.kill("SIGKILL");
  }
}

/**
 * A successful sync into `destination` before the case's own run, for errors that need what an earlier sync left
 * behind: in this process, as `connector debug` or `connector run` would sync (the connector loaded as the CLI loads
 * it, runSync() from dist/, whose writer threads load dist/'s JavaScript), without a spawned CLI's start-up. The
 * case's own run is what is asserted, and it still runs as its row says.
 */
async function priorSyncInto(dir: string, destination: string, options: { state?: Record<string, unknown>; name?: string; naming?: Naming; configuration?: string } = {}): Promise<Record<string, unknown>> {
  const config = path.join(dir, options.configuration ?? "configuration.json");
  const result = await runSync(await loadConnector(path.join(dir, "connector.ts")), {
    destination,
    state: options.state ?? {},
    configuration: fs.existsSync(config) ? JSON.parse(fs.readFileSync(config, "utf8")) : {},
    ...(options.name ? { name: options.name } : {}),
    ...(options.naming ? { naming: options.naming } : {}),
    keepRows: false,
    keepCheckpoints: false,
  });
  return result.state as Record<string, unknown>;
}

/** As `connector debug [--destination duckdb] [--naming …] [--configuration …]` once: the project's warehouse file, the state kept in files/state.json. */
const priorSync = async (dir: string, options: { duckdb?: boolean; naming?: Naming; configuration?: string } = {}): Promise<void> => {
  fs.mkdirSync(path.join(dir, "files"), { recursive: true });
  const file = path.join(dir, "files", options.duckdb ? "warehouse.duckdb" : "warehouse.db");
  const state = await priorSyncInto(dir, `${options.duckdb ? "duckdb" : "sqlite"}:${file}`, options);
  fs.writeFileSync(path.join(dir, "files", "state.json"), JSON.stringify(state, null, 2));
};

/** A cassette with one recorded GET of http://127.0.0.1:9/items. */
const cassette = JSON.stringify({
  version: 1,
  recordedWith: "connector-sdk",
  recordedAt: "2026-01-01T00:00:00.000Z",
  interactions: [{ run: "sync", request: { method: "GET", url: "http://127.0.0.1:9/items", headers: {} }, response: { status: 200, headers: {}, body: { json: [] } } }],
});

/** A warehouse from an earlier run: `build` creates tables through the real Warehouse, `sql` then runs as the user would. */
const earlierWarehouse =
  (build: (w: Warehouse) => void, sql = "") =>
  (dir: string): void => {
    const file = path.join(dir, "files", "warehouse.db");
    const w = Warehouse.open(file);
    w.begin();
    build(w);
    w.commit();
    w.close();
    const db = new Database(file);
    db.exec(sql);
    db.close();
  };
const long = { type: "LONG" } as const;

/** A connector with a setup form: a secret field, a dropdown, and one setup test that fails (or hangs, with HANG=1). */
const withForm = (fields = `{ name: "api_key", required: true }, { name: "mode", label: "Mode", type: "dropdown", choices: ["full", "incremental"], default: "full" }`) => ({
  "connector.ts": `export default {
  form: {
    fields: [${fields}],
    tests: { "Reach the API": async (c: any) => { if (process.env.HANG) await new Promise((r) => setTimeout(r, 60_000)); throw new Error("403 Forbidden for key " + c.api_key); } },
  },
  update() {},
};
`,
});

/**
 * A Node --import hook (NODE_OPTIONS) that breaks what a destination's writer thread loads, in worker threads only:
 * `client`, DuckDB's native client, as a damaged install would; `writer`, the writer thread's own files (writer.js itself, which the bundle makes one file, or any relative import of it: tsc's modules).
 */
const brokenLoad = (what: "client" | "writer", o: { mainThread?: boolean } = {}): Record<string, string> => {
  const hook =
    what === "client"
      ? `export async function resolve(s, c, next) { if (s === "@duckdb/node-api") throw new Error("libduckdb.so: cannot open shared object file: No such file or directory"); return next(s, c); }`
      : `export async function resolve(s, c, next) { if ((/^\\.\\.?\\//.test(s) && c.parentURL?.endsWith("/threaded/writer.js")) || s.endsWith("/threaded/writer.js")) throw new Error("Cannot find module './protocol.js' (a damaged install)"); return next(s, c); }`;
  // The product loads DuckDB's client through require(), which Node 20's resolve hooks do not see: Module._load does.
  const required =
    what === "client"
      ? `const load = Module._load; Module._load = function (s, ...rest) { if (s === "@duckdb/node-api") throw new Error("libduckdb.so: cannot open shared object file: No such file or directory"); return load.call(this, s, ...rest); };\n`
      : "";
  return {
    "break.mjs": `import Module, { register } from "node:module";\nimport { isMainThread } from "node:worker_threads";\nif (${o.mainThread ? "true" : "!isMainThread"}) {\n  register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}));\n  ${required}}\n`,
  };
};

const many = JSON.stringify(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"])));

export const CATALOGUE: Case[] = [
  { id: "config-malformed", files: { ...ok, "configuration.json": '{\n  "a": "1",\n}' }, code: 2, says: ["configuration.json is not valid JSON", "line 3, column 1"] },
  { id: "config-not-object", files: { ...ok, "configuration.json": "[1, 2]" }, code: 2, says: ["must hold a JSON object, found an array"] },
  { id: "config-non-string", files: { ...ok, "configuration.json": '{"page_size": 5}' }, code: 2, says: ["page_size: must be a string, found 5"] },
  { id: "config-too-many-keys", files: { ...ok, "configuration.json": many }, code: 2, says: ["has 101 keys; at most 100"] },
  { id: "config-duplicate-key", files: { ...ok, "configuration.json": '{\n  "api_key": "abcdef-1",\n  "x": "1",\n  "api_key": "abcdef-2"\n}' }, code: 2, says: ['has the key "api_key" twice (lines 2 and 4)', "remove the one you do not mean"] },
  { id: "project-is-a-file", files: ok, args: ["connector.ts"], code: 2, says: ["Not a directory:", "The argument is the project folder, the one that holds connector.ts, not a file in it"] },
  { id: "config-unreadable", files: ok, setup: (d) => fs.mkdirSync(path.join(d, "conf.json")), args: ["--configuration", "conf.json"], code: 2, says: ["Cannot read configuration file", "conf.json", "EISDIR"] },
  { id: "config-missing-file", files: ok, args: ["--configuration", "missing.json"], code: 2, says: ["Configuration file not found", "missing.json"] },
  { id: "state-corrupt", files: { ...ok, "files/state.json": '{"cursor": ' }, code: 2, says: ["State file", "is not valid JSON", "connector reset"] },
  { id: "state-empty", files: { ...ok, "files/state.json": "" }, code: 2, says: ["is empty; it must hold a JSON object", "connector reset"] },
  { id: "state-not-object", files: { ...ok, "files/state.json": '["a"]' }, code: 2, says: ["must hold a JSON object, found an array", "connector reset"] },
  { id: "state-missing-file", files: ok, args: ["--state", "gone.json"], code: 2, says: ["State file not found", "gone.json", "to start from an empty state, create it holding {}: echo '{}' >"] },
  { id: "state-missing-env", files: ok, env: { CONNECTOR_STATE: "/nonexistent/state.json" }, code: 2, says: ["State file not found: /nonexistent/state.json"] },
  { id: "warehouse-random-bytes", files: { ...ok, "files/warehouse.db": "this is not a database, just some bytes ".repeat(200) }, code: 2, says: ["warehouse.db", "file is not a database", "connector reset"] },
  {
    id: "warehouse-foreign",
    files: ok,
    setup: (d) => {
      fs.mkdirSync(path.join(d, "files"));
      const db = new Database(path.join(d, "files", "warehouse.db"));
      db.exec("CREATE TABLE invoices (id INTEGER)");
      db.close();
    },
    code: 2,
    says: ["connector-sdk did not create", "_connector_columns"],
  },
  { id: "connector-missing", files: { "README.md": "" }, code: 2, says: ["No connector in", "connector.ts, connector.mts, connector.js, connector.mjs"] },
  { id: "connector-syntax-error", files: { "connector.ts": "export default {\n  update() {\n    let = ;\n  },\n};\n" }, code: 2, says: ["Cannot load", /connector\.ts:3:\d+/] },
  { id: "connector-missing-import", files: { "connector.ts": 'import { fetchAll } from "./client.js";\nexport default { update() { fetchAll(); } };\n' }, code: 2, says: ["Cannot load", "client.js"] },
  { id: "connector-not-a-connector", files: { "connector.ts": 'export default "hello";\n' }, code: 2, says: ["does not export a connector", 'default ("hello")'] },
  { id: "connector-no-update", files: { "connector.ts": "export default { schema() { return []; } };\n" }, code: 2, says: ["does not export a connector", "update"] },
  { id: "connector-throws-on-import", files: { "connector.ts": 'throw new Error("missing API key");\nexport default { update() {} };\n' }, code: 2, says: ["Cannot load", "missing API key", /connector\.ts:1:\d+/] },
  {
    id: "connector-commonjs-no-connector",
    files: { "connector.js": 'const { op } = require("connector-sdk");\nmodule.exports = { sync() { op.checkpoint({}); } };\n' },
    code: 2,
    says: ["does not export a connector: its module.exports holds sync (a function)", "Set `module.exports = new Connector({ update })`"],
  },
  {
    id: "connector-missing-package",
    files: { "connector.ts": 'import { op } from "connector-sdk";\n\nimport axios from "axios";\nexport default { async update() { await axios.get("/"); op.checkpoint({}); } };\n' },
    code: 2,
    says: ["Cannot find module 'axios'", /connector\.ts:3:\d+/, "npm install axios"],
  },
  {
    id: "connector-python-import",
    files: {
      "connector.ts": `import fs from "node:fs";
import { Connector, Operations as op, Logging as log } from "connector-sdk";
fs.writeFileSync("top-level-ran", "");
export default new Connector({ update() { log.info("hi"); op.checkpoint({}); } });
`,
    },
    code: 2,
    says: [
      "Cannot load ",
      'connector.ts:2: import { Connector, Operations as op, Logging as log } from "connector-sdk"\n  "connector-sdk" has no export "Operations": Fivetran\'s Python SDK calls op Operations\n  "connector-sdk" has no export "Logging": Fivetran\'s Python SDK calls log Logging\n  Write instead: import { Connector, op, log } from "connector-sdk";',
    ],
    // Said before any of the connector's code runs.
    cleanup: (d) => expect(fs.existsSync(path.join(d, "top-level-ran"))).toBe(false),
  },
  {
    id: "connector-python-module",
    files: { "connector.ts": `import { Connector, Operations as op } from "fivetran_connector_sdk";\nexport default new Connector({ update() { op.checkpoint({}); } });\n` },
    code: 2,
    says: ["Cannot find module 'fivetran_connector_sdk'", `fivetran_connector_sdk is Fivetran's Python SDK. Here a connector imports from "connector-sdk": import { Connector, op, log } from "connector-sdk" (Python's Operations is op, and Logging is log).`],
  },
  { id: "connector-throws-non-error-on-import", files: { "connector.ts": "throw { code: 42 };\nexport default { update() {} };\n" }, code: 2, says: ['its top-level code threw a non-Error value: {"code":42}'] },
  { id: "schema-not-array", files: badSchema(`{ table: "t" }`), code: 1, says: ["schema() must return an array", "got an object"] },
  { id: "schema-missing-table", files: badSchema(`[{ primary_key: ["id"] }]`), code: 1, says: ['entry 0 needs a non-empty "table" name'] },
  { id: "schema-duplicate-table", files: badSchema(`[{ table: "users" }, { table: "users" }]`), code: 1, says: ['declares table "users" twice'] },
  { id: "schema-unknown-type", files: badSchema(`[{ table: "t", columns: { name: "VARCHAR" } }]`), code: 1, says: ['column "name": unknown type "VARCHAR"'] },
  { id: "schema-decimal-without-precision", files: badSchema(`[{ table: "t", columns: { price: "DECIMAL" } }]`), code: 1, says: ["DECIMAL needs a precision and a scale"] },
  { id: "schema-duplicate-column", files: badSchema(`[{ table: "t", columns: { createdAt: "STRING", created_at: "STRING" } }]`), code: 1, says: ['column "created_at" is declared twice'] },
  {
    id: "schema-many-problems",
    files: {
      "connector.ts": `import { op } from "connector-sdk";

export default {
  schema: () => [
    { table: "users", primary_key: ["id"], columns: { id: "LONG", name: "VARCHAR" } },
    { table: "orders", primary_key: "id", columns: { price: "DECIMAL" } },
    { table: "users" },
  ],
  update() { op.checkpoint({ n: 1 }); },
};
`,
    },
    code: 1,
    says: [
      /Sync FAILED: schema\(\) has 4 problems:\n  table "users", column "name": unknown type "VARCHAR"; the types are [^\n]+\n {6}at table "users" \(\S+\/connector\.ts:5\)\n/,
      /\n  table "orders", column "price": DECIMAL needs a precision and a scale[^\n]+\n {6}at table "orders" \(\S+\/connector\.ts:6\)\n/,
      /\n  table "orders": "primary_key" must be a list of column names, got "id"\n {6}at table "orders" \(\S+\/connector\.ts:6\)\n/,
      /\n  declares table "users" twice\n {6}at table "users" \(\S+\/connector\.ts:7\)\n/,
    ],
  },
  {
    id: "schema-problem-not-placed",
    files: {
      "connector.ts": `import { op } from "connector-sdk";
const name = ["ev", "ents"].join("");
export default {
  schema() {
    return [{ table: name, columns: { at: "TIMESTAMP" } }];
  },
  update() { op.checkpoint({ n: 1 }); },
};
`,
    },
    code: 1,
    says: [/Sync FAILED: schema\(\) table "events", column "at": unknown type "TIMESTAMP"; [^\n]+\n {4}at schema \(\S+\/connector\.ts:4\)\n/],
  },
  { id: "schema-primary-key-not-list", files: badSchema(`[{ table: "t", primary_key: "id" }]`), code: 1, says: ['"primary_key" must be a list of column names, got "id"'] },
  {
    id: "schema-primary-key-twice",
    files: badSchema(`[{ table: "t", primary_key: ["userId", "user_id"] }]`),
    code: 1,
    says: ['"primary_key" names column "user_id" twice ("userId" and "user_id")'],
  },
  {
    id: "schema-primary-key-json",
    files: badSchema(`[{ table: "t", primary_key: ["doc"], columns: { doc: "JSON" } }]`),
    code: 1,
    says: ['schema() table "t": primary key column "doc" is declared JSON, and JSON cannot be a primary key: {"a":1,"b":2} and {"b":2,"a":1} are one value to PostgreSQL (jsonb) but two texts to SQLite and DuckDB'],
  },
  {
    id: "schema-names-differ-in-case",
    files: badSchema(`[{ table: "t", columns: { id: "LONG", Id: "STRING" } }]`),
    args: ["--naming", "source"],
    code: 1,
    says: ['columns "id" and "Id" differ only in case; SQLite ignores case in column names'],
  },
  {
    id: "schema-case-of-existing-column",
    files: {
      "connector.ts": `import { op } from "connector-sdk";\nexport default { schema: (c: any) => [{ table: "t", columns: { [c.col]: "STRING" } }], update() { op.checkpoint({ n: 1 }); } };\n`,
      "configuration.json": '{"col": "Name"}',
      "first.json": '{"col": "name"}',
    },
    setup: (d) => priorSync(d, { naming: "source", configuration: "first.json" }),
    args: ["--naming", "source"],
    code: 1,
    says: ['schema() declares column "t.Name", but the table has column "name"; SQLite ignores case in column names'],
  },
  { id: "op-empty-table-name", files: after(`op.upsert("", { id: 2 });`), code: 1, says: ["op.upsert: the table name must be a non-empty string"], keepsCheckpoint: true },
  { id: "op-data-not-object", files: after(`op.upsert("t", [2]);`), code: 1, says: ['op.upsert on table "t": data must be a plain object, got an array of 1'], keepsCheckpoint: true },
  { id: "op-missing-primary-key", files: after(`op.upsert("t", { name: "x" });`), code: 1, says: ['primary key column "id" is missing or null'], keepsCheckpoint: true },
  { id: "op-null-primary-key", files: after(`op.upsert("t", { id: null, name: "x" });`), code: 1, says: ['primary key column "id" is missing or null'], keepsCheckpoint: true },
  {
    id: "op-value-does-not-fit",
    files: after(`op.upsert("t", { id: 2, qty: "many" });`, `[{ table: "t", primary_key: ["id"], columns: { qty: "INT" } }]`),
    code: 1,
    says: ['table "t", column "qty" (INT): INT needs an integer, got "many"'],
    keepsCheckpoint: true,
  },
  {
    id: "op-primary-key-json",
    files: after(`op.upsert("j", { doc: { a: 1 } });`, `[{ table: "t", primary_key: ["id"] }, { table: "j", primary_key: ["doc"] }]`),
    code: 1,
    says: ['table "j", primary key column "doc": the value is an object, which is JSON, and JSON cannot be a primary key', "Make the fields that identify a row the key"],
    keepsCheckpoint: true,
  },
  {
    id: "op-lone-surrogate",
    files: after(`op.upsert("t", { id: 2, name: "ab\\ud83d" });`),
    code: 1,
    says: ['table "t", column "name" (STRING): the value holds a lone UTF-16 surrogate (\\ud83d) at index 2, which UTF-8 cannot encode, so DuckDB and PostgreSQL cannot store it', "value.toWellFormed()"],
    keepsCheckpoint: true,
  },
  {
    id: "op-json-lone-surrogate",
    files: after(`op.upsert("t", { id: 2, doc: { tags: ["ok", "b\\ud800"] } });`, `[{ table: "t", primary_key: ["id"], columns: { doc: "JSON" } }]`),
    code: 1,
    says: ['table "t", column "doc" (JSON): value.tags[1] holds a lone UTF-16 surrogate (\\ud800) at index 1, which UTF-8 cannot encode'],
    keepsCheckpoint: true,
  },
  {
    id: "op-json-key-lone-surrogate",
    files: after(`op.upsert("t", { id: 2, doc: { "k\\udc00": 1 } });`, `[{ table: "t", primary_key: ["id"], columns: { doc: "JSON" } }]`),
    code: 1,
    says: ['table "t", column "doc" (JSON): the key "k\\udc00" in the value holds a lone UTF-16 surrogate (\\udc00) at index 1'],
    keepsCheckpoint: true,
  },
  {
    id: "op-name-lone-surrogate",
    files: after(`op.upsert("t", { id: 2, "n\\ud800": 1 });`),
    code: 1,
    says: ['op.upsert on table "t": column "n\\ud800" contains a lone UTF-16 surrogate (\\ud800) at index 1, which UTF-8 cannot encode, so DuckDB and PostgreSQL cannot store it; fix the name in the connector'],
    keepsCheckpoint: true,
  },
  {
    id: "op-update-without-full-key",
    files: after(`op.update("t", { name: "x" });`),
    code: 1,
    says: ['op.update on table "t": primary key column "id" is missing or null'],
    keepsCheckpoint: true,
  },
  {
    id: "op-delete-without-full-key",
    files: after(`op.upsert("pairs", { a: 1, b: 2 }); op.delete("pairs", { a: 1 });`, `[{ table: "t", primary_key: ["id"] }, { table: "pairs", primary_key: ["a", "b"] }]`),
    code: 1,
    says: ['op.delete on table "pairs": primary key column "b" is missing or null'],
    keepsCheckpoint: true,
  },
  {
    id: "op-keyless-without-fivetran-id",
    files: after(`op.upsert("log", { line: "x" }); op.update("log", { line: "y" });`),
    code: 1,
    says: ['table "log" has no primary key, so update needs the row\'s _fivetran_id'],
    keepsCheckpoint: true,
  },
  { id: "op-reserved-fivetran-column", files: after(`op.upsert("t", { id: 2, _fivetran_synced: "now" });`), code: 1, says: ['column "_fivetran_synced" uses a reserved name'], keepsCheckpoint: true },
  { id: "op-reserved-connector-column", files: after(`op.upsert("t", { id: 2, _connector_checkpoint: 1 });`), code: 1, says: ['column "_connector_checkpoint" uses a reserved name'], keepsCheckpoint: true },
  {
    id: "op-keys-become-one-column",
    files: after(`op.upsert("t", { id: 2, userId: 1, user_id: 2 });`),
    code: 1,
    says: ['op.upsert on table "t": the keys "userId" and "user_id" both become column "user_id", so one value would overwrite the other'],
    keepsCheckpoint: true,
  },
  {
    id: "op-tables-become-one-table",
    files: after(`op.upsert("userData", { id: 1 }); op.upsert("user_data", { id: 2 });`),
    code: 1,
    says: ['op.upsert: table "user_data" and table "userData" both become table "user_data", so their rows would mix in one table'],
    keepsCheckpoint: true,
  },
  { id: "op-table-sqlite-prefix", files: after(`op.upsert("sqlite_stat", { id: 1 });`), code: 1, says: ['table "sqlite_stat" starts with sqlite_, which SQLite reserves for its own tables'], keepsCheckpoint: true },
  { id: "update-throws-non-error", files: after(`throw { code: 42 };`), code: 1, says: ['Sync FAILED: the connector threw a non-Error value: {"code":42}'], keepsCheckpoint: true },
  {
    id: "update-error-with-cause",
    files: after(`throw new Error("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") });`),
    code: 1,
    says: [/Sync FAILED: fetch failed\n.*\n {2}Caused by: connect ECONNREFUSED 127\.0\.0\.1:9/],
    keepsCheckpoint: true,
  },
  {
    id: "unawaited-rejection-non-error",
    files: after(`Promise.reject({ code: 7 }); return new Promise((r) => setTimeout(r, 5000));`),
    code: 1,
    says: ['a promise the connector did not await was rejected with a non-Error value: {"code":7}'],
    keepsCheckpoint: true,
  },
  {
    id: "timer-throws-non-error",
    files: after(`setTimeout(() => { throw "quota exceeded"; }, 1); return new Promise((r) => setTimeout(r, 5000));`),
    code: 1,
    says: ['the connector threw a non-Error value outside update(): "quota exceeded"'],
    keepsCheckpoint: true,
  },
  {
    id: "update-returns-rows",
    files: { "connector.ts": `import { op } from "connector-sdk";\nexport default { async update() { op.checkpoint({ n: 1 }); return [{ id: 1 }, { id: 2 }]; } };\n` },
    code: 0,
    says: ["update() returned an array of 2, which is not loaded: the engine ignores what update() returns"],
  },
  {
    id: "update-emits-nothing",
    files: { "connector.ts": `import { op } from "connector-sdk";\nasync function syncUsers() { await new Promise((r) => setTimeout(r, 20)); op.checkpoint({}); }\nexport default { update() { syncUsers(); } };\n` },
    code: 0,
    says: ["Warning: update() finished without a single operation or checkpoint. If it calls an async function, await it"],
  },
  {
    id: "table-filled-from-another-name",
    files: { "connector.ts": `import { op } from "connector-sdk";\nexport default { update(c: any, state: any) { op.upsert(state.n ? "user_data" : "userData", { id: 1 }); op.checkpoint({ n: 1 }); } };\n` },
    setup: (d) => priorSync(d),
    code: 0,
    says: ['Warning: table "user_data" now gets rows from "user_data", but earlier syncs filled it from "userData", which also becomes "user_data"'],
  },
  { id: "checkpoint-bigint", files: after(`op.checkpoint({ offset: 10n });`), code: 1, says: ["state.offset is a BigInt (10n)"], keepsCheckpoint: true },
  { id: "checkpoint-function", files: after(`op.checkpoint({ next: () => 1 });`), code: 1, says: ["state.next is a function"], keepsCheckpoint: true },
  { id: "checkpoint-undefined", files: after(`op.checkpoint({ cursor: undefined });`), code: 1, says: ["state.cursor is undefined, which JSON would silently drop"], keepsCheckpoint: true },
  { id: "checkpoint-cycle", files: after(`const s: any = { page: 1 }; s.self = s; op.checkpoint(s);`), code: 1, says: ["state.self refers back to one of its parents (a cycle)"], keepsCheckpoint: true },
  { id: "checkpoint-nan", files: after(`op.checkpoint({ ratio: 0 / 0 });`), code: 1, says: ["state.ratio is NaN"], keepsCheckpoint: true },
  { id: "checkpoint-infinity", files: after(`op.checkpoint({ until: 1 / 0 });`), code: 1, says: ["state.until is Infinity"], keepsCheckpoint: true },
  { id: "checkpoint-over-10mb", files: after(`op.checkpoint({ ids: "x".repeat(11 * 1024 * 1024) });`), code: 1, says: ["over the 10 MB limit"], keepsCheckpoint: true },
  { id: "checkpoint-not-object", files: after(`op.checkpoint([1, 2] as never);`), code: 1, says: ["the state must be a plain JSON object, got an array of 2"], keepsCheckpoint: true },
  { id: "flag-unknown", files: ok, args: ["--stat", "x.json"], code: 2, says: ["unknown option '--stat'", "(Did you mean --state?)"] },
  { id: "command-unknown", files: ok, args: ["__command__", "debgu"], code: 2, says: ["unknown command 'debgu'", "(Did you mean debug?)"] },
  { id: "naming-unknown", files: ok, args: ["--naming", "snake_case"], code: 2, says: ['--naming must be "fivetran" or "source"'] },
  {
    id: "naming-source-keys-differ-in-case",
    files: after(`op.upsert("t", { id: 2, ID: 3 });`),
    args: ["--naming", "source"],
    code: 1,
    says: ['the keys "id" and "ID" name the same column, because SQLite ignores case in column names'],
    keepsCheckpoint: true,
  },
  {
    id: "naming-source-column-differs-in-case",
    files: after(`op.upsert("t", { id: 2, note: "a" }); op.upsert("t", { id: 3, Note: "b" });`),
    args: ["--naming", "source"],
    code: 1,
    says: ['table "t": column "Note" and the existing column "note" differ only in case; SQLite ignores case in column names', 'Use the spelling "note"'],
    keepsCheckpoint: true,
  },
  {
    id: "naming-source-tables-differ-in-case",
    files: after(`op.upsert("Users", { id: 1 }); op.upsert("users", { id: 2 });`),
    args: ["--naming", "source"],
    code: 1,
    says: ['op.upsert: table "users" and table "Users" differ only in case; SQLite ignores case in table names'],
    keepsCheckpoint: true,
  },
  {
    id: "naming-source-existing-table-case",
    files: { "connector.ts": `import { op } from "connector-sdk";\nexport default { update(c: any, state: any) { op.upsert(state.n ? "T" : "t", { id: 1 }); op.checkpoint({ n: 1 }); } };\n` },
    setup: (d) => priorSync(d, { naming: "source" }),
    args: ["--naming", "source"],
    code: 1,
    says: ['table "T" and the existing table "t" differ only in case', "connector reset --table t"],
    keepsCheckpoint: true,
  },
  {
    id: "naming-source-nul-in-name",
    files: after(`op.upsert("t", { id: 2, "a\\u0000b": 1 });`),
    args: ["--naming", "source"],
    code: 1,
    says: ['column "a\\u0000b" contains a NUL character (\\0), which SQLite cannot hold in a name'],
    keepsCheckpoint: true,
  },
  {
    id: "naming-source-lone-surrogate",
    files: after(`op.upsert("t\\ud800", { id: 2 });`),
    args: ["--naming", "source"],
    code: 1,
    says: ['table "t\\ud800" contains a lone UTF-16 surrogate'],
    keepsCheckpoint: true,
  },
  { id: "timeout-unreadable", files: ok, args: ["--timeout", "soon"], code: 2, says: ['cannot read the duration "soon"'] },
  { id: "reset-without-terminal", files: ok, args: ["__command__", "reset"], code: 2, says: ["Pass --yes"] },
  {
    id: "verify-never-checkpoints",
    files: { "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { for (let id = 1; id <= 20; id++) op.upsert("t", { id }); } };\n` },
    args: ["__command__", "verify", "--trials", "2"],
    code: 0,
    says: [/^interrupted\s+WARN\s+the connector never checkpoints, so an interrupted sync starts over from the beginning \(all 20 operations\)/m, "VERIFY PASSED"],
  },
  { id: "config-unquoted-value", files: { ...ok, "configuration.json": '{"api_token": tok_9f8e7d6c5b4a}' }, code: 2, says: ["is not valid JSON (line 1, column 16: Unexpected character (is a string missing its double quotes?))"] },
  { id: "state-configuration-malformed", files: { ...ok, "configuration.json": '{"a": "1",}' }, args: ["__command__", "state", "show"], code: 2, says: ["is not valid JSON", "`connector state` reads the configuration to hide its secret values"] },
  {
    id: "state-connector-unloadable",
    files: { "connector.ts": "export default {\n  update() {\n    let = ;\n  },\n};\n", "configuration.json": '{"base_url": "https://api.example.com"}' },
    args: ["__command__", "state", "show"],
    code: 0,
    says: ["could not load the connector to learn which configuration values its schema marks secret", "connector.ts"],
  },
  { id: "record-and-replay", files: ok, args: ["--record", "--replay"], code: 2, says: ["--record and --replay cannot be used together"] },
  { id: "cassette-name-invalid", files: ok, args: ["--record", "../x"], code: 2, says: ['"../x" is not a cassette name', "fixtures/<name>/"] },
  { id: "cassette-name-is-folder", files: ok, setup: (d) => fs.mkdirSync(path.join(d, "other")), args: ["--record", "other"], code: 2, says: ['--record takes a cassette name, and "other" is a folder', "connector debug other --record"] },
  { id: "replay-no-cassette", files: ok, args: ["--replay"], code: 2, says: ["No cassette at", "fixtures/default/cassette.json", "Record one with `connector debug --record`"] },
  { id: "cassette-malformed", files: { ...ok, "fixtures/default/cassette.json": '{"version": 1,' }, args: ["--replay"], code: 2, says: ["cassette.json is not valid JSON", "connector debug --record"] },
  { id: "cassette-newer-version", files: { ...ok, "fixtures/default/cassette.json": '{"version": 9, "interactions": []}' }, args: ["--replay"], code: 2, says: ["has format version 9, newer than this connector-sdk reads (1)"] },
  { id: "cassette-not-a-cassette", files: { ...ok, "fixtures/default/cassette.json": "[]" }, args: ["--replay"], code: 2, says: ["is not a connector-sdk cassette"] },
  {
    id: "replay-unmatched-request",
    files: {
      "connector.ts": `export default { async update() { await fetch("http://127.0.0.1:9/other?page=1"); } };\n`,
      "fixtures/default/cassette.json": cassette,
    },
    args: ["--replay"],
    code: 1,
    says: ["No recorded response for GET http://127.0.0.1:9/other?page=1 in the cassette", "The closest recorded request, #1 of 1, is GET http://127.0.0.1:9/items", "path: recorded /items, got /other"],
  },
  { id: "replay-config-malformed", files: { ...ok, "fixtures/default/cassette.json": cassette, "fixtures/replay.json": "{" }, args: ["--replay"], code: 2, says: ["replay.json is not valid JSON"] },
  {
    id: "replay-config-bad-ignore",
    files: { ...ok, "fixtures/default/cassette.json": cassette, "fixtures/replay.json": '{"ignore": {"query": "ts"}}' },
    args: ["--replay"],
    code: 2,
    says: ['"ignore" must look like {"query": ["timestamp"], "headers": ["x-request-id"], "body": false}'],
  },
  { id: "test-no-cassette", files: ok, args: ["__command__", "test"], code: 2, says: ["No cassette at", "fixtures/default/cassette.json"] },
  { id: "test-no-outcome", files: { ...ok, "fixtures/default/cassette.json": cassette }, args: ["__command__", "test"], code: 2, says: ["has no expected outcome", "connector test --update"] },
  {
    id: "outcome-malformed",
    files: { ...ok, "fixtures/default/cassette.json": cassette, "fixtures/default/outcome.json": "{" },
    args: ["__command__", "test"],
    code: 2,
    says: ["outcome.json is not valid JSON", "connector test --update"],
  },
  { id: "op-value-map", files: after(`op.upsert("t", { id: 2, tags: new Map([["a", 1]]) });`), code: 1, says: ['table "t", column "tags": the value is a Map', "Object.fromEntries(map)"], keepsCheckpoint: true },
  { id: "op-value-set", files: after(`op.upsert("t", { id: 2, tags: new Set(["a"]) });`), code: 1, says: ['table "t", column "tags": the value is a Set', "[...set]"], keepsCheckpoint: true },
  {
    id: "op-value-class-instance",
    files: after(`class Money { cents = 5; } op.upsert("t", { id: 2, amount: new Money() });`),
    code: 1,
    says: ['table "t", column "amount": the value is a Money instance, which has no faithful form in the warehouse'],
    keepsCheckpoint: true,
  },
  {
    id: "op-value-promise",
    files: after(`const fetchUser = async () => ({ name: "x" }); op.upsert("t", { id: 2, user: fetchUser() });`),
    code: 1,
    says: ['table "t", column "user": the value is a Promise; await it', "forgotten await"],
    keepsCheckpoint: true,
  },
  { id: "op-value-function", files: after(`op.upsert("t", { id: 2, total: () => 5 });`), code: 1, says: ['table "t", column "total": the value is a function'], keepsCheckpoint: true },
  { id: "op-value-symbol", files: after(`op.upsert("t", { id: 2, kind: Symbol("a") });`), code: 1, says: ['table "t", column "kind": the value is a symbol (Symbol(a))'], keepsCheckpoint: true },
  { id: "op-json-nan", files: after(`op.upsert("t", { id: 2, stats: { ratio: 0 / 0 } });`), code: 1, says: ['table "t", column "stats" (JSON): value.ratio is NaN, which JSON cannot hold'], keepsCheckpoint: true },
  { id: "op-json-infinity", files: after(`op.upsert("t", { id: 2, stats: { max: [1, 1 / 0] } });`), code: 1, says: ['column "stats" (JSON): value.max[1] is Infinity, which JSON cannot hold'], keepsCheckpoint: true },
  {
    id: "op-json-cycle",
    files: after(`const doc: any = { a: 1 }; doc.self = doc; op.upsert("t", { id: 2, doc });`),
    code: 1,
    says: ['column "doc" (JSON): value.self refers back to one of its parents (a cycle)'],
    keepsCheckpoint: true,
  },
  {
    id: "op-utc-offset-impossible",
    files: after(`op.upsert("t", { id: 2, at: "2024-01-02T03:04:05+99:99" });`, `[{ table: "t", primary_key: ["id"], columns: { at: "UTC_DATETIME" } }]`),
    code: 1,
    says: ['table "t", column "at" (UTC_DATETIME): UTC_DATETIME got an impossible UTC offset +99:99'],
    keepsCheckpoint: true,
  },
  {
    id: "op-double-not-decimal",
    files: after(`op.upsert("t", { id: 2, x: "0x10" });`, `[{ table: "t", primary_key: ["id"], columns: { x: "DOUBLE" } }]`),
    code: 1,
    says: ['table "t", column "x" (DOUBLE): DOUBLE needs a number or a decimal numeric string, got "0x10"'],
    keepsCheckpoint: true,
  },
  {
    id: "op-decimal-huge-exponent",
    files: after(`op.upsert("t", { id: 2, price: "1e-999999999" });`, `[{ table: "t", primary_key: ["id"], columns: { price: "DECIMAL(10,2)" } }]`),
    code: 1,
    says: ['table "t", column "price" (DECIMAL(10,2)): DECIMAL(10,2) keeps 2 decimal places; "1e-999999999" would lose digits'],
    keepsCheckpoint: true,
  },
  {
    id: "rebuild-user-column",
    files: after(`op.upsert("u", { id: 2, v: 2.5 });`),
    setup: earlierWarehouse(
      (w) => w.createTable("u", [{ name: "id", type: long, declared: false, pk: true }, { name: "v", type: long, declared: false, pk: false }]),
      `ALTER TABLE u ADD COLUMN note TEXT`,
    ),
    code: 1,
    says: ['table "u" must be rebuilt to change column "v" from LONG to DOUBLE, but it has column(s) that connector-sdk did not create: "note"', "DROP COLUMN"],
    keepsCheckpoint: true,
  },
  {
    id: "rebuild-index-not-recreated",
    files: after(`op.upsert("u", { id: 3, bin: "text" });`),
    setup: earlierWarehouse(
      (w) => w.createTable("u", [{ name: "id", type: long, declared: false, pk: true }, { name: "bin", type: { type: "BINARY" }, declared: false, pk: false }]),
      `INSERT INTO u (id, bin, _fivetran_synced) VALUES (1, X'01', 'x'), (2, X'0102', 'x'); CREATE UNIQUE INDEX u_bin_length ON u (length(bin));`,
    ),
    code: 1,
    says: ['your index "u_bin_length" on it could not be recreated: UNIQUE constraint failed', 'DROP INDEX "u_bin_length"'],
    keepsCheckpoint: true,
  },
  {
    id: "op-upsert-user-constraint",
    files: after(`op.upsert("u", { id: 2, email: "a@example.com" }); op.upsert("u", { id: 3, email: "a@example.com" }); op.checkpoint({ n: 2 });`),
    setup: earlierWarehouse(
      (w) => w.createTable("u", [{ name: "id", type: long, declared: false, pk: true }, { name: "email", type: { type: "STRING" }, declared: false, pk: false }]),
      `CREATE UNIQUE INDEX u_email ON u (email);`,
    ),
    code: 1,
    says: ['the warehouse', 'failed: writing op.upsert rows into table "u": UNIQUE constraint failed: u.email (SQLITE_CONSTRAINT_UNIQUE)'],
    keepsCheckpoint: true,
  },
  {
    id: "schema-type-change-value-does-not-fit",
    files: badSchema(`[{ table: "u", primary_key: ["id"], columns: { id: "LONG", v: "DOUBLE" } }]`),
    setup: earlierWarehouse(
      (w) => w.createTable("u", [{ name: "id", type: long, declared: true, pk: true }, { name: "v", type: long, declared: true, pk: false }]),
      `INSERT INTO u (id, v, _fivetran_synced) VALUES (1, 9007199254740993, 'x')`,
    ),
    code: 1,
    says: ['cannot change column "v" from LONG to DOUBLE in table "u": a stored value does not fit: 9007199254740993 is beyond ±2^53', "connector reset --table u"],
  },
  {
    id: "schema-type-changed",
    files: badSchema(`[{ table: "employees", primary_key: ["id"], columns: { id: "LONG", salary: "LONG" } }]`),
    setup: earlierWarehouse((w) => w.createTable("employees", [{ name: "id", type: long, declared: true, pk: true }, { name: "salary", type: { type: "STRING" }, declared: true, pk: false }])),
    code: 1,
    says: [
      'the type of column "employees.salary" changed from STRING to LONG, which the rows already stored may not fit: the table must be loaded again from the start.',
      'To load table "employees" again from the start, drop it, then sync again:\n  connector reset --table employees\nOr start over with every table: connector reset',
    ],
  },
  {
    id: "table-near-declared",
    files: { "connector.ts": `import { op } from "connector-sdk";\nexport default { schema: () => [{ table: "orders", primary_key: ["id"] }], update() { op.upsert("ordres", { id: 1 }); op.upsert("ordres", { id: 2 }); op.checkpoint({}); } };\n` },
    code: 0,
    says: ['Warning: op.upsert: table "ordres" is not declared in schema(), but "orders" is; did you mean "orders"? Its rows go to a table of their own, "ordres".'],
  },
  {
    id: "record-over-cassette",
    files: { ...ok, "fixtures/default/cassette.json": JSON.stringify({ version: 1, recordedWith: "connector-sdk", recordedAt: "2026-01-02T03:04:05.000Z", interactions: [] }) },
    args: ["--record"],
    code: 2,
    says: ["fixtures/default/ already holds a cassette of 0 requests, recorded 2026-01-02T03:04:05.000Z, which --record would replace. Pass --yes to replace it, or record under another name: `connector debug --record <another-name>`."],
  },
  { id: "project-given-twice", files: ok, args: ["__command__", "state", "show", ".", "--project", "other"], code: 2, says: ['The project folder is given twice, as "." and as --project "other"; give it once.'] },
  {
    id: "op-double-unsafe-bigint",
    files: after(`op.upsert("t", { id: 2, x: 9007199254740993n });`, `[{ table: "t", primary_key: ["id"], columns: { x: "DOUBLE" } }]`),
    code: 1,
    says: ['table "t", column "x" (DOUBLE): DOUBLE cannot hold 9007199254740993 exactly (it is beyond ±2^53) and would round it'],
    keepsCheckpoint: true,
  },
  {
    id: "state-set-unsafe-integer",
    files: ok,
    args: ["__command__", "state", "set", "cursor", "9007199254740993"],
    code: 2,
    says: ["holds an integer beyond JavaScript's safe integers (±2^53), which update() would receive rounded", `connector state set cursor '"9007199254740993"'`],
  },
  {
    id: "state-file-unsafe-integer",
    files: { ...ok, "big.json": '{"cursor": 9007199254740993}' },
    args: ["__command__", "state", "set", "--file", "big.json"],
    code: 2,
    says: ["big.json: state.cursor is an integer beyond JavaScript's safe integers (±2^53): update() receives it rounded"],
  },
  {
    id: "state-set-index-too-large",
    files: ok,
    args: ["__command__", "state", "set", "a[99999999999]", "1"],
    code: 2,
    says: ["a[99999999999] would fill the new list a with 99,999,999,999 nulls before the value, as a JSON list has no gaps: at least 465.7 GB serialised, over the state's limit of 10 MB"],
  },
  { id: "project-missing", files: ok, args: ["__command__", "state", "set", "cursor", "1", "--project", "typo/path"], code: 2, says: ["Project directory not found:", path.join("typo", "path")] },
  { id: "files-not-a-folder", files: { ...ok, files: "my notes" }, code: 2, says: ["files is a file, but connector needs a folder there", "Move or rename that file"] },
  { id: "state-too-deep", files: { ...ok, "files/state.json": '{"a":'.repeat(1000) + "{}" + "}".repeat(1000) }, code: 2, says: ["the state is nested more than 1,000 levels deep", "connector reset"] },
  {
    id: "checkpoint-too-deep",
    files: after(`let s: any = {}; for (let i = 0; i < 100_000; i++) s = { a: s }; op.checkpoint(s);`),
    code: 1,
    says: ["op.checkpoint: the state is nested more than 1,000 levels deep"],
    keepsCheckpoint: true,
  },
  { id: "timeout-too-long", files: ok, args: ["--timeout", "597h"], code: 2, says: ['the duration "597h" is too long: the longest is 596h'] },
  {
    id: "table-too-many-columns",
    files: after(`const row: any = { id: 2 }; for (let i = 0; i < 2000; i++) row["c" + i] = i; op.upsert("t", row);`),
    code: 1,
    says: ['table "t" has no room for column', "SQLite allows at most 2,000 columns in a table"],
    keepsCheckpoint: true,
  },
  {
    id: "table-too-many-columns-new",
    files: after(`const row: any = { id: 1 }; for (let i = 0; i < 2100; i++) row["c" + i] = i; op.upsert("wide", row);`),
    code: 1,
    says: ['table "wide" would have 2,105 columns', "SQLite allows at most 2,000 columns in a table, counting _fivetran_synced, _fivetran_deleted and _connector_generation"],
    keepsCheckpoint: true,
  },
  { id: "lock-file-damaged", files: { ...ok, "files/.connector.lock.db": "not a database ".repeat(100) }, code: 2, says: [".connector.lock.db: file is not a database", "delete that file"] },
  { id: "destination-unknown", files: ok, args: ["--destination", "mysql"], code: 2, says: ['--destination must be "sqlite" or "duckdb", got "mysql"'] },
  {
    id: "destination-switched",
    files: ok,
    setup: (d) => priorSync(d, { duckdb: true }),
    args: ["--destination", "sqlite"],
    code: 2,
    says: ["This project's data is in DuckDB", "warehouse.duckdb), not SQLite. Run `connector reset` to start over with --destination sqlite"],
  },
  {
    id: "destination-two-warehouses",
    files: ok,
    setup: async (d) => {
      await priorSync(d);
      fs.writeFileSync(path.join(d, "files", "warehouse.duckdb"), "");
    },
    code: 2,
    says: ["This project has two warehouses", "Move the one you no longer need away"],
  },
  {
    id: "debug-interrupted",
    files: afterThenStuck(`for (;;) {}`),
    interrupts: ["spinning"],
    code: 130,
    says: ["SYNC PROGRESS", "Sync FAILED: interrupted"],
    keepsCheckpoint: true,
  },
  {
    id: "debug-interrupted-while-blocked",
    // cat waits for a writer on the FIFO; the worker waits for cat, in native code that terminate() cannot stop.
    files: afterThenStuck(`execFileSync("cat", ["fifo"]);`),
    setup: (d) => void execFileSync("mkfifo", [path.join(d, "fifo")]),
    cleanup: (d) => releaseFifo(path.join(d, "fifo")),
    interrupts: ["<cat is running>", "Press Ctrl-C to exit without waiting"],
    code: 130,
    says: [
      "Waiting for the connector to stop: it is blocked in a synchronous call outside JavaScript. Press Ctrl-C to exit without waiting.",
      "Interrupted again: exiting without waiting for the sync to stop.",
    ],
    keepsCheckpoint: true,
  },
  {
    id: "verify-interrupted",
    files: afterThenStuck(`for (;;) {}`),
    args: ["__command__", "verify", "--seed", "5"],
    interrupts: ["historical sync 1 of 2"],
    code: 130,
    says: [/^baseline\s+SKIPPED\s+interrupted during historical sync 1 of 2$/m, "VERIFY INTERRUPTED during baseline: historical sync 1 of 2 (seed 5; rerun with --seed 5 to repeat); its scratch folder was removed."],
  },
  {
    id: "verify-interrupted-while-blocked",
    files: afterThenStuck(`execFileSync("cat", ["fifo"]);`),
    setup: (d) => void execFileSync("mkfifo", [path.join(d, "fifo")]),
    cleanup: (d) => releaseFifo(path.join(d, "fifo")),
    args: ["__command__", "verify"],
    interrupts: ["<cat is running>", "Press Ctrl-C to exit without waiting"],
    code: 130,
    says: ["Waiting for the connector to stop", "Interrupted again during baseline: historical sync 1 of 2: exiting without waiting for the sync to stop; its scratch folder was removed."],
  },
  {
    id: "verify-detached-rejection",
    files: afterThenStuck(`void (async () => { throw new Error("detached failure"); })(); await new Promise((r) => setTimeout(r, 50));`),
    args: ["__command__", "verify"],
    code: 1,
    says: [/^baseline\s+FAIL\s+the historical sync failed: a promise the connector did not await was rejected: detached failure$/m],
  },
  {
    id: "verify-never-settles",
    files: afterThenStuck(`await new Promise(() => {});`),
    args: ["__command__", "verify"],
    code: 1,
    says: [/^baseline\s+FAIL\s+the historical sync failed: update\(\) never finished: it is waiting on a promise that nothing will ever settle$/m],
  },
  {
    id: "verify-load-never-settles",
    files: { "connector.ts": "await new Promise(() => {});\nexport default { update() {} };\n" },
    args: ["__command__", "verify"],
    code: 1,
    says: [/^baseline\s+FAIL\s+loading the connector: the connector is waiting on a promise that nothing will ever settle$/m],
  },
  {
    id: "verify-throws-in-timer",
    files: afterThenStuck(`setTimeout(() => { throw new Error("late boom"); }, 10); await new Promise((r) => setTimeout(r, 60_000));`),
    args: ["__command__", "verify"],
    code: 1,
    says: ["the historical sync failed: the connector threw outside update(): late boom"],
  },
  {
    id: "verify-process-exit",
    files: afterThenStuck(`process.exit(3);`),
    args: ["__command__", "verify"],
    code: 1,
    says: ["the historical sync failed: the connector called process.exit(3); return from update() instead, or throw to fail the sync"],
  },
  {
    id: "verify-timeout",
    files: afterThenStuck(`await new Promise((r) => setTimeout(r, 60_000));`),
    args: ["__command__", "verify", "--timeout", "1s"],
    code: 1,
    says: [/^baseline\s+FAIL\s+the historical sync failed: timed out after 1s$/m],
  },
  {
    id: "verify-timeout-sync-loop",
    files: afterThenStuck(`for (;;) {}`),
    args: ["__command__", "verify", "--timeout", "1s"],
    code: 1,
    says: ["historical sync 1 of 2: timed out after 1s (--timeout) and never gave control back (a synchronous loop?), so verify stopped there"],
  },
  { id: "configuration-without-terminal", files: withForm(), args: ["__command__", "configuration"], code: 2, says: ["asks for each field on a terminal, and there is none", "api_key: --set api_key=…  or  CONNECTOR_FORM_API_KEY=…"] },
  {
    id: "configuration-exists-without-terminal",
    files: { ...withForm(), "configuration.json": '{"api_key": "k-1234"}' },
    args: ["__command__", "configuration"],
    code: 2,
    says: ["configuration.json exists, and there is no terminal to ask whether to replace it. Pass --yes to replace it."],
  },
  { id: "configuration-nothing-to-ask", files: ok, args: ["__command__", "configuration"], code: 2, says: ["declares no setup form and no configuration schema, so there is nothing to ask", "form: { fields: ["] },
  {
    id: "configuration-schema-gives-no-fields",
    files: { "connector.ts": `import { z } from "zod";\nexport default { configuration: z.string(), update() {} };\n` },
    args: ["__command__", "configuration"],
    code: 2,
    says: ["gives no fields to ask: it is not an object schema with properties", "form: { fields: [...] }"],
  },
  {
    id: "configuration-form-invalid",
    files: withForm(`{ name: "mode", type: "dropdown", choices: ["a"], default: "b" }, { name: "x", type: "checkbox" }`),
    args: ["__command__", "configuration", "--test"],
    code: 2,
    says: ["The setup form of", "is not valid:", 'form.fields[0] ("mode"): the default "b" is not one of the choices (a)', 'form.fields[1] ("x"): unknown type "checkbox"'],
  },
  { id: "configuration-set-malformed", files: withForm(), args: ["__command__", "configuration", "--set", "api_key"], code: 2, says: ['--set takes name=value, and one of them has no name before an "=" (field names: api_key, mode)'] },
  { id: "configuration-set-unknown-field", files: withForm(), args: ["__command__", "configuration", "--set", "apikey=x"], code: 2, says: ['--set apikey: the form has no field "apikey"; its fields are api_key, mode'] },
  { id: "configuration-set-bad-choice", files: withForm(), args: ["__command__", "configuration", "--set", "mode=fast"], code: 2, says: ['--set mode: "fast" is not one of the choices: full, incremental'] },
  {
    id: "configuration-schema-rejects",
    files: { "connector.ts": `import { z } from "zod";\nexport default { configuration: z.object({ base_url: z.string().url() }), update() {} };\n` },
    args: ["__command__", "configuration", "--set", "base_url=nope"],
    code: 2,
    says: ["The answers do not pass the connector's configuration schema, so configuration.json was not written:", "base_url: Invalid URL"],
  },
  { id: "configuration-json-without-test", files: withForm(), args: ["__command__", "configuration", "--json"], code: 2, says: ["--json goes with --test"] },
  { id: "configuration-set-with-test", files: withForm(), args: ["__command__", "configuration", "--test", "--set", "api_key=x"], code: 2, says: ["--set fills fields when writing the configuration; --test only reads it"] },
  { id: "configuration-test-no-tests", files: { ...ok, "configuration.json": "{}" }, args: ["__command__", "configuration", "--test"], code: 2, says: ["declares no setup tests", '"Test connection": async (configuration)'] },
  { id: "configuration-test-no-file", files: withForm(), args: ["__command__", "configuration", "--test"], code: 2, says: ["No configuration to test:", "configuration.json does not exist. Write it with `connector configuration`"] },
  {
    id: "configuration-test-invalid",
    files: { "connector.ts": `import { z } from "zod";\nexport default { configuration: z.object({ n: z.number() }), form: { tests: { t() {} } }, update() {} };\n`, "configuration.json": '{"n": "x"}' },
    args: ["__command__", "configuration", "--test"],
    code: 2,
    says: ["Invalid configuration (", "n: Invalid input: expected number, received string"],
  },
  { id: "configuration-test-fails", files: { ...withForm(), "configuration.json": '{"api_key": "k-1234"}' }, args: ["__command__", "configuration", "--test"], code: 1, says: ["FAIL  Reach the API: 403 Forbidden for key ***", "1 setup test: 0 passed, 1 failed"] },
  {
    id: "configuration-test-timeout",
    files: { ...withForm(), "configuration.json": '{"api_key": "k-1234"}' },
    args: ["__command__", "configuration", "--test", "--timeout", "200ms"],
    env: { HANG: "1" },
    code: 1,
    says: ["FAIL  Reach the API: did not finish within 200ms (--timeout)"],
  },
  {
    id: "op-truncate-too-many",
    files: after(`for (let i = 0; i <= 1_048_576; i++) op.truncate("t");`),
    code: 1,
    says: ['op.truncate on table "t": a sync may truncate at most 1,048,576 times. Truncate a table once per sync, before reloading it, not once per page.'],
    keepsCheckpoint: true,
  },
  { id: "op-warning-empty", files: after(`op.warning("  ");`), code: 1, says: ['op.warning: the message must be a non-empty string, got "  "'], keepsCheckpoint: true },
  { id: "op-error-message-not-string", files: after(`op.error(new Error("boom") as any);`), code: 1, says: ["op.error: the message must be a non-empty string, got an Error; pass error.message, and error.stack as the trace"], keepsCheckpoint: true },
  { id: "op-error-trace-not-string", files: after(`op.error("source failed", { line: 3 } as any);`), code: 1, says: ["op.error: the trace must be a string (or left out), got an object"], keepsCheckpoint: true },
  {
    id: "op-warning-many-messages",
    files: after(`for (let i = 0; i < 103; i++) op.warning("row " + i + " skipped"); op.checkpoint({ n: 1 });`),
    code: 0,
    says: ["Warning: op.warning was called 3 more time(s), with messages beyond the 100 listed here; the log shows them all.", "Sync SUCCEEDED"],
    keepsCheckpoint: true,
  },
  { id: "memory-limit-unreadable", files: ok, args: ["--memory-limit", "lots"], code: 2, says: ['--memory-limit: cannot read the size "lots"; write it as 512MB or 1GB'] },
  { id: "memory-limit-too-small", files: ok, args: ["--memory-limit", "16MB"], code: 2, says: ["--memory-limit 16MB is too small: a sync needs at least 64 MB"] },
  {
    id: "memory-limit-too-large",
    files: ok,
    args: ["--memory-limit", "100000000000GB"],
    code: 2,
    says: [/--memory-limit 100000000000GB is more than (the memory of this machine|this container's memory limit) \([\d.]+ GB\), so it could never stop a sync: the system's out-of-memory killer \(or V8 itself\) would end the whole process first/],
  },
  {
    id: "memory-limit-exceeded",
    files: after(`const all: object[] = []; for (let i = 2; ; i++) { const row = { id: i, pad: "x".repeat(65536) + i }; all.push(row); op.upsert("t", row); }`),
    args: ["--memory-limit", "128MB"],
    code: 1,
    says: ["Sync FAILED: memory limit of 128 MB exceeded: the sync worker's heap reached --memory-limit (production gives a connector 1 GB). Keep less in memory: upsert rows as you read them rather than collecting them, and checkpoint every few thousand rows."],
    keepsCheckpoint: true,
  },
  { id: "crash-report-written", files: after(`throw new TypeError("x is not a function");`), code: 1, says: ["Sync FAILED: x is not a function", /^Crash report: crash-reports\/\d{4}-\d\d-\d\dT[\d-]+Z\.json$/m], keepsCheckpoint: true },
  {
    id: "crash-report-unwritable",
    files: { ...after(`throw new TypeError("x is not a function");`), "crash-reports": "a file where the folder goes" },
    // A temporary folder inside the project, which the test removes with it.
    env: { TMPDIR: "tmp" },
    setup: (d) => fs.mkdirSync(path.join(d, "tmp")),
    code: 1,
    says: ["Sync FAILED: x is not a function", /Crash report: tmp\/connector-crash-reports\/\S+-[0-9a-f]{8}\/\S+\.json \(the project's folder could not take it: \S+\/crash-reports: a file is in the way \(ENOTDIR\)\)/],
    keepsCheckpoint: true,
  },
  {
    id: "crash-report-nowhere",
    files: { ...after(`throw new TypeError("x is not a function");`), "crash-reports": "a file where the folder goes", tmp: "a file where the temporary folder goes" },
    env: { TMPDIR: "tmp/sub" },
    code: 1,
    says: ["Sync FAILED: x is not a function", /Warning: could not write a crash report: \S+\/crash-reports: a file is in the way \(ENOTDIR\); tmp\/sub\/connector-crash-reports\/\S+: a file is in the way \(ENOTDIR\)/],
    keepsCheckpoint: true,
  },
  {
    id: "op-float-rounds",
    files: after(`op.upsert("t", { id: 2, f: 0.1 }); op.checkpoint({ n: 2 });`, `[{ table: "t", primary_key: ["id"], columns: { f: "FLOAT" } }]`),
    code: 0,
    says: ['Warning: table "t", column "f" (FLOAT): FLOAT is a 32-bit float, as in Fivetran\'s protocol and its destinations, so 0.1 is stored as 0.10000000149011612, and other values of this column may round too. Declare the column DOUBLE to keep every digit.'],
  },
  {
    id: "op-float-overflow",
    files: after(`op.upsert("t", { id: 2, f: 1e39 });`, `[{ table: "t", primary_key: ["id"], columns: { f: "FLOAT" } }]`),
    code: 1,
    says: ['table "t", column "f" (FLOAT): FLOAT is a 32-bit float and would store 1e+39 as Infinity; declare the column DOUBLE'],
    keepsCheckpoint: true,
  },
  {
    id: "op-double-overflow",
    files: after(`op.upsert("t", { id: 2, x: "1e400" });`, `[{ table: "t", primary_key: ["id"], columns: { x: "DOUBLE" } }]`),
    code: 1,
    says: ['table "t", column "x" (DOUBLE): DOUBLE cannot hold "1e400": it is beyond the largest double (about ±1.8e308) and would become Infinity'],
    keepsCheckpoint: true,
  },
  {
    id: "op-double-underflow",
    files: after(`op.upsert("t", { id: 2, x: "1e-400" });`, `[{ table: "t", primary_key: ["id"], columns: { x: "DOUBLE" } }]`),
    code: 1,
    says: ['table "t", column "x" (DOUBLE): DOUBLE cannot hold "1e-400": it is too close to zero for a double and would become 0'],
    keepsCheckpoint: true,
  },
  {
    id: "op-double-unsafe-integer-string",
    files: after(`op.upsert("t", { id: 2, x: "123456789012345678901234567890" });`, `[{ table: "t", primary_key: ["id"], columns: { x: "DOUBLE" } }]`),
    code: 1,
    says: ['table "t", column "x" (DOUBLE): DOUBLE cannot hold "123456789012345678901234567890" exactly (it is beyond ±2^53) and would round it'],
    keepsCheckpoint: true,
  },
  {
    id: "op-date-out-of-range",
    files: after(`op.upsert("t", { id: 2, d: new Date(Date.UTC(12000, 0, 1)) });`, `[{ table: "t", primary_key: ["id"], columns: { d: "NAIVE_DATE" } }]`),
    code: 1,
    says: ['table "t", column "d" (NAIVE_DATE): NAIVE_DATE holds years 0001 to 9999, got a Date in year 12000 (+012000-01-01T00:00:00.000Z)'],
    keepsCheckpoint: true,
  },
  {
    id: "op-utc-datetime-out-of-range",
    files: after(`op.upsert("t", { id: 2, at: "9999-12-31T23:30:00-01:00" });`, `[{ table: "t", primary_key: ["id"], columns: { at: "UTC_DATETIME" } }]`),
    code: 1,
    says: ['table "t", column "at" (UTC_DATETIME): UTC_DATETIME holds years 0001 to 9999 in UTC, and "9999-12-31T23:30:00-01:00" is +010000-01-01T00:30:00.000Z in UTC'],
    keepsCheckpoint: true,
  },
  {
    id: "op-nan-undeclared",
    files: after(`op.upsert("t", { id: 2, v: 1.5 }); op.upsert("t", { id: 3, v: NaN }); op.checkpoint({ n: 2 });`),
    code: 0,
    says: ['table "t", column "v" received NaN, which SQLite cannot store as a number; it is stored as the text "NaN", so the column is STRING. Send null for a missing number.'],
  },
  {
    id: "op-json-too-deep",
    files: after(`let doc: any = 1; for (let i = 0; i < 100000; i++) doc = { a: doc }; op.upsert("t", { id: 2, doc });`),
    code: 1,
    says: ['table "t", column "doc" (JSON): the value is nested more than 1,000 levels deep (at value.a.a.a.a.a.a.a.a…), which SQLite\'s JSON functions cannot read'],
    keepsCheckpoint: true,
  },
  {
    id: "update-returned-before-its-work",
    files: {
      "connector.ts": `import { op } from "connector-sdk";\nasync function syncUsers() { for (let p = 1; p <= 3; p++) { op.upsert("u", { id: p }); await new Promise((r) => setTimeout(r, 20)); op.checkpoint({ page: p }); } }\nexport default { update() { syncUsers(); } };\n`,
    },
    code: 0,
    says: ["Warning: update() returned without waiting for work it started (a timer, a request, a file read) that is still under way, so what that work emits later is lost. If it calls an async function, await it"],
  },
  {
    id: "update-yields-a-row",
    files: { "connector.ts": `import { op } from "connector-sdk";\nexport default { *update() { yield { id: 1 }; op.checkpoint({ n: 1 }); } };\n` },
    code: 0,
    says: ["Warning: update() yielded an object, which is not loaded: the engine runs a generator to its end but drops what it yields. Emit a row with op.upsert(table, row), and the state with op.checkpoint(state)."],
  },
  { id: "init-target-is-file", files: { f: "a file" }, args: ["__command__", "init", "f"], code: 2, says: ["/f is a file, not a folder. Give connector init the name of a new or empty folder for the project."] },
  { id: "init-under-a-file", files: { f: "a file" }, args: ["__command__", "init", "f/sub"], code: 2, says: [/Cannot create \S+\/f\/sub: \S+\/f is a file, not a folder\./] },
  { id: "init-cannot-create", files: {}, args: ["__command__", "init", "/proc/x"], code: 2, says: ["Cannot create /proc/x: the file system refuses to create it there (ENOENT). Choose a folder you can write to."] },
  { id: "init-unwritable", files: {}, args: ["__command__", "init", "/sys/x"], code: 2, says: ["Cannot create /sys/x: ", "Choose a folder you can write to."] },
  { id: "state-set-file-malformed", files: { ...ok, "bad.json": '{"cursor": ' }, args: ["__command__", "state", "set", "--file", "bad.json"], code: 2, says: ["bad.json is not valid JSON (line 1, column 12: ", "Fix it, then run the command again."] },
  { id: "state-file-infinite", files: { ...ok, "files/state.json": '{"e": 1e400}' }, code: 2, says: ["state.e is a number beyond the largest double (about ±1.8e308), which JavaScript reads as Infinity and no checkpoint can hold. Store it as a string.", "connector reset"] },
  { id: "config-not-text", files: { ...ok, "configuration.json": '{\u0000"\u0000a\u0000"\u0000}\u0000' }, code: 2, says: ["configuration.json holds NUL bytes: it is not UTF-8 text (UTF-16 without a byte-order mark, or a binary file?). Save it as UTF-8."] },
  { id: "verify-seed-out-of-range", files: ok, args: ["__command__", "verify", "--seed", "99999999999999999999"], code: 2, says: ['--seed takes a whole number from 0 to 4294967295, got "99999999999999999999"'] },
  {
    id: "run-no-destination",
    files: ok,
    args: ["__command__", "run"],
    code: 2,
    says: ["connector run needs a destination: pass --destination <url>, set CONNECTOR_DESTINATION, or write destination.json in"],
  },
  {
    id: "run-destination-not-a-url",
    files: ok,
    args: ["__command__", "run", "--destination", "mysql://u:hunter22@h/db"],
    code: 2,
    says: ['--destination must be a destination URL (postgres://user@host:5432/database?schema=name, duckdb:<file> or sqlite:<file>) or a destination JSON file, got "mysql://u:***@h/db"'],
  },
  {
    id: "run-destination-unknown-parameter",
    files: ok,
    args: ["__command__", "run", "--destination", "postgres://u:hunter22@h/db?colour=red"],
    code: 2,
    says: ['--destination: unknown parameter "colour" in postgres://u:***@h/db?colour=red; the parameters are schema, sslmode, host, port, user, dbname'],
  },
  {
    id: "run-destination-password-parameter",
    files: ok,
    args: ["__command__", "run", "--destination", "postgres://u@h/db?password=hunter22&schema=s", "--log-format", "json"],
    code: 2,
    says: [
      `--destination: unknown parameter "password" in postgres://u@h/db?password=***&schema=s; the parameters are schema, sslmode, host, port, user, dbname. The password goes in the URL (postgres://user:password@host/database), in the variable that destination.json's password_env names, in PGPASSWORD or in ~/.pgpass`,
    ],
  },
  {
    id: "run-destination-keyword-string",
    files: ok,
    args: ["__command__", "run"],
    env: { CONNECTOR_DESTINATION: "host=db dbname=app password='hunter22 x'" },
    code: 2,
    says: [`CONNECTOR_DESTINATION must be a destination URL (postgres://user@host:5432/database?schema=name, duckdb:<file> or sqlite:<file>) or a destination JSON file, got "host=db dbname=app password=***"; libpq's keyword form (host=… dbname=…) is not taken: write it as a URL`],
  },
  {
    id: "run-destination-password-ambiguous",
    files: ok,
    args: ["__command__", "run", "--destination", "postgres://u:hun@ter22/x@h/db"],
    code: 2,
    says: ["--destination has an @ after its host, so its password cannot be told apart: postgres://u:***@h/db. Percent-encode any @ : / ? # or % in the password (@ is %40, / is %2F), or put the password in PGPASSWORD"],
  },
  { id: "run-destination-sslmode", files: ok, args: ["__command__", "run", "--destination", "postgres://h/db?sslmode=always"], code: 2, says: ['--destination: sslmode must be one of disable, allow, prefer, require, no-verify, verify-ca, verify-full, got "always"'] },
  { id: "run-destination-port", files: ok, args: ["__command__", "run", "--destination", "postgres://h/db?port=abc"], code: 2, says: ['--destination: the port must be a number from 1 to 65535, got "abc"'] },
  {
    id: "run-schema-name-too-long",
    files: ok,
    args: ["__command__", "run", "--destination", `postgres://h/db?schema=${"s".repeat(64)}`],
    code: 2,
    says: [`--destination: the schema name "${"s".repeat(64)}" is 64 bytes long; PostgreSQL names hold at most 63`],
  },
  {
    id: "run-schema-reserved",
    files: ok,
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=pg_data"],
    code: 2,
    says: ['--destination: the schema name "pg_data" starts with pg_, which PostgreSQL reserves for its system schemas; choose another name with ?schema= (such as ?schema=data)'],
  },
  {
    id: "run-password-env-unset",
    files: ok,
    setup: (d) => fs.writeFileSync(path.join(d, "destination.json"), JSON.stringify({ url: `postgres://postgres@${server().host}:${server().port}/${server().database}?schema=cat_pw_env`, password_env: "NO_SUCH_PASSWORD_VAR" })),
    args: ["__command__", "run", "--retries", "2"],
    env: { PGPASSWORD: "", PGPASSFILE: "/nonexistent/pgpass" },
    code: 2,
    says: [/asks for a password, and none was given\. .* else the variable that destination\.json's password_env names \(NO_SUCH_PASSWORD_VAR, which is not set\), else PGPASSWORD, else ~\/\.pgpass; none of them holds one\./],
  },
  {
    id: "run-password-missing",
    files: ok,
    args: ["__command__", "run", "--destination", "postgres://postgres@__pg__/t_errors?schema=cat_no_pw", "--retries", "2"],
    env: { PGPASSWORD: "", PGPASSFILE: "/nonexistent/pgpass" },
    code: 2,
    says: [
      /Error: PostgreSQL at 127\.0\.0\.1:\d+ \(database "t_errors", user "postgres"\) asks for a password, and none was given\. The password comes from the URL \(postgres:\/\/postgres:<password>@…, percent-encoded\), else the variable that destination\.json's password_env names, else PGPASSWORD, else ~\/\.pgpass; none of them holds one\./,
    ],
  },
  {
    id: "run-schema-nul",
    files: ok,
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=a%00b", "--retries", "2"],
    code: 2,
    says: ['--destination: the schema name "a\\u0000b" holds a NUL character (%00), which PostgreSQL cannot hold in a name; remove it from the URL'],
  },
  {
    id: "run-destination-not-utf8",
    files: ok,
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=a%FFb"],
    code: 2,
    says: ['--destination: the value of "schema" is not valid percent-encoded UTF-8 text; PostgreSQL names are UTF-8, so encode each character as its UTF-8 bytes (ü is %C3%BC)'],
  },
  { id: "run-destination-file-malformed", files: { ...ok, "destination.json": "{ url: }" }, args: ["__command__", "run"], code: 2, says: [/destination\.json is not valid JSON \(line 1, column \d+: /] },
  {
    id: "run-destination-file-unknown-key",
    files: { ...ok, "destination.json": JSON.stringify({ url: "postgres://etl@h/db", password: "hunter22" }) },
    args: ["__command__", "run"],
    code: 2,
    says: ['destination.json: unknown key "password"; the keys are url and password_env'],
  },
  { id: "run-destination-file-no-url", files: { ...ok, "destination.json": "{}" }, args: ["__command__", "run"], code: 2, says: ['destination.json needs a "url": postgres://user@host:5432/database?schema=name, duckdb:<file> or sqlite:<file>'] },
  { id: "run-destination-file-missing", files: ok, args: ["__command__", "run", "--destination", "prod.json"], code: 2, says: ["Destination file not found:", "prod.json"] },
  { id: "run-log-format-unknown", files: ok, args: ["__command__", "run", "--destination", "sqlite:w.db", "--log-format", "xml"], code: 2, says: ['--log-format must be "plain" or "json", got "xml"'] },
  { id: "run-retries-invalid", files: ok, args: ["__command__", "run", "--destination", "sqlite:w.db", "--retries", "many"], code: 2, says: ['--retries takes a whole number from 0 to 100, got "many"'] },
  { id: "run-name-empty", files: ok, args: ["__command__", "run", "--destination", "sqlite:w.db", "--name", " "], code: 2, says: ["--name must not be empty"] },
  {
    id: "debug-destination-is-url",
    files: ok,
    env: { CONNECTOR_DESTINATION: "postgres://u:hunter22@h/db" },
    code: 2,
    says: ['CONNECTOR_DESTINATION names a destination (postgres://u:***@h/db), which is where `connector run` writes; this command writes to the project\'s files/: "sqlite" or "duckdb".'],
  },
  { id: "state-destination-file", files: ok, args: ["__command__", "state", "show", "--destination", "duckdb:w.duckdb"], code: 2, says: ["connector state works on a state file or a PostgreSQL destination;"] },
  { id: "verify-destination-file", files: ok, args: ["__command__", "verify", "--destination", "sqlite:w.db"], code: 2, says: ["verify --destination takes sqlite, duckdb or a PostgreSQL URL;", "verify never writes to a real warehouse file"] },
  {
    id: "run-connection-refused",
    files: ok,
    args: ["__command__", "run", "--destination", "postgres://postgres:hunter22@127.0.0.1:9/postgres"],
    code: 1,
    says: ['Sync FAILED: Cannot connect to PostgreSQL at 127.0.0.1:9 (database "postgres", user "postgres"): connection refused (ECONNREFUSED). Is the server running and listening on 127.0.0.1:9?'],
  },
  {
    id: "inspect-connection-refused",
    files: ok,
    args: ["__command__", "state", "show", "--destination", "postgres://postgres:hunter22@127.0.0.1:9/postgres"],
    code: 1,
    says: ['Error: Cannot connect to PostgreSQL at 127.0.0.1:9 (database "postgres", user "postgres"): connection refused (ECONNREFUSED)'],
  },
  {
    id: "run-password-authentication-failed",
    files: ok,
    args: ["__command__", "run", "--destination", "postgres://postgres:wrong-pass-5@__pg__/t_errors"],
    code: 2,
    says: [/PostgreSQL at 127\.0\.0\.1:\d+ \(database "t_errors", user "postgres"\) refused the login: password authentication failed for user "postgres"\. Check the user and the password/],
  },
  {
    id: "run-ssl-not-supported",
    files: ok,
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?sslmode=require"],
    code: 2,
    says: [/Error: PostgreSQL at 127\.0\.0\.1:\d+ \(database "t_errors", user "postgres"\) does not accept SSL connections, and the URL's sslmode \(or PGSSLMODE\) requires SSL\. Use sslmode=disable or sslmode=prefer to connect without SSL, or turn SSL on in the server\./],
  },
  {
    id: "run-database-missing",
    files: ok,
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/nowhere"],
    code: 2,
    says: [/PostgreSQL at 127\.0\.0\.1:\d+ \(database "nowhere", user "postgres"\): database "nowhere" does not exist\. Create it \(CREATE DATABASE "nowhere"\) or fix the database in the URL\./],
  },
  {
    id: "run-permission-denied-schema",
    files: ok,
    setup: async () => {
      await server().sql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'catalogue') THEN CREATE ROLE catalogue LOGIN PASSWORD 'hunter22'; END IF; END $$");
      await server().sql("CREATE SCHEMA IF NOT EXISTS locked");
    },
    args: ["__command__", "run", "--destination", "postgres://catalogue:hunter22@__pg__/t_errors?schema=locked"],
    code: 2,
    says: [/\(database "t_errors", user "catalogue"\): permission denied for schema locked\. The user needs USAGE and CREATE on schema "locked" \(GRANT USAGE, CREATE ON SCHEMA "locked" TO "catalogue"\)/],
  },
  {
    id: "run-lock-held",
    files: ok,
    setup: () => holdLock("cat_lock", "held"),
    cleanup: () => releaseLocks(),
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_lock", "--name", "held"],
    code: 2,
    says: [/Another run of connector "held" is writing to postgres:\/\/postgres@127\.0\.0\.1:\d+\/t_errors\?schema=cat_lock: another session \(backend pid \d+.*\) holds its lock\. Wait for it to finish; two runs of one connector at once would interleave their checkpoints\. If that run's machine is gone, end its session: SELECT pg_terminate_backend\(\d+\);/],
  },
  {
    id: "state-edit-while-running",
    files: ok,
    setup: () => holdLock("cat_edit", "held"),
    cleanup: () => releaseLocks(),
    args: ["__command__", "state", "set", "n", "2", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_edit", "--name", "held"],
    code: 2,
    says: [/Connector "held" is running in postgres:\/\/postgres@127\.0\.0\.1:\d+\/t_errors\?schema=cat_edit: another session .* holds its lock\. Wait for the run to finish, then try again\./],
  },
  {
    id: "state-set-unknown-connector",
    files: after(""),
    setup: (d) => priorRun(d, "cat_names", "first"),
    args: ["__command__", "state", "set", "n", "2", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_names", "--name", "frist"],
    code: 2,
    says: [/No state for connector "frist" in postgres:\/\/postgres@127\.0\.0\.1:\d+\/t_errors\?schema=cat_names: it holds the state of "first"\. Check --name \(the default is the project folder's name\), or seed a first run with `connector run --state <file>`\./],
  },
  {
    id: "run-table-of-another-connector",
    files: after(""),
    setup: (d) => priorRun(d, "cat_owner", "first"),
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_owner", "--name", "second"],
    code: 1,
    says: [/table "t" in postgres:\/\/postgres@127\.0\.0\.1:\d+\/t_errors\?schema=cat_owner belongs to connector "first"\. Connectors that share a schema need different table names; give this one its own schema \(\?schema=…\)\./],
  },
  {
    id: "run-table-not-made-by-connector",
    files: after(""),
    setup: async () => {
      await server().sql("CREATE SCHEMA IF NOT EXISTS cat_theirs; CREATE TABLE IF NOT EXISTS cat_theirs.t (id int)");
    },
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_theirs"],
    code: 1,
    says: [/a table "t" already exists in postgres:\/\/postgres@127\.0\.0\.1:\d+\/t_errors\?schema=cat_theirs, and connector-sdk did not make it for connector ".*"\. Drop or rename it, or write to another schema/],
  },
  {
    id: "run-name-too-long",
    files: after(`op.upsert("t", { id: 2, ${"c".repeat(64)}: 1 });`),
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_long"],
    code: 1,
    says: [`the column name "${"c".repeat(64)}" in table "t" is 64 bytes long, and PostgreSQL keeps only the first 63 bytes of a name (it would cut it silently, and two long names could become one). Give it a shorter name in the connector.`],
  },
  // The limit DuckDB declares (destinations/duckdb/index.ts), enforced by normalize before DuckDB sees the name.
  {
    id: "duckdb-name-too-long",
    files: after(`op.upsert("t", { id: 2, ${"c".repeat(256)}: 1 });`),
    env: { CONNECTOR_DESTINATION: "duckdb" },
    code: 1,
    says: [`the column name "${"c".repeat(256)}" in table "t" is 256 bytes long, and DuckDB takes names of at most 255 bytes. Give it a shorter name in the connector.`],
  },
  {
    id: "run-nul-character",
    files: after(`op.upsert("t", { id: 2, v: "a\\u0000b" }); op.checkpoint({ n: 2 });`),
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_nul"],
    code: 1,
    says: ['table "t", column "v": the value holds a NUL character (\\u0000), which PostgreSQL cannot store in text; remove it in the connector (value.replaceAll("\\u0000", ""))'],
  },
  {
    id: "run-nul-in-json",
    files: after(`op.upsert("t", { id: 2, doc: { tags: ["ok", "a\\u0000b"] } }); op.checkpoint({ n: 2 });`, `[{ table: "t", primary_key: ["id"], columns: { id: "INT", doc: "JSON" } }]`),
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_nul_json"],
    code: 1,
    says: ['table "t", column "doc" (JSON): value.tags[1] holds a NUL character (\\u0000), which PostgreSQL cannot store in jsonb; remove it in the connector (replaceAll("\\u0000", "") on that string)'],
  },
  {
    id: "run-nul-in-json-key",
    files: after(`op.upsert("t", { id: 2, doc: { "k\\u0000": 1 } }); op.checkpoint({ n: 2 });`, `[{ table: "t", primary_key: ["id"], columns: { id: "INT", doc: "JSON" } }]`),
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_nul_key"],
    code: 1,
    says: ['table "t", column "doc" (JSON): the key "k\\u0000" in the value holds a NUL character (\\u0000), which PostgreSQL cannot store in jsonb; remove it from the key in the connector'],
  },
  {
    id: "inspect-destination-empty",
    files: ok,
    args: ["__command__", "inspect", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_empty"],
    code: 2,
    says: [/Nothing in postgres:\/\/postgres@127\.0\.0\.1:\d+\/t_errors\?schema=cat_empty yet: no connector has run there \(no _connector_columns table\)\. Run `connector run` first\./],
  },
  // connector ui (issue 24): each fails before it serves anything.
  { id: "ui-port-invalid", files: ok, args: ["__command__", "ui", "--no-open", "--port", "http"], code: 2, says: ['--port takes a port number from 0 to 65535 (0: any free port), got "http"'] },
  { id: "ui-host-not-here", files: ok, args: ["__command__", "ui", "--no-open", "--port", "0", "--host", "203.0.113.7"], code: 2, says: ["Cannot serve on 203.0.113.7: it is not an address of this machine."] },
  {
    id: "ui-warehouse-unreadable",
    files: { ...ok, "files/warehouse.db": "this is not a database, just some bytes ".repeat(200) },
    args: ["__command__", "ui", "--no-open", "--port", "0"],
    code: 2,
    says: ["Cannot show this project:", "file is not a database"],
  },
  { id: "ui-no-connector", files: { "README.md": "" }, args: ["__command__", "ui", "--no-open", "--port", "0"], code: 2, says: ["No connector in"] },
  // issue 25: the state schema's undeclared keys, a missing --state file's way out, a thrown value placed.
  {
    id: "checkpoint-undeclared-key",
    files: { "connector.ts": `import { Connector, op } from "connector-sdk";\nimport { z } from "zod";\nexport default new Connector({ state: z.object({ last_updated_at: z.string().default("2000-01-01") }), update() { op.checkpoint({ last_updated: "2024-01-01" }); } });\n` },
    code: 1,
    says: [`op.checkpoint: the state does not match the connector's state schema:`, `key "last_updated" is not declared by the state schema, which would drop it (did you mean "last_updated_at"?)`],
  },
  {
    id: "state-set-undeclared-key",
    files: { "connector.ts": `import { Connector, op } from "connector-sdk";\nimport { z } from "zod";\nexport default new Connector({ state: z.object({ cursor: z.string().default("") }), update(c, s) { op.checkpoint(s); } });\n` },
    args: ["__command__", "state", "set", "note", "hello"],
    code: 0,
    says: [`Warning: key "note" is not declared by the state schema of connector.ts (did you mean "cursor"?), so update() will not see it`],
  },
  { id: "update-throws-string", files: after(`throw "API returned garbage";`), code: 1, says: ['Sync FAILED: the connector threw a non-Error value: "API returned garbage"', /at update \(.*connector\.ts:\d+\)/], keepsCheckpoint: true },

  // Found by the adversarial tester (attack branch).
  {
    id: "run-system-column",
    files: after(`op.upsert("t", { id: 2, xmin: 1 }); op.checkpoint({ n: 2 });`),
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_xmin"],
    code: 1,
    says: ['the column name "xmin" in table "t" is one of PostgreSQL\'s system columns (tableoid, xmin, cmin, xmax, cmax, ctid), which it refuses in a table. Give it another name in the connector ("xmin_", say).'],
  },
  {
    id: "run-password-env-not-a-name",
    files: ok,
    setup: (d) => fs.writeFileSync(path.join(d, "destination.json"), JSON.stringify({ url: `postgres://postgres@${server().host}:${server().port}/${server().database}?schema=cat_pw_typo`, password_env: "hunter22!x" })),
    args: ["__command__", "run"],
    code: 2,
    says: ['destination.json: "password_env" holds the name of the environment variable that holds the password (letters, digits and _, such as WAREHOUSE_PASSWORD), and its value is no such name (not shown, in case it is the password itself: put that in the variable)'],
  },
  {
    id: "run-password-env-lowercase",
    files: ok,
    setup: (d) => fs.writeFileSync(path.join(d, "destination.json"), JSON.stringify({ url: `postgres://postgres@${server().host}:${server().port}/${server().database}?schema=cat_pw_lower`, password_env: "hunter22" })),
    args: ["__command__", "run"],
    env: { PGPASSWORD: "", PGPASSFILE: "/nonexistent/pgpass" },
    code: 2,
    says: ["else the variable that destination.json's password_env names (which is not set), else PGPASSWORD"],
  },
  // A destination's writer thread that cannot load what it needs (issue: it hung the sync, or ended it with Node's own trace).
  {
    id: "destination-client-unloadable",
    files: { ...ok, ...brokenLoad("client") },
    args: ["--destination", "duckdb"],
    env: { NODE_OPTIONS: "--import ./break.mjs" },
    code: 2,
    says: ["Error: Cannot load the DuckDB destination's database client: libduckdb.so: cannot open shared object file: No such file or directory"],
  },
  {
    id: "destination-writer-unstartable",
    files: { ...ok, ...brokenLoad("writer") },
    args: ["__command__", "run", "--destination", "postgres://postgres:__pgpw__@__pg__/t_errors?schema=cat_writer"],
    env: { NODE_OPTIONS: "--import ./break.mjs" },
    code: 2,
    says: ["Error: Cannot start the PostgreSQL destination's writer thread: Cannot find module './protocol.js' (a damaged install)"],
  },
  {
    // inspect reads a DuckDB warehouse in the CLI's own thread: a client that cannot load is the install's fault, and
    // the warehouse's advice (move it away, connector reset) would lose good data.
    id: "inspect-client-unloadable",
    files: { ...ok, ...brokenLoad("client", { mainThread: true }) },
    setup: (d) => priorSync(d, { duckdb: true }),
    args: ["__command__", "inspect"],
    env: { NODE_OPTIONS: "--import ./break.mjs" },
    code: 2,
    says: ["Error: Cannot load the DuckDB destination's database client: libduckdb.so: cannot open shared object file: No such file or directory", /^(?![\s\S]*(connector reset|damaged))/],
  },
  {
    id: "reset-table-writer-unstartable",
    files: { ...ok, ...brokenLoad("writer") },
    setup: (d) => priorSync(d, { duckdb: true }),
    args: ["__command__", "reset", "--table", "t", "--yes"],
    env: { NODE_OPTIONS: "--import ./break.mjs" },
    code: 2,
    says: ["Error: Cannot start the DuckDB destination's writer thread: Cannot find module './protocol.js' (a damaged install)"],
  },
  {
    id: "connector-near-miss",
    files: { "Connector.ts": ok["connector.ts"] },
    code: 2,
    says: ["No connector in", "Connector.ts is there, but file names are case-sensitive here: rename it connector.ts."],
  },

  // connector-sdk/http (issue 22): a RestClient made or used against a local API scripted to fail.
  ...httpCases(),
];

describe("the bad-input catalogue (docs/errors.md)", () => {
  it("has at least 30 entries, every one documented with its exit code", () => {
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CATALOGUE.map((c) => c.id)).size).toBe(CATALOGUE.length);
    const doc = fs.readFileSync(path.join(ROOT, "docs", "errors.md"), "utf8");
    for (const c of CATALOGUE) expect(doc, c.id).toMatch(new RegExp(`^\\| \`${c.id}\` \\|.*\\| ${c.code} \\|$`, "m"));
  });

  for (const c of CATALOGUE) {
    if (inProcess(c)) {
      it(`${c.id}: exit ${c.code} (in-process, through runSync)`, () => engineRow(c));
      if (!SPAWNED_SAMPLES.has(c.id)) continue;
    }
    it(`${c.id}: exit ${c.code}`, async (t) => {
      const dir = makeProject(c.files);
      if (c.cleanup) t.onTestFinished(() => c.cleanup!(dir));
      await c.setup?.(dir);
      const stateFile = path.join(dir, "files", "state.json");
      const stateBefore = fs.existsSync(stateFile) ? fs.readFileSync(stateFile, "utf8") : undefined;
      const args = (c.args?.[0] === "__command__" ? c.args.slice(1) : ["debug", ...(c.args ?? [])]).map(withServer);
      const r = c.interrupts ? await interrupted(args, dir, c.interrupts, c.env) : await cli(args, { cwd: dir, env: c.env });
      // No password of a destination URL is ever printed.
      for (const secret of ["hunter22", "wrong-pass-5", server().password]) expect(r.stdout + r.stderr).not.toContain(secret);
      expect(r.exitCode, r.stderr).toBe(c.code);
      // Under --log-format json every line is a JSON object on stdout: what it says is in its message.
      const jsonLines = args.some((a, i) => a === "--log-format=json" || (a === "--log-format" && args[i + 1] === "json"));
      const said = jsonLines ? r.stdout.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { message?: string }).message ?? "").join("\n") : r.stderr;
      if (jsonLines) expect(r.stderr).toBe("");
      for (const s of c.says) {
        if (typeof s === "string") expect(said).toContain(s);
        else expect(said).toMatch(s);
      }
      // No raw stack trace of connector-sdk's own code, nor the frames of Node's own built-ins in its place.
      expect(r.stderr).not.toContain(path.join(ROOT, "dist"));
      if (c.id.startsWith("schema-")) expect(r.stderr).not.toContain("(<anonymous>)");
      expect(r.stderr).not.toMatch(/node_modules[\\/](jiti|commander|better-sqlite3)/);
      if (stateBefore !== undefined) expect(fs.readFileSync(stateFile, "utf8")).toBe(stateBefore);
      if (c.keepsCheckpoint) {
        expect(readState(dir)).toEqual({ n: 1 });
        expect(query(dir, "SELECT id FROM t")).toEqual([{ id: 1 }]);
      }
    });
  }
});

/**
 * The engine's refusals (rows op-*, schema-*, checkpoint-*, naming-*, update-*, table-*, and the
 * SQLite rebuilds' rebuild-*) come from extract/, normalize/, sync/ and the destination, and the
 * errors of connector-sdk/http (http-*) from the connector's own calls, all of which runSync()
 * runs in this process through the same
 * runConnectorSync as `connector debug`: each is proved there, with the same message, in
 * milliseconds instead of a spawned CLI. What the CLI adds (the exit code's mapping, the
 * "Sync FAILED:" and "Warning:" prefixes, no stack trace of its own, no secret) is proved by
 * the rows about the CLI itself, and by one spawned sample of the engine rows per exit code.
 */
const ENGINE = /^(op|schema|checkpoint|naming|update|table|rebuild|http)-/;
/**
 * Engine rows that stay spawned: their text is the CLI's rendering (a cause chain, the schema's
 * source locations, the way out with `connector reset --table`), their heuristic watches the
 * process's own handles (a test runner has its own), or they send a million operations, which a
 * worker runs faster than runSync's shared mode.
 */
const RENDERED_BY_CLI = new Set([
  "update-error-with-cause",
  "schema-many-problems",
  "schema-problem-not-placed",
  "schema-type-change-value-does-not-fit",
  "schema-type-changed",
  "naming-source-existing-table-case",
  "update-emits-nothing",
  "update-returned-before-its-work",
  "op-truncate-too-many",
  "update-throws-string", // the place of a thrown non-Error: the in-process run reads its stack differently
  "http-side-store-unwritable", // files/http-secrets.json is the CLI's side store; runSync keeps none
  "http-credentials-withheld", // these two say it in a log line of the connector's own, which the CLI prints
  "http-resume-unusable",
  "http-body-integers-rounded",
]);
/**
 * A destination's refusals of what the connector sent (PostgreSQL's names, NUL characters and tables it did not
 * make; DuckDB's name length), asserted on the destination's own message: synced in-process into the same
 * destination (`connector run --destination <url>`'s URL, or the project's files/warehouse.duckdb). What
 * `connector run` adds is proved by the spawned rows that keep it (run-table-of-another-connector, with --name;
 * run-connection-refused; the usage errors, exit 2).
 */
const DESTINATION_REFUSALS = new Set(["run-name-too-long", "run-nul-character", "run-nul-in-json", "run-nul-in-json-key", "run-system-column", "run-table-not-made-by-connector", "duckdb-name-too-long"]);
const inProcess = (c: Case): boolean =>
  DESTINATION_REFUSALS.has(c.id) ||
  (ENGINE.test(c.id) && !RENDERED_BY_CLI.has(c.id) && (c.code === 0 || c.code === 1) && !c.env && !c.interrupts && !c.args?.some((a, i) => a.startsWith("-") && !(a === "--naming" && c.args?.[i + 1])));
/** One engine row per exit code also runs through the spawned CLI, and one of the http rows (its query's secret masked in the CLI's output). */
const SPAWNED_SAMPLES = new Set(["op-empty-table-name", "op-warning-many-messages", "http-not-retried"]);

/** Where an in-process row syncs: its `--destination` URL, DuckDB for CONNECTOR_DESTINATION=duckdb, else the project's SQLite warehouse. */
function targetOf(c: Case, dir: string): { warehouse: string } | { destination: string; name: string } {
  const url = c.args?.[c.args.indexOf("--destination") + 1];
  if (c.args?.[0] === "__command__" && c.args[1] === "run" && url) return { destination: withServer(url), name: path.basename(dir) };
  if (c.env?.CONNECTOR_DESTINATION === "duckdb") return { destination: `duckdb:${path.join(dir, "files", "warehouse.duckdb")}`, name: path.basename(dir) };
  return { warehouse: path.join(dir, "files", "warehouse.db") };
}

/** An engine row in-process: the connector loaded as the CLI loads it, synced by runSync() into the project's files/ (or the row's destination), the same texts asserted. */
async function engineRow(c: Case): Promise<void> {
  const dir = makeProject(c.files);
  onTestFinished(() => c.cleanup?.(dir));
  await c.setup?.(dir);
  const file = (name: string): unknown => (fs.existsSync(path.join(dir, name)) ? JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) : undefined);
  const naming = c.args?.includes("--naming") ? (c.args[c.args.indexOf("--naming") + 1] as Naming) : undefined;
  fs.mkdirSync(path.join(dir, "files"), { recursive: true });
  const definition = await loadConnector(path.join(dir, "connector.ts"));
  const outcome = await runSync(definition, {
    ...targetOf(c, dir),
    state: (file("files/state.json") ?? {}) as Record<string, unknown>,
    configuration: file("configuration.json") ?? {},
    ...(naming ? { naming } : {}),
  }).then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => {
      if (!(error instanceof SyncError)) throw error;
      return { result: error.result, error };
    },
  );
  try {
    // Exit 1 is a failed sync, exit 0 a successful one.
    expect(outcome.error === undefined ? 0 : 1, outcome.error?.message).toBe(c.code);
    const said = [outcome.error?.message ?? "", ...outcome.result.warnings].join("\n");
    // No password of a destination URL is ever said.
    for (const secret of ["hunter22", "wrong-pass-5", server().password]) expect(said).not.toContain(secret);
    for (const s of c.says) {
      if (s === "Sync SUCCEEDED") expect(outcome.error).toBeUndefined();
      else if (typeof s === "string") expect(said).toContain(s.replace(/^(Sync FAILED|Warning): /, ""));
      else expect(said).toMatch(s);
    }
    if (c.keepsCheckpoint) {
      expect(outcome.result.state).toEqual({ n: 1 });
      expect(outcome.result.rows("t").map((r) => ({ id: r.id }))).toEqual([{ id: 1 }]);
    }
  } finally {
    outcome.result.close();
  }
}

/** Sessions that hold a connector's advisory lock, as a run in progress would. */
const holders: pg.Client[] = [];

async function holdLock(schema: string, name: string): Promise<void> {
  const client = new pg.Client({ host: server().host, port: server().port, user: "postgres", password: server().password, database: server().database });
  await client.connect();
  holders.push(client);
  await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [`connector-sdk/${schema}/${name}`]);
}

function releaseLocks(): void {
  for (const c of holders.splice(0)) void c.end();
}

/** A successful sync into a schema of the test server as connector `name`, as `connector run --name <name>` would make it, before the case's own run. */
const priorRun = async (dir: string, schema: string, name: string): Promise<void> => void (await priorSyncInto(dir, server().url(server().database, schema), { name }));

/** As after(), then logs "spinning" and runs `body`, which never returns: for the Ctrl-C rows. */
function afterThenStuck(body: string): Record<string, string> {
  return {
    "connector.ts": `import { op, log } from "connector-sdk";
import { execFileSync } from "node:child_process";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  ${body.includes("await") ? "async " : ""}update() {
    op.upsert("t", { id: 1 });
    op.checkpoint({ n: 1 });
    op.upsert("t", { id: 2 });
    log.info("spinning");
    ${body}
  },
};
`,
  };
}

/** The errors of connector-sdk/http: each case's connector makes a RestClient with `options` and runs `call`, against an API answering `script`. */
function httpCases(): Case[] {
  const servers = new Map<string, ScriptedApi>();
  const one = (id: string, options: string, call: string, script: (r: Seen) => Reply, says: (string | RegExp)[]): Case => ({
    id,
    files: {
      "connector.ts": `import { op } from "connector-sdk";
import { RestClient } from "connector-sdk/http";
export default {
  async update(configuration: Record<string, string>) {
    const api = new RestClient({ baseUrl: configuration.base_url, ${options} } as never);
    ${call};
    op.checkpoint({ n: 1 });
  },
};
`,
    },
    setup: async (d) => {
      const a = await scriptedApi(script);
      servers.set(d, a);
      fs.writeFileSync(path.join(d, "configuration.json"), JSON.stringify({ base_url: a.url, token_url: `${a.url}/token` }));
    },
    cleanup: (d) => void servers.get(d)?.close(),
    code: 1,
    says,
  });
  const json = (body: unknown): Reply => ({ body });
  const get = `await api.get("/items")`;
  const pages = (o: string) => `for await (const page of api.paginate("/items", ${o})) op.upsert("items", { n: page.number })`;
  return [
    one("http-unknown-paginator", `paginator: { type: "scroll" }`, get, () => json([]), ['RestClient option paginator.type: "scroll" is not a paginator type. Valid types: next-url, link-header, cursor, offset, page.']),
    one("http-unknown-auth", `auth: { type: "digest" }`, get, () => json([]), ['RestClient option auth.type: "digest" is not an auth type. Valid types: bearer, api-key, basic, oauth2-client-credentials, oauth2-refresh-token.']),
    one("http-missing-option", `auth: { type: "oauth2-client-credentials", clientId: "c", clientSecret: "s3cret-value" }`, get, () => json([]), [
      'RestClient option auth.tokenUrl is missing: an auth of type "oauth2-client-credentials" needs tokenUrl, clientId, clientSecret.',
    ]),
    one("http-bad-option", `retry: { attempts: 0 }`, get, () => json([]), ["RestClient option retry.attempts: 0 is not a positive whole number."]),
    one("http-gave-up", `retry: { attempts: 2, baseDelayMs: 1 }`, get, () => ({ status: 503, body: "down for maintenance" }), [
      /GET http:\/\/127\.0\.0\.1:\d+\/items answered 503 Service Unavailable after 2 attempt\(s\) \(retry\.attempts: 2\): "down for maintenance"/,
    ]),
    one("http-not-retried", ``, `await api.get("/items", { query: { api_key: "k-123456789" } })`, () => ({ status: 403, body: { error: "forbidden" } }), [
      /GET http:\/\/127\.0\.0\.1:\d+\/items\?api_key=\*\*\* answered 403 Forbidden, not retried \(a 403 fails at once\)/,
    ]),
    one("http-network-error", `retry: { attempts: 2, baseDelayMs: 1 }`, get, () => ({ drop: true }), [
      /GET http:\/\/127\.0\.0\.1:\d+\/items failed after 2 attempt\(s\) \(retry\.attempts\): fetch failed \(/,
    ]),
    one("http-not-json", ``, get, () => ({ body: "<html>Sign in</html>", headers: { "content-type": "text/html" } }), [
      /The body of GET http:\/\/127\.0\.0\.1:\d+\/items is not JSON \(content type: text\/html\): "<html>Sign in<\/html>"/,
    ]),
    one("http-items-missing", ``, pages(`{ items: "data.users" }`), () => json({ data: { people: [] }, total: 0 }), [
      /The items path "data\.users" is missing in the body of http:\/\/127\.0\.0\.1:\d+\/items; data has the keys: people\. Set items to the dotted path of the list\./,
    ]),
    one("http-items-unknown", ``, pages(`{}`), () => json({ a: [1], b: [2] }), [/Cannot tell where the items are in the body of .*\/items: it is object with the keys: a, b\. Set items to the dotted path of the list\./]),
    one("http-paging-loop", ``, pages(`{ paginator: { type: "next-url", path: "next" } }`), () => json({ data: [1], next: "/items" }), [
      /The next-url paginator gave the same URL again after page 1 of .*\/items: paging would never end\. Check the paginator's path\./,
    ]),
    one(
      "http-token-refused",
      `auth: { type: "oauth2-refresh-token", tokenUrl: configuration.token_url, clientId: "c", refreshToken: "rt-revoked-123456" }`,
      get,
      () => ({ status: 400, body: { error: "invalid_grant" } }),
      [/OAuth2 token request POST http:\/\/127\.0\.0\.1:\d+\/token answered 400: .*invalid_grant.*put a new one in the configuration \(refreshToken\)/],
    ),
    one(
      "http-token-no-access-token",
      `auth: { type: "oauth2-client-credentials", tokenUrl: configuration.token_url, clientId: "c", clientSecret: "s3cret-value" }`,
      get,
      () => json({ token: "x" }),
      [/OAuth2 token request POST http:\/\/127\.0\.0\.1:\d+\/token answered without an access_token \(keys: token\)\./],
    ),
    // iss22-newcomer: credentials stay with their origin; a resume that cannot be used starts the listing over.
    one(
      "http-credentials-withheld",
      `auth: { type: "bearer", token: "tok-123456789abc" }`,
      pages(`{ paginator: { type: "next-url", path: "next" } }`),
      (r) => (r.query.page ? (r.headers.authorization ? json({ data: [] }) : { status: 401, body: { error: "no credentials" } }) : json({ data: [1], next: `http://localhost:${r.headers.host!.split(":")[1]}/items?page=2` })),
      [
        /http:\/\/localhost:\d+\/items\?page=2 is on another origin than http:\/\/127\.0\.0\.1:\d+: requested without the client's credentials, which go to http:\/\/127\.0\.0\.1:\d+ only\./,
        /GET http:\/\/localhost:\d+\/items\?page=2 answered 401 Unauthorized, not retried/,
      ],
    ),
    one(
      "http-token-client-refused",
      `auth: { type: "oauth2-refresh-token", tokenUrl: configuration.token_url, clientId: "c", clientSecret: "wrong-secret-1", refreshToken: "rt-still-good-456" }`,
      get,
      () => ({ status: 401, body: { error: "invalid_client" } }),
      [/OAuth2 token request POST http:\/\/127\.0\.0\.1:\d+\/token answered 401: .*invalid_client.*The client was refused \(invalid_client\): check clientId and clientSecret; the refresh token is not at fault and is kept\./],
    ),
    ((c: Case): Case => ({
      ...c,
      setup: async (d) => {
        await c.setup!(d);
        fs.mkdirSync(path.join(d, "files", "http-secrets.json", "in-the-way"), { recursive: true });
      },
      code: 0,
    }))(
      one(
        "http-side-store-unwritable",
        `auth: { type: "oauth2-refresh-token", tokenUrl: configuration.token_url, clientId: "c", refreshToken: "rt-first-123456" }`,
        get,
        (r) => (r.path === "/token" ? json({ access_token: "at-1234567890", refresh_token: `rt-next-${r.n}-123456`, expires_in: 3600 }) : json({ data: [] })),
        [/a rotated refresh token could not be kept in the side store \(EISDIR.*\): it is committed with the next checkpoint only, so a crash before that checkpoint would lose it and lock the connector out\./],
      ),
    ),
    {
      ...one("http-resume-unusable", ``, pages(`{ paginator: { type: "cursor", path: "next", param: "cursor" }, resume: { cursor: null } }`), () => json({ data: [1], next: null }), [
        /The resume \{"cursor":null\} of http:\/\/127\.0\.0\.1:\d+\/items is not one the cursor paginator can continue from \(it takes \{ "cursor": "…" \}\): paging starts from the first page\./,
      ]),
      code: 0,
    },
    {
      ...one("http-body-integers-rounded", ``, get, () => ({ body: '{"id":1,"id":12345678901234567}' }), [
        /The body of GET http:\/\/127\.0\.0\.1:\d+\/items: Duplicate key 'id' encountered at position \d+; read as JSON\.parse reads it, so an integer beyond ±\(2\^53 − 1\) in it may be rounded\./,
      ]),
      code: 0,
    },
    // iss22-newcomer2: a token endpoint that refuses with a 200 is quoted; an API that ignores the page parameter fails.
    one("http-paging-same-body", ``, pages(`{ paginator: { type: "page" } }`), () => json({ data: [1] }), [
      /The page paginator's page 2 of http:\/\/127\.0\.0\.1:\d+\/items\?page=2 is the same as page 1: the API seems to ignore the query parameter "page": set paginator\.param to the one it pages by, or paginator\.totalPagesPath to where the body gives its page count\. Paging would never end\./,
    ]),
    one(
      "http-token-error-answer",
      `auth: { type: "oauth2-client-credentials", tokenUrl: configuration.token_url, clientId: "c", clientSecret: "s3cret-value" }`,
      get,
      () => json({ error: "invalid_scope", error_description: "scope read:all is not allowed" }),
      [/OAuth2 token request POST http:\/\/127\.0\.0\.1:\d+\/token answered 200 with the error "invalid_scope": "scope read:all is not allowed", and no access_token\. Check clientId, clientSecret and scope\./],
    ),
  ];
}
