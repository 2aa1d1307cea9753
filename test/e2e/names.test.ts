import { describe, expect, it } from "vitest";
import { cli, logicalTypes, makeProject, query, readState } from "../helpers.js";
import { syncHere } from "../scenarios/destinations.js";

/** A connector whose update() runs `body`; `state` is the state it received. */
const project = (body: string, schema?: string) =>
  makeProject({
    "connector.ts": `import { op } from "connector-sdk";
export default {
${schema ? `  schema: () => ${schema},\n` : ""}  update(configuration: any, state: any) {
${body}
  },
};
`,
  });

/** The first sync commits row 1 of t and state {n: 1}; then `body` runs. Nothing after that checkpoint may land. */
const afterCheckpoint = (body: string, schema?: string) => project(`op.upsert("t", { id: 1, name: "kept" });\nop.checkpoint({ n: 1 });\n${body}`, schema);

const debug = (dir: string, ...args: string[]) => cli(["debug", ...args], { cwd: dir });

/**
 * A clear failure: exit 1, the message in the sync's error and in the CLI's --json report, never SQLite's own
 * words, and the last checkpoint intact. The message is checked where the sync makes it, in this process
 * (syncHere, as `connector debug` syncs), and once through the spawned CLI (`--json`), for its exit code and
 * report; that the CLI prints a failed sync's message on stderr is the error catalogue's (errors.test.ts).
 */
async function expectFailure(dir: string, args: string[], says: string[]): Promise<void> {
  const sqliteWords = /SQLITE_|duplicate column name|already exists|unrecognized token/;
  const r = await syncHere(dir, "sqlite", args.includes("source") ? { naming: "source" } : {});
  expect(r.exitCode, r.stderr).toBe(1);
  for (const s of says) expect(r.stderr).toContain(s);
  expect(r.stderr).not.toMatch(sqliteWords);
  const json = await debug(dir, "--json", ...args);
  expect(json.exitCode).toBe(1);
  const report = JSON.parse(json.stdout) as { status: string; error: string };
  expect(report.status).toBe("failed");
  for (const s of says) expect(report.error).toContain(s);
  expect(report.error).not.toMatch(sqliteWords);
  expect(json.stderr).not.toMatch(sqliteWords);
}

describe("two keys of one row that become one column", () => {
  const cases: [string, string, string[], string?][] = [
    [
      "upsert into an existing table",
      `op.upsert("t", { id: 2, userId: 1, user_id: 2 });`,
      ['op.upsert on table "t": the keys "userId" and "user_id" both become column "user_id"', "one value would overwrite the other"],
    ],
    ["upsert with empty and blank keys", `op.upsert("t", { id: 2, "": "a", " ": "b" });`, ['the keys "" and " " both become column "_"']],
    ["the first row of a new table (createFromRow)", `op.upsert("fresh", { userId: 1, user_id: 2 });`, ['op.upsert on table "fresh": the keys "userId" and "user_id" both become column "user_id"']],
    ["update", `op.update("t", { id: 1, fullName: "a", full_name: "b" });`, ['op.update on table "t": the keys "fullName" and "full_name" both become column "full_name"']],
    ["delete", `op.delete("t", { id: 1, ID: 2 });`, ['op.delete on table "t": the keys "id" and "ID" both become column "id"']],
    [
      "a row holding both spellings after rows that used one each",
      `op.upsert("t", { id: 2, userId: 5 });\nop.upsert("t", { id: 3, user_id: 6 });\nop.upsert("t", { id: 4, userId: 7, user_id: 8 });`,
      ['the keys "userId" and "user_id" both become column "user_id"'],
    ],
  ];
  for (const [name, body, says] of cases) {
    it(`fails ${name}, naming both keys and the column`, async () => {
      const dir = afterCheckpoint(body, `[{ table: "t", primary_key: ["id"] }]`);
      await expectFailure(dir, [], says);
      expect(readState(dir)).toEqual({ n: 1 });
      expect(query(dir, "SELECT id, name FROM t")).toEqual([{ id: 1, name: "kept" }]);
      expect(query(dir, "SELECT name FROM sqlite_master WHERE name = 'fresh'")).toEqual([]);
    });
  }

  it("lets different rows spell a column differently, as Fivetran does: both land in one column", async () => {
    const dir = project(`op.upsert("t", { id: 1, userId: 5 });\nop.upsert("t", { id: 2, user_id: 6 });\nop.checkpoint({});`, `[{ table: "t", primary_key: ["id"] }]`);
    const r = await debug(dir);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(query(dir, "SELECT id, user_id, typeof(user_id) AS t FROM t ORDER BY id")).toEqual([
      { id: 1, user_id: 5, t: "integer" },
      { id: 2, user_id: 6, t: "integer" },
    ]);
  });
});

