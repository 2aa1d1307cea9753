import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, query, readState, tempDir, type CliResult } from "../helpers.js";
import { syncHere, syncInto } from "../scenarios/destinations.js";
import { freshSchema, usePostgres } from "../support/use-postgres.js";

// What the CLI tells a user to do next must be true for the warehouse and state the user ran
// against (issue 20, items 16, 18 and 23): the way out of a type change names the same
// destination and clears the cursor, a misspelt table name is pointed out, and the summary says
// which schema changes it counted.

const pg = usePostgres("guidance");
const everything = (r: CliResult): string => r.stdout + r.stderr;

/** employees from source.json, a cursor on id; salary's declared type comes from SALARY_TYPE. */
const EMPLOYEES = `import fs from "node:fs";
import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "employees", primary_key: ["id"], columns: { id: "LONG", salary: process.env.SALARY_TYPE ?? "STRING" } }],
  update(configuration, state) {
    const rows = JSON.parse(fs.readFileSync(new URL("./source.json", import.meta.url), "utf8"));
    let last = state.employees_cursor ?? 0;
    for (const r of rows.filter((r) => r.id > last)) {
      op.upsert("employees", r);
      last = r.id;
    }
    op.checkpoint({ employees_cursor: last });
  },
};
`;
const SOURCE = JSON.stringify([1, 2, 3].map((id) => ({ id, salary: String(1000 * id) })));

/**
 * The first sync of a test whose subject is the next one (a setup step), in this process: into the
 * warehouse file `spec` names, with the state in the project's files/state.json, as `connector run
 * --destination <spec>` keeps it.
 */
async function firstRun(dir: string, spec: string) {
  const r = await syncInto(dir, spec);
  fs.mkdirSync(path.join(dir, "files"), { recursive: true });
  fs.writeFileSync(path.join(dir, "files", "state.json"), JSON.stringify(r.inProcess!.state));
  return r;
}

/** Splits a command line the way a POSIX shell does for the quoting shellArg() produces: bare words and '…'. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!);
  return out;
}

/** The commands a failure's way out names, in order, as argument lists for `connector`. */
function wayOut(stderr: string): string[][] {
  const start = stderr.indexOf("To load table");
  expect(start, stderr).toBeGreaterThan(-1);
  return stderr
    .slice(start)
    .split("\n")
    .map((l) => l.replace(/^Or start over with every table: /, "  "))
    .filter((l) => l.startsWith("  connector "))
    .map((l) => words(l.replace(/\s+\(.*\)$/, "")).slice(1));
}

