import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { cli, makeProject, query, readState, startDebug, waitFor } from "../helpers.js";
import { syncHere } from "../scenarios/destinations.js";

// The syncs that only make a warehouse and a state for a state or inspect command to read run in
// this process (syncHere: the connector loaded as the CLI loads it, runSync from dist/, the state
// kept in files/state.json): what these tests assert is the command's output, not the sync's.

/** A project with three checkpoints of a nested per-parent cursor. */
async function synced(extraConnector = ""): Promise<string> {
  const dir = makeProject({
    "connector.ts": `import { Connector, op } from "connector-sdk";
${extraConnector}
export default new Connector({
  ${extraConnector ? "state: State," : ""}
  schema: () => [{ table: "depts", primary_key: ["company", "id"] }],
  update(configuration, state: any) {
    const cursors: Record<string, string> = { ...(state.companies ?? {}) };
    for (const [company, month] of [["acme", "01"], ["globex", "02"], ["acme", "03"]]) {
      if ((cursors[company] ?? "") >= \`2024-\${month}-01\`) continue;
      op.upsert("depts", { company, id: month, name: \`\${company} \${month}\` });
      cursors[company] = \`2024-\${month}-01\`;
      op.checkpoint({ companies: { ...cursors }, version: 1 });
    }
  },
});
`,
  });
  const r = await syncHere(dir, "sqlite");
  expect(r.exitCode, r.stderr).toBe(0);
  return dir;
}