describe("two table names that become one table", () => {
  it("fails within a sync, naming both names and the table", async () => {
    const dir = afterCheckpoint(`op.upsert("userData", { id: 1 });\nop.upsert("user_data", { id: 2 });`);
    await expectFailure(dir, [], ['op.upsert: table "user_data" and table "userData" both become table "user_data"', "their rows would mix"]);
    expect(query(dir, "SELECT name FROM sqlite_master WHERE name = 'user_data'")).toEqual([]);
  });

  it("fails when an operation spells a table schema() declared differently", async () => {
    const dir = project(`op.upsert("user_data", { id: 1 });\nop.checkpoint({});`, `[{ table: "userData", primary_key: ["id"] }]`);
    await expectFailure(dir, [], ['table "user_data" and the declared table "userData" both become table "user_data"']);
  });

  it("warns when a later sync fills a table from another name that becomes the same table", async () => {
    const dir = project(`op.upsert(state.n ? "user_data" : "userData", { id: state.n ? 2 : 1 });\nop.checkpoint({ n: 1 });`);
    // The earlier sync, in this process as `connector debug` syncs: the warehouse and files/state.json.
    expect((await syncHere(dir, "sqlite")).exitCode).toBe(0);
    const r = await debug(dir, "--json");
    expect(r.exitCode, r.stderr).toBe(0);
    const warning = 'table "user_data" now gets rows from "user_data", but earlier syncs filled it from "userData", which also becomes "user_data"';
    expect((JSON.parse(r.stdout) as { warnings: string[] }).warnings.join("\n")).toContain(warning);
    expect(query(dir, "SELECT id FROM user_data ORDER BY id")).toEqual([{ id: 1 }, { id: 2 }]);
    // Once seen, the second name is known: no warning again.
    const again = await debug(dir);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).not.toContain("now gets rows from");
  });

  it("keeps 日本 and 中国 apart: each becomes its own transliterated table, columns too", async () => {
    const dir = project(`op.upsert("日本", { 名前: "Taro", 年齢: 30 });\nop.upsert("中国", { 名前: "Wei", 年齢: 41 });\nop.checkpoint({});`);
    const r = await debug(dir);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(query(dir, "SELECT ming_qian, nian_ling, typeof(nian_ling) AS t FROM ri_ben")).toEqual([{ ming_qian: "Taro", nian_ling: 30, t: "integer" }]);
    expect(query(dir, "SELECT ming_qian, nian_ling FROM zhong_guo")).toEqual([{ ming_qian: "Wei", nian_ling: 41 }]);
    expect(logicalTypes(dir, "ri_ben")).toEqual({ _fivetran_id: "STRING", ming_qian: "STRING", nian_ling: "LONG" });
  });
});

describe("--naming source: clear errors where SQLite would refuse the names", () => {
  const cases: [string, string, string[], string?][] = [
    ["ID and id in one row", `op.upsert("t", { id: 2, ID: 3 });`, ['the keys "id" and "ID" name the same column, because SQLite ignores case in column names']],
    ["a column spelled in another case than the existing one", `op.upsert("t", { id: 2, Name: "x" });`, ['column "Name" and the existing column "name" differ only in case', 'Use the spelling "name"']],
    ["Users and users", `op.upsert("Users", { id: 1 });\nop.upsert("users", { id: 2 });`, ['table "users" and table "Users" differ only in case; SQLite ignores case in table names']],
    ["a table spelled in another case than the declared one", `op.upsert("T", { id: 2 });`, ['table "T" and the declared table "t" differ only in case']],
    ["NUL in a table name", `op.upsert("a\\u0000b", { id: 1 });`, ['table "a\\u0000b" contains a NUL character']],
    ["NUL in a column name", `op.upsert("t", { id: 2, "a\\u0000b": 1 });`, ['column "a\\u0000b" contains a NUL character']],
    ["a system column in upper case", `op.upsert("t", { id: 2, _FIVETRAN_DELETED: 1 });`, ['column "_FIVETRAN_DELETED" uses a reserved name']],
    ["a table named like SQLite's own", `op.upsert("sqlite_stats", { id: 1 });`, ['table "sqlite_stats" starts with sqlite_, which SQLite reserves']],
    ["a table in the reserved prefix, in another case", `op.upsert("_Connector_Columns", { id: 1 });`, ['table "_Connector_Columns" uses the reserved prefix _connector_']],
  ];
  for (const [name, body, says] of cases) {
    it(`fails on ${name}`, async () => {
      const dir = afterCheckpoint(body, `[{ table: "t", primary_key: ["id"] }]`);
      await expectFailure(dir, ["--naming", "source"], says);
      expect(readState(dir)).toEqual({ n: 1 });
      expect(query(dir, "SELECT id, name FROM t")).toEqual([{ id: 1, name: "kept" }]);
    });
  }

  it("fails on a table spelled in another case than the one an earlier sync created", async () => {
    const dir = project(`op.upsert(state.n ? "T" : "t", { id: 1 });\nop.checkpoint({ n: 1 });`);
    expect((await syncHere(dir, "sqlite", { naming: "source" })).exitCode).toBe(0);
    await expectFailure(dir, ["--naming", "source"], ['table "T" and the existing table "t" differ only in case']);
    // The way out is the CLI's to print.
    const r = await debug(dir, "--naming", "source");
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('table "T" and the existing table "t" differ only in case');
    expect(r.stderr).toContain("connector reset --table t");
    expect(query(dir, "SELECT id FROM t")).toEqual([{ id: 1 }]);
  });

  it("fails on schema() names that differ only in case, before creating anything", async () => {
    const dir = project(`op.checkpoint({});`, `[{ table: "t", primary_key: ["ID"], columns: { id: "LONG" } }]`);
    await expectFailure(dir, ["--naming", "source"], ['primary key column "ID" and column "id" differ only in case']);
  });

  it("keeps names exactly as sent, non-Latin and mixed case included", async () => {
    const dir = project(`op.upsert("日本", { 名前: "Taro", userId: 1, user_id: 2 });\nop.checkpoint({});`);
    const r = await debug(dir, "--naming", "source");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(query(dir, 'SELECT "名前" AS n, userId, user_id FROM "日本"')).toEqual([{ n: "Taro", userId: 1, user_id: 2 }]);
  });
});