describe("the way out of a declared type change (item 16)", () => {
  it("SQLite: the commands it names, run as printed, reload the table in full; reset --table alone would leave it empty", async () => {
    const project = makeProject({ "connector.ts": EMPLOYEES, "source.json": SOURCE });
    const cwd = path.dirname(project);
    const dir = path.basename(project);
    const state = path.join(dir, "elsewhere.json");
    fs.writeFileSync(path.join(cwd, state), "{}");
    // The first sync, in this process (as `connector debug dir --state <state>` leaves it: the state in that file).
    const first = await syncHere(project, "sqlite");
    expect(first.exitCode, first.stderr).toBe(0);
    fs.renameSync(path.join(project, "files", "state.json"), path.join(cwd, state));
    const failed = await cli(["debug", dir, "--state", state], { cwd, env: { SALARY_TYPE: "LONG" } });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('the type of column "employees.salary" changed from STRING to LONG');
    const steps = wayOut(failed.stderr);
    expect(steps).toEqual([
      ["reset", dir, "--state", state, "--table", "employees"],
      ["state", "show", dir, "--state", state],
      ["state", "unset", "<path>", dir, "--state", state],
      ["reset", dir, "--state", state],
    ]);
    // Follow it: drop the table, find the cursor, clear it, sync again.
    expect((await cli([...steps[0]!, "--yes"], { cwd })).exitCode).toBe(0);
    const shown = await cli(steps[1]!, { cwd });
    expect(JSON.parse(shown.stdout)).toEqual({ employees_cursor: 3 });
    expect((await cli(steps[2]!.map((w) => (w === "<path>" ? "employees_cursor" : w)), { cwd })).exitCode).toBe(0);
    const again = await cli(["debug", dir, "--state", state], { cwd, env: { SALARY_TYPE: "LONG" } });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(query(project, "SELECT id, salary FROM employees ORDER BY id")).toEqual([1, 2, 3].map((id) => ({ id, salary: 1000 * id })));
    expect(readState(cwd, state)).toEqual({ employees_cursor: 3 });
  });

  it("SQLite with an empty state: only the table to drop, no cursor to clear", async () => {
    const dir = makeProject({ "connector.ts": EMPLOYEES.replace("op.checkpoint({ employees_cursor: last });", "op.checkpoint({});"), "source.json": SOURCE });
    expect((await syncHere(dir, "sqlite")).exitCode).toBe(0);
    const failed = await cli(["debug"], { cwd: dir, env: { SALARY_TYPE: "LONG" } });
    expect(failed.exitCode).toBe(1);
    expect(wayOut(failed.stderr)).toEqual([["reset", "--table", "employees"], ["reset"]]);
    // A refusal with its way out printed is no crash: no report.
    expect(fs.existsSync(path.join(dir, "crash-reports"))).toBe(false);
  });

  it("run does not retry a table that must be loaded again: every attempt would fail the same way", async () => {
    const dir = makeProject({ "connector.ts": EMPLOYEES, "source.json": SOURCE });
    const args = ["run", "--destination", "sqlite:out.db", "--retries", "2", "--retry-delay", "30s"];
    expect((await firstRun(dir, `sqlite:${path.join(dir, "out.db")}`)).exitCode).toBe(0);
    const failed = await cli(args, { cwd: dir, env: { SALARY_TYPE: "LONG" } });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('the type of column "employees.salary" changed from STRING to LONG');
    expect(failed.stderr).not.toContain("Attempt 1 of 3");
    expect(wayOut(failed.stderr)[0]).toEqual(["reset", "--destination", "sqlite:out.db", "--table", "employees"]);
  });

  it("PostgreSQL: the way out names the same destination and --name with the password hidden, and following it reloads the table there, not in files/", async () => {
    const dir = makeProject({ "connector.ts": EMPLOYEES, "source.json": SOURCE });
    const schema = freshSchema("typechange");
    const url = pg().url(pg().database, schema);
    // The first sync, in this process, as `connector run --name staff` makes it (the state in the destination).
    const first = await syncInto(dir, url, { name: "staff" });
    expect(first.exitCode, first.stderr).toBe(0);
    let plain: CliResult | undefined;
    for (const json of [false, true]) {
      const failed = await cli(["run", "--destination", url, "--name", "staff", ...(json ? ["--json"] : [])], { cwd: dir, env: { SALARY_TYPE: "LONG" } });
      if (!json) plain = failed;
      expect(failed.exitCode).toBe(1);
      expect(everything(failed)).not.toContain(pg().password);
      const text = json ? (JSON.parse(failed.stdout) as { error: string }).error : failed.stderr;
      const hidden = `postgres://postgres:***@127.0.0.1:${pg().port}/${pg().database}?schema=${schema}`;
      expect(wayOut(text)).toEqual([
        ["reset", "--destination", hidden, "--name", "staff", "--table", "employees"],
        ["state", "show", "--destination", hidden, "--name", "staff"],
        ["state", "unset", "<path>", "--destination", hidden, "--name", "staff"],
        ["reset", "--destination", hidden, "--name", "staff"],
      ]);
      expect(text).toContain("*** stands for the password");
    }
    // Follow it (the plain run's way out) with the password in PGPASSWORD, as the note says.
    const steps = wayOut(plain!.stderr).map((s) => s.map((w) => w.replace(":***@", "@").replace("<path>", "employees_cursor")));
    const env = { PGPASSWORD: pg().password };
    const reset = await cli([...steps[0]!, "--yes"], { cwd: dir, env });
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(await pg().sql(`SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'employees'`, [schema])).toEqual([]);
    expect(fs.existsSync(path.join(dir, "files", "warehouse.db"))).toBe(false);
    expect((await cli(steps[2]!, { cwd: dir, env })).exitCode).toBe(0);
    const again = await cli(["run", "--destination", url, "--name", "staff"], { cwd: dir, env: { SALARY_TYPE: "LONG" } });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await pg().sql(`SELECT id::int, salary::int FROM "${schema}".employees ORDER BY id`)).toEqual([1, 2, 3].map((id) => ({ id, salary: 1000 * id })));
  });

  it("a duckdb: or sqlite: file of connector run: the way out names it, and reset --destination resets that file and its state file", async () => {
    for (const kind of ["sqlite", "duckdb"] as const) {
      const dir = makeProject({ "connector.ts": EMPLOYEES, "source.json": SOURCE });
      const spec = `${kind}:${path.join(tempDir(), `w.${kind}`)}`;
      expect((await firstRun(dir, spec)).exitCode).toBe(0);
      const failed = await cli(["run", "--destination", spec], { cwd: dir, env: { SALARY_TYPE: "LONG" } });
      expect(failed.exitCode).toBe(1);
      const steps = wayOut(failed.stderr);
      expect(steps).toEqual([["reset", "--destination", spec, "--table", "employees"], ["state", "show"], ["state", "unset", "<path>"], ["reset", "--destination", spec]]);
      const reset = await cli([...steps[0]!, "--yes"], { cwd: dir });
      expect(reset.exitCode, reset.stderr).toBe(0);
      expect(reset.stderr).toContain("Dropped employees.");
      expect(fs.existsSync(path.join(dir, "files", "warehouse.db"))).toBe(false);
      expect((await cli(["state", "unset", "employees_cursor"], { cwd: dir })).exitCode).toBe(0);
      const again = await cli(["run", "--destination", spec, "--json"], { cwd: dir, env: { SALARY_TYPE: "LONG" } });
      expect(again.exitCode, again.stderr).toBe(0);
      expect((JSON.parse(again.stdout) as { counts: { upserts: number } }).counts.upserts).toBe(3);
      const all = await cli([...steps[3]!, "--yes"], { cwd: dir });
      expect(all.exitCode, all.stderr).toBe(0);
      expect(fs.existsSync(spec.slice(kind.length + 1))).toBe(false);
      expect(fs.existsSync(path.join(dir, "files", "state.json"))).toBe(false);
    }
  });
});

