import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { cli, hasChild, makeProject, query, readState, releaseFifo, ROOT, startCli, waitFor, type CliResult } from "../helpers.js";

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
  setup?: (dir: string) => void;
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

const many = JSON.stringify(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "v"])));

export const CATALOGUE: Case[] = [
  { id: "config-malformed", files: { ...ok, "configuration.json": '{\n  "a": "1",\n}' }, code: 2, says: ["configuration.json is not valid JSON", "line 3, column 1"] },
  { id: "config-not-object", files: { ...ok, "configuration.json": "[1, 2]" }, code: 2, says: ["must hold a JSON object, found an array"] },
  { id: "config-non-string", files: { ...ok, "configuration.json": '{"page_size": 5}' }, code: 2, says: ["page_size: must be a string, found 5"] },
  { id: "config-too-many-keys", files: { ...ok, "configuration.json": many }, code: 2, says: ["has 101 keys; at most 100"] },
  { id: "config-unreadable", files: ok, setup: (d) => fs.mkdirSync(path.join(d, "conf.json")), args: ["--configuration", "conf.json"], code: 2, says: ["Cannot read configuration file", "conf.json", "EISDIR"] },
  { id: "config-missing-file", files: ok, args: ["--configuration", "missing.json"], code: 2, says: ["Configuration file not found", "missing.json"] },
  { id: "state-corrupt", files: { ...ok, "files/state.json": '{"cursor": ' }, code: 2, says: ["State file", "is not valid JSON", "connector reset"] },
  { id: "state-empty", files: { ...ok, "files/state.json": "" }, code: 2, says: ["is empty; it must hold a JSON object", "connector reset"] },
  { id: "state-not-object", files: { ...ok, "files/state.json": '["a"]' }, code: 2, says: ["must hold a JSON object, found an array", "connector reset"] },
  { id: "state-missing-file", files: ok, args: ["--state", "gone.json"], code: 2, says: ["State file not found", "gone.json"] },
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
  { id: "schema-not-array", files: badSchema(`{ table: "t" }`), code: 1, says: ["schema() must return an array", "got an object"] },
  { id: "schema-missing-table", files: badSchema(`[{ primary_key: ["id"] }]`), code: 1, says: ['entry 0 needs a non-empty "table" name'] },
  { id: "schema-duplicate-table", files: badSchema(`[{ table: "users" }, { table: "users" }]`), code: 1, says: ['declares table "users" twice'] },
  { id: "schema-unknown-type", files: badSchema(`[{ table: "t", columns: { name: "VARCHAR" } }]`), code: 1, says: ['column "name": unknown type "VARCHAR"'] },
  { id: "schema-decimal-without-precision", files: badSchema(`[{ table: "t", columns: { price: "DECIMAL" } }]`), code: 1, says: ["DECIMAL needs a precision and a scale"] },
  { id: "schema-duplicate-column", files: badSchema(`[{ table: "t", columns: { createdAt: "STRING", created_at: "STRING" } }]`), code: 1, says: ['column "created_at" is declared twice'] },
  { id: "schema-primary-key-not-list", files: badSchema(`[{ table: "t", primary_key: "id" }]`), code: 1, says: ['"primary_key" must be a list of column names, got "id"'] },
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
  { id: "timeout-unreadable", files: ok, args: ["--timeout", "soon"], code: 2, says: ['cannot read the duration "soon"'] },
  { id: "reset-without-terminal", files: ok, args: ["__command__", "reset"], code: 2, says: ["Pass --yes"] },
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
    setup: (d) => execFileSync("mkfifo", [path.join(d, "fifo")]),
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
    setup: (d) => execFileSync("mkfifo", [path.join(d, "fifo")]),
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
];

describe("the bad-input catalogue (docs/errors.md)", () => {
  it("has at least 30 entries, every one documented with its exit code", () => {
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CATALOGUE.map((c) => c.id)).size).toBe(CATALOGUE.length);
    const doc = fs.readFileSync(path.join(ROOT, "docs", "errors.md"), "utf8");
    for (const c of CATALOGUE) expect(doc, c.id).toMatch(new RegExp(`^\\| \`${c.id}\` \\|.*\\| ${c.code} \\|$`, "m"));
  });

  for (const c of CATALOGUE) {
    it(`${c.id}: exit ${c.code}`, async (t) => {
      const dir = makeProject(c.files);
      if (c.cleanup) t.onTestFinished(() => c.cleanup!(dir));
      c.setup?.(dir);
      const stateFile = path.join(dir, "files", "state.json");
      const stateBefore = fs.existsSync(stateFile) ? fs.readFileSync(stateFile, "utf8") : undefined;
      const args = c.args?.[0] === "__command__" ? c.args.slice(1) : ["debug", ...(c.args ?? [])];
      const r = c.interrupts ? await interrupted(args, dir, c.interrupts, c.env) : await cli(args, { cwd: dir, env: c.env });
      expect(r.exitCode, r.stderr).toBe(c.code);
      for (const s of c.says) {
        if (typeof s === "string") expect(r.stderr).toContain(s);
        else expect(r.stderr).toMatch(s);
      }
      // No raw stack trace of connector-sdk's own code.
      expect(r.stderr).not.toContain(path.join(ROOT, "dist"));
      expect(r.stderr).not.toMatch(/node_modules[\\/](jiti|commander|better-sqlite3)/);
      if (stateBefore !== undefined) expect(fs.readFileSync(stateFile, "utf8")).toBe(stateBefore);
      if (c.keepsCheckpoint) {
        expect(readState(dir)).toEqual({ n: 1 });
        expect(query(dir, "SELECT id FROM t")).toEqual([{ id: 1 }]);
      }
    });
  }
});

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