describe("connector state", () => {
  it("show prints the state as JSON when piped", async () => {
    const dir = await synced();
    const r = await cli(["state", "show"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ companies: { acme: "2024-03-01", globex: "2024-02-01" }, version: 1 });
    const other = await cli(["state", "show", "--project", dir], { cwd: path.dirname(dir) });
    expect(JSON.parse(other.stdout)).toEqual(JSON.parse(r.stdout));
  });

  it("history lists every checkpoint with its size and operations per table", async () => {
    const dir = await synced();
    const r = await cli(["state", "history"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Seq\s+Run\s+Time\s+State\s+Operations since the previous checkpoint$/m);
    expect(r.stdout.match(/^\s+\d+\s+1\s+\d{4}-\d\d-\d\dT\S+Z\s+\d+ B\s+depts: 1 upsert$/gm)).toHaveLength(3);
    const json = JSON.parse((await cli(["state", "history", "--json"], { cwd: dir })).stdout);
    expect(json.map((c: { seq: number }) => c.seq)).toEqual([1, 2, 3]);
    expect(json[1]).toMatchObject({ state: { companies: { acme: "2024-01-01", globex: "2024-02-01" } }, operations: { depts: { upserts: 1 } } });
  });

  it("diff marks added, removed and changed paths between checkpoints, and against the state file", async () => {
    const dir = await synced();
    const r = await cli(["state", "diff", "1", "3"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('~ companies.acme: "2024-01-01" → "2024-03-01"');
    expect(r.stdout).toContain('+ companies.globex: "2024-02-01"');
    const same = await cli(["state", "diff"], { cwd: dir });
    expect(same.stdout.trim()).toBe("No differences.");
    expect((await cli(["state", "unset", "version"], { cwd: dir })).exitCode).toBe(0);
    expect((await cli(["state", "diff"], { cwd: dir })).stdout).toContain("- version: 1");
    const bad = await cli(["state", "diff", "9"], { cwd: dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('No checkpoint "9"; the checkpoints are 1 to 3');
  });

  it("set and unset edit one path; set --file replaces the state; each writes valid JSON", async () => {
    const dir = await synced();
    expect((await cli(["state", "set", "companies.acme", '"2023-12-01"'], { cwd: dir })).exitCode).toBe(0);
    expect(readState(dir)).toMatchObject({ companies: { acme: "2023-12-01" } });
    expect((await cli(["state", "set", "companies.initech", "2024-05-01"], { cwd: dir })).exitCode).toBe(0);
    expect(readState(dir)).toMatchObject({ companies: { initech: "2024-05-01" } });
    expect((await cli(["state", "set", "limits[1]", "42"], { cwd: dir })).exitCode).toBe(0);
    expect(readState(dir)).toMatchObject({ limits: [null, 42] });
    const named = await cli(["state", "set", "limits.max", "7"], { cwd: dir });
    expect(named.exitCode).toBe(2);
    expect(named.stderr).toContain('limits is a list, which has no key "max": JSON would drop it; use an index such as limits[0]');
    expect(readState(dir)).toMatchObject({ limits: [null, 42] });
    const unset = await cli(["state", "unset", "companies.globex"], { cwd: dir });
    expect(unset.exitCode).toBe(0);
    expect(unset.stderr).toContain("Removed companies.globex");
    expect(readState(dir)).not.toHaveProperty("companies.globex");
    fs.writeFileSync(path.join(dir, "next.json"), JSON.stringify({ fresh: true }));
    expect((await cli(["state", "set", "--file", "next.json"], { cwd: dir })).exitCode).toBe(0);
    expect(readState(dir)).toEqual({ fresh: true });
    fs.writeFileSync(path.join(dir, "bad.json"), "[1]");
    const bad = await cli(["state", "set", "--file", "bad.json"], { cwd: dir });
    expect(bad.exitCode).toBe(2);
    expect(readState(dir)).toEqual({ fresh: true });
  });

  it("set refuses a state over the size limit, and one the connector's state schema rejects", async () => {
    const dir = await synced(`import { z } from "zod";\nconst State = z.object({ companies: z.record(z.string(), z.string()).default({}), version: z.number().default(1) });`);
    fs.writeFileSync(path.join(dir, "big.json"), JSON.stringify({ blob: "x".repeat(11 * 1024 * 1024) }));
    const big = await cli(["state", "set", "--file", "big.json"], { cwd: dir });
    expect(big.exitCode).toBe(2);
    expect(big.stderr).toContain("over the 10 MB limit");
    const typed = await cli(["state", "set", "version", '"two"'], { cwd: dir });
    expect(typed.exitCode).toBe(2);
    expect(typed.stderr).toMatch(/does not match the connector's state schema:\n\s+version: /);
    expect(readState(dir)).toMatchObject({ version: 1 });
  });

  it("rewind sets the state to a past checkpoint and says what the next sync replays; the sync then replays it", async () => {
    const dir = await synced();
    const r = await cli(["state", "rewind", "1"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("Rewound the state to checkpoint 1");
    expect(r.stderr).toContain("replays what checkpoints 2 to 3 committed (2 operations): depts: 2 upserts");
    expect(readState(dir)).toEqual({ companies: { acme: "2024-01-01" }, version: 1 });
    const again = await cli(["debug"], { cwd: dir });
    expect(again.stderr).toMatch(/^Upserts\s+\| 2$/m);
    expect(query(dir, "SELECT count(*) AS n FROM depts")).toEqual([{ n: 3 }]);
  });

  it("edits are refused while a sync holds the project", async () => {
    const dir = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { async update() { op.checkpoint({ a: 1 }); await new Promise((r) => setTimeout(r, 60_000)); } };\n` });
    const run = startDebug(dir);
    await waitFor(() => run.stderr().includes("Checkpoint 1"));
    const r = await cli(["state", "set", "a", "2"], { cwd: dir });
    run.child.kill("SIGKILL");
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("Another `connector debug`");
    expect(readState(dir)).toEqual({ a: 1 });
  });
});

describe("connector inspect", () => {
  it("lists every table with its key, rows, soft-deleted rows, column types and last sync", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "users", primary_key: ["id"], columns: { id: "LONG", joined: "NAIVE_DATE" } }],
  update() {
    op.upsert("users", { id: 1, joined: "2024-01-01", score: 1.5 });
    op.upsert("users", { id: 2, joined: "2024-01-02" });
    op.delete("users", { id: 2 });
    op.upsert("events", { kind: "x" });
    op.checkpoint({});
  },
};
`,
    });
    expect((await syncHere(dir, "sqlite")).exitCode).toBe(0);
    const r = await cli(["inspect"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^events\s+_fivetran_id\s+1\s+0\s+\d{4}-\S+Z$/m);
    expect(r.stdout).toMatch(/^users\s+id\s+2\s+1\s+\d{4}-\S+Z$/m);
    expect(r.stdout).toContain("users: id LONG, joined NAIVE_DATE, score DOUBLE*");
    const json = JSON.parse((await cli(["inspect", "--json"], { cwd: dir })).stdout);
    expect(json.problems).toEqual([]);
    expect(json.tables.find((t: { table: string }) => t.table === "users")).toMatchObject({ primaryKey: ["id"], rows: 2, deleted: 1 });
  });

  it("shows a table's latest rows, tab-separated when piped, and --limit", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";\nexport default { schema: () => [{ table: "t", primary_key: ["id"] }], update() { for (let id = 1; id <= 30; id++) op.upsert("t", { id, blob: new Uint8Array([id]) }); op.checkpoint({}); } };\n`,
    });
    expect((await syncHere(dir, "sqlite")).exitCode).toBe(0);
    const r = await cli(["inspect", "t", "--limit", "3"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("id\tblob\t_fivetran_synced\t_fivetran_deleted");
    expect(lines.slice(1).map((l) => l.split("\t")[0])).toEqual(["30", "29", "28"]);
    expect(lines[1]).toContain("<1 bytes>");
    expect(JSON.parse((await cli(["inspect", "t", "--json"], { cwd: dir })).stdout)).toHaveLength(20);
    const missing = await cli(["inspect", "nope"], { cwd: dir });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('No table "nope" in the warehouse. Tables: t');
  });

  it("reports duplicate and NULL primary keys as problems", async () => {
    const dir = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { schema: () => [{ table: "t", primary_key: ["id"] }], update() { op.upsert("t", { id: 1 }); op.checkpoint({}); } };\n` });
    expect((await syncHere(dir, "sqlite")).exitCode).toBe(0);
    // Damage the table the way a hand edit could: no key constraint, a duplicate and a NULL key.
    const db = new Database(path.join(dir, "files", "warehouse.db"));
    db.exec(`CREATE TABLE t2 AS SELECT * FROM t; DROP TABLE t; ALTER TABLE t2 RENAME TO t;
      INSERT INTO t (id, _fivetran_synced, _fivetran_deleted) VALUES (1, '2024-01-01T00:00:00.000Z', 0), (NULL, '2024-01-01T00:00:00.000Z', 0);`);
    db.close();
    const r = await cli(["inspect"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("Problem: 1 primary key value(s) of t (id) appear on more than one row");
    expect(r.stderr).toContain("Problem: 1 row(s) of t have a NULL primary key (id)");
  });

  it("explains that there is no warehouse before the first sync", async () => {
    const dir = makeProject({ "connector.ts": "export default { update() {} };" });
    const r = await cli(["inspect"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("No warehouse at");
    expect(r.stderr).toContain("run `connector debug` first");
  });
});

describe("connector state on a DuckDB warehouse", () => {
  it("history lists sizes in bytes, --json holds each state, diff and rewind read the checkpoints they name", async () => {
    const dir = makeProject({
      "connector.mjs": `import { op } from "connector-sdk";
export default { update() { for (let i = 1; i <= 5; i++) { op.upsert("t", { id: i }); op.checkpoint({ n: i, pad: "é".repeat(10) }); } } };
`,
    });
    const sync = await syncHere(dir, "duckdb");
    expect(sync.exitCode, sync.stderr).toBe(0);
    const history = await cli(["state", "history"], { cwd: dir });
    expect(history.exitCode, history.stderr).toBe(0);
    expect(history.stdout.trim().split("\n").slice(2).map((l) => l.replace(/\d{4}-\S+Z/, "T"))).toEqual([1, 2, 3, 4, 5].map((n) => `  ${n}    1  T  36 B   t: 1 upsert`));
    const json = JSON.parse((await cli(["state", "history", "--json"], { cwd: dir })).stdout) as { seq: number; stateBytes: number; state: unknown }[];
    expect(json.map((e) => [e.seq, e.stateBytes, e.state])).toEqual([1, 2, 3, 4, 5].map((n) => [n, 36, { n, pad: "éééééééééé" }]));
    expect((await cli(["state", "diff", "1", "4"], { cwd: dir })).stdout).toBe("~ n: 1 → 4");
    const missing = await cli(["state", "diff", "9"], { cwd: dir });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('No checkpoint "9"; the checkpoints are 1 to 5');
    const rewind = await cli(["state", "rewind", "3"], { cwd: dir });
    expect(rewind.stderr).toContain("The next `connector debug` replays what checkpoints 4 to 5 committed (2 operations): t: 2 upserts.");
    expect(readState(dir)).toEqual({ n: 3, pad: "éééééééééé" });
  });
});

describe("connector inspect --limit beyond any table", () => {
  it("--limit 99999999999999999999 shows every row, on SQLite and DuckDB, as text and --json", async () => {
    for (const destination of ["sqlite", "duckdb"] as const) {
      const dir = makeProject({ "connector.mjs": `import { op } from "connector-sdk";\nexport default { update() { for (let id = 1; id <= 25; id++) op.upsert("t", { id }); op.checkpoint({}); } };\n` });
      expect((await syncHere(dir, destination)).exitCode).toBe(0);
      const text = await cli(["inspect", "t", "--limit", "99999999999999999999"], { cwd: dir });
      expect(text.exitCode, `${destination}: ${text.stderr}`).toBe(0);
      expect(text.stdout.trim().split("\n")).toHaveLength(26);
      const json = await cli(["inspect", "t", "--limit", "99999999999999999999", "--json"], { cwd: dir });
      expect(json.exitCode, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toHaveLength(25);
    }
  });
});

describe("files given to the state commands", () => {
  it("state set --file with a bad file says to fix that file, never to reset the project", async () => {
    const dir = await synced();
    const before = fs.readFileSync(path.join(dir, "files", "state.json"), "utf8");
    const cases: [string, string][] = [
      ['{"cursor": ', "bad.json is not valid JSON (line 1, column 12: "],
      ["", "bad.json is empty; it must hold a JSON object."],
      ["[1]", "bad.json must hold a JSON object, found an array."],
    ];
    for (const [text, says] of cases) {
      fs.writeFileSync(path.join(dir, "bad.json"), text);
      const r = await cli(["state", "set", "--file", "bad.json"], { cwd: dir });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr).toContain("Fix it, then run the command again.");
      expect(r.stderr).not.toContain("State file");
      expect(r.stderr).not.toContain("connector reset");
    }
    const missing = await cli(["state", "set", "--file", "nope.json"], { cwd: dir });
    expect(missing.stderr).toContain("File not found: nope.json");
    expect(fs.readFileSync(path.join(dir, "files", "state.json"), "utf8")).toBe(before);
  });

  it("a state file holding a number beyond a double (1e400) is refused when read, naming its path, by debug and state show", async () => {
    const dir = await synced();
    fs.writeFileSync(path.join(dir, "files", "state.json"), '{"companies": {"acme": "2024-03-01"}, "e": 1e400}');
    for (const args of [["debug"], ["state", "show"]]) {
      const r = await cli(args, { cwd: dir });
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("state.json: state.e is a number beyond the largest double (about ±1.8e308), which JavaScript reads as Infinity and no checkpoint can hold. Store it as a string.");
    }
    fs.writeFileSync(path.join(dir, "big.json"), '{"limits": [1, -1e999]}');
    const set = await cli(["state", "set", "--file", "big.json"], { cwd: dir });
    expect(set.exitCode).toBe(2);
    expect(set.stderr).toContain("big.json: state.limits[1] is a number beyond the largest double");
  });
});