/** schema() declares orders and events_2023; update() writes to the tables named in TABLES. */
const TABLES = `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "orders", primary_key: ["id"] }, { table: "events_2023", primary_key: ["id"] }, { table: "customers", primary_key: ["id"] }],
  update() {
    for (const table of process.env.TABLES.split(",")) for (let id = 1; id <= 3; id++) op.upsert(table, { id });
    op.checkpoint({});
  },
};
`;

describe("a table name close to a declared one (item 18)", () => {
  it("warns once per table, with the declared name, in the summary and in --json; the rows still go where they were sent", async () => {
    const dir = makeProject({ "connector.ts": TABLES });
    const r = await cli(["debug"], { cwd: dir, env: { TABLES: "ordres,orders,custmers" } });
    expect(r.exitCode, r.stderr).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("Warning:"));
    expect(warnings).toEqual([
      'Warning: op.upsert: table "ordres" is not declared in schema(), but "orders" is; did you mean "orders"? Its rows go to a table of their own, "ordres".',
      'Warning: op.upsert: table "custmers" is not declared in schema(), but "customers" is; did you mean "customers"? Its rows go to a table of their own, "custmers".',
    ]);
    expect(query(dir, "SELECT count(*) AS n FROM ordres")).toEqual([{ n: 3 }]);
    const json = await cli(["debug", "--json"], { cwd: dir, env: { TABLES: "ordres" } });
    expect((JSON.parse(json.stdout) as { warnings: string[] }).warnings).toEqual([expect.stringContaining('did you mean "orders"?')]);
  });

  it("says nothing for clearly different names, names that differ only in their numbers, or short ones", async () => {
    const dir = makeProject({ "connector.ts": TABLES.replace('{ table: "customers", primary_key: ["id"] }', '{ table: "abc", primary_key: ["id"] }') });
    const r = await cli(["debug", "--json"], { cwd: dir, env: { TABLES: "order_items,events_2024,abd,refunds,orders" } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { warnings: string[] }).warnings).toEqual([]);
  });
});

/** A new table, a new column, and a widening LONG → DOUBLE → STRING; WIDE adds that many more columns. */
const CHANGES = `import { op } from "connector-sdk";
export default {
  update() {
    op.upsert("t", { id: 1, v: 1 });
    op.upsert("t", { id: 2, v: 1.5, note: "x" });
    op.upsert("t", { id: 3, v: "three" });
    const wide = {};
    for (let i = 0; i < Number(process.env.WIDE ?? 0); i++) wide["c" + i] = i;
    if (process.env.WIDE) {
      op.upsert("w", { id: 0 });
      op.upsert("w", { id: 1, ...wide });
    }
    op.checkpoint({});
  },
};
`;
const LISTED = [
  { table: "t", column: null, oldType: null, newType: null },
  { table: "t", column: "v", oldType: "LONG", newType: "DOUBLE" },
  { table: "t", column: "note", oldType: null, newType: "STRING" },
  { table: "t", column: "v", oldType: "DOUBLE", newType: "STRING" },
];

describe("the schema changes the summary counts (item 23)", () => {
  it("debug lists each one (table, column, old type, new type) in the summary and in --json", async () => {
    const dir = makeProject({ "connector.ts": CHANGES });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^SchemaChanges\s+\| 4$/m);
    expect(r.stderr).toContain(
      ["Schema changes:", "Table  Column       Old type      New type", "-----  -----------  ------------  --------", "t      (new table)", "t      v            LONG          DOUBLE", "t      note         (new column)  STRING", "t      v            DOUBLE        STRING"].join("\n"),
    );
    fs.rmSync(path.join(dir, "files"), { recursive: true });
    const json = JSON.parse((await cli(["debug", "--json"], { cwd: dir })).stdout) as { counts: { schemaChanges: number }; schemaChanges: unknown[] };
    expect(json.counts.schemaChanges).toBe(4);
    expect(json.schemaChanges).toEqual(LISTED);
  });

  it("a long list is cut in the summary, and -v or --json gives all of it", async () => {
    const dir = makeProject({ "connector.ts": CHANGES });
    const r = await cli(["debug"], { cwd: dir, env: { WIDE: "30" } });
    expect(r.stderr).toMatch(/^SchemaChanges\s+\| 35$/m);
    const rows = (text: string): string[] => text.slice(text.indexOf("Schema changes:")).split("\n").filter((l) => /^[tw]\s/.test(l));
    expect(rows(r.stderr)).toHaveLength(20);
    expect(r.stderr).toContain("… and 15 more (-v or --json lists them all)");
    fs.rmSync(path.join(dir, "files"), { recursive: true });
    const verbose = await cli(["debug", "-v"], { cwd: dir, env: { WIDE: "30" } });
    expect(rows(verbose.stderr)).toHaveLength(35);
    expect(rows(verbose.stderr).at(-1)).toMatch(/^w\s+c_29\s+\(new column\)\s+LONG$/);
    expect(verbose.stderr).not.toContain("more (-v");
  });

  it("run lists them in its plain output and in --json, on PostgreSQL too", async () => {
    const dir = makeProject({ "connector.ts": CHANGES });
    const plain = await cli(["run", "--destination", pg().url(pg().database, freshSchema("changes"))], { cwd: dir });
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/^Schema changes:\nTable\s+Column\s+Old type\s+New type\n[- ]+\nt\s+\(new table\)\nt\s+v\s+LONG\s+DOUBLE\n/m);
    const json = await cli(["run", "--destination", `sqlite:${path.join(tempDir(), "w.db")}`, "--json"], { cwd: dir });
    expect((JSON.parse(json.stdout) as { schemaChanges: unknown[] }).schemaChanges).toEqual(LISTED);
  });
});
