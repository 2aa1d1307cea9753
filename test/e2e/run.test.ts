import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli, fixtureProject, makeProject, readState, startCli, waitFor, type CliResult } from "../helpers.js";
import pg_ from "pg";
import { syncInto } from "../scenarios/destinations.js";
import { freshSchema, until, usePostgres } from "../support/use-postgres.js";

const pgClient = pg_.Client;
const OK = { "connector.ts": `export default { update() {} };\n` };

// `connector run` into a real PostgreSQL server (a throwaway cluster per file): where the
// destination comes from, state in the destination, the advisory lock, connection errors,
// retries, the output formats, and the commands that read or edit a PostgreSQL connector.

const pg = usePostgres("run");
const running: ReturnType<typeof startCli>[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.child.kill("SIGKILL");
    await r.exited;
  }
});

/** A connector over source.json: a cursor on id, a checkpoint every two rows. */
const CURSOR = `import fs from "node:fs";
import { op, log } from "connector-sdk";
export default {
  schema: () => [{ table: "items", primary_key: ["id"], columns: { id: "LONG", name: "STRING" } }],
  update(configuration, state) {
    const rows = JSON.parse(fs.readFileSync(new URL("./source.json", import.meta.url), "utf8"));
    let last = state.last ?? 0;
    log.info("starting after " + last);
    for (const r of rows.filter((r) => r.id > last)) {
      op.upsert("items", r);
      last = r.id;
      if (last % 2 === 0) op.checkpoint({ last });
    }
    op.checkpoint({ last });
  },
};
`;

const source = (n: number): string => JSON.stringify(Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `item ${i + 1}` })));

function cursorProject(n = 5): string {
  return makeProject({ "connector.ts": CURSOR, "source.json": source(n) });
}

const rowsOf = async (schema: string, table = "items") => pg().sql(`SELECT id::int, name, _fivetran_deleted AS deleted FROM "${schema}"."${table}" ORDER BY id`);
const storedState = async (schema: string, name: string) => (await pg().sql<{ state: unknown }>(`SELECT state FROM "${schema}"._connector_state WHERE connector = $1`, [name]))[0]?.state;
const everything = (r: CliResult): string => r.stdout + r.stderr;

describe("connector run: where the data goes", () => {
  it("writes the rows and the state into PostgreSQL, with no state file; the next run resumes from the stored state", async () => {
    const dir = cursorProject(5);
    const schema = freshSchema();
    const url = pg().url(pg().database, schema);
    const first = await cli(["run", "--destination", url, "--name", "shop"], { cwd: dir });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain(`Destination: postgres://postgres@127.0.0.1:${pg().port}/${pg().database}?schema=${schema} (from --destination)`);
    expect(first.stderr).toContain("State: kept in the destination (_connector_state)");
    expect(first.stderr).toMatch(/Checkpoint 1: committed 2 operation\(s\); state \{"last":2\}/);
    expect(first.stderr).toContain("Sync SUCCEEDED");
    expect(await rowsOf(schema)).toEqual([1, 2, 3, 4, 5].map((id) => ({ id, name: `item ${id}`, deleted: false })));
    expect(await storedState(schema, "shop")).toEqual({ last: 5 });
    expect(fs.existsSync(path.join(dir, "files", "state.json"))).toBe(false);

    fs.writeFileSync(path.join(dir, "source.json"), source(7));
    const second = await cli(["run", "--destination", url, "--name", "shop", "--json"], { cwd: dir });
    expect(second.exitCode, second.stderr).toBe(0);
    const report = JSON.parse(second.stdout);
    expect(report).toMatchObject({ status: "succeeded", previousState: { last: 5 }, state: { last: 7 }, name: "shop", attempts: 1 });
    expect(report.counts.upserts).toBe(2);
    expect(report.destination).toBe(`postgres://postgres@127.0.0.1:${pg().port}/${pg().database}?schema=${schema}`);
    expect(await rowsOf(schema)).toHaveLength(7);
    const history = await pg().sql(`SELECT seq::int, run::int, state FROM "${schema}"._connector_checkpoints WHERE connector = 'shop' ORDER BY seq`);
    expect(history.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(history.at(-1)).toMatchObject({ run: 2, state: { last: 7 } });

    // Once the destination holds a state, --state only seeds a first run: it is not used, and the run says so.
    fs.writeFileSync(path.join(dir, "seed.json"), JSON.stringify({ last: 1 }));
    const seeded = await cli(["run", "--destination", url, "--name", "shop", "--state", "seed.json"], { cwd: dir });
    expect(seeded.exitCode, seeded.stderr).toBe(0);
    expect(seeded.stderr).toContain('Previous state: {"last":7}');
    expect(seeded.stderr).toContain("Warning: the destination already holds this connector's state (checkpoint 5), so the given start state (--state) was not used: it seeds only a first run.");
    expect(seeded.stderr).toMatch(/^Upserts\s+\| 0$/m);
  });

  it("takes the destination from --destination, else CONNECTOR_DESTINATION, else destination.json; the password from PGPASSWORD or password_env", async () => {
    const dir = cursorProject(2);
    const [a, b, c] = [freshSchema(), freshSchema(), freshSchema()];
    const noPassword = (schema: string) => `postgres://postgres@127.0.0.1:${pg().port}/${pg().database}?schema=${schema}`;
    fs.writeFileSync(path.join(dir, "destination.json"), JSON.stringify({ url: noPassword(c), password_env: "WAREHOUSE_PASSWORD" }));
    const env = { CONNECTOR_DESTINATION: noPassword(b), PGPASSWORD: pg().password, WAREHOUSE_PASSWORD: pg().password };
    const byFlag = await cli(["run", "--destination", noPassword(a)], { cwd: dir, env });
    expect(byFlag.exitCode, byFlag.stderr).toBe(0);
    expect(byFlag.stderr).toContain("(from --destination)");
    const byEnv = await cli(["run"], { cwd: dir, env });
    expect(byEnv.exitCode, byEnv.stderr).toBe(0);
    expect(byEnv.stderr).toContain(`Destination: ${noPassword(b)} (from CONNECTOR_DESTINATION)`);
    const byFile = await cli(["run"], { cwd: dir, env: { WAREHOUSE_PASSWORD: pg().password, PGPASSWORD: "" } });
    expect(byFile.exitCode, byFile.stderr).toBe(0);
    expect(byFile.stderr).toContain(`(from ${path.join(dir, "destination.json")})`);
    for (const schema of [a, b, c]) expect(await rowsOf(schema)).toHaveLength(2);

    // An unset password_env variable falls back to PGPASSWORD; with neither, the server's demand for one is exit 2 (postgres-login.test.ts).
    const fallback = await cli(["run"], { cwd: dir, env: { PGPASSWORD: pg().password } });
    expect(fallback.exitCode, fallback.stderr).toBe(0);
    const unset = await cli(["run"], { cwd: dir, env: { PGPASSWORD: "" } });
    expect(unset.exitCode).toBe(2);
    expect(unset.stderr).toContain(`else the variable that destination.json's password_env names (WAREHOUSE_PASSWORD, which is not set), else PGPASSWORD`);
    fs.rmSync(path.join(dir, "destination.json"));
    const none = await cli(["run"], { cwd: dir });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain("connector run needs a destination: pass --destination <url>, set CONNECTOR_DESTINATION, or write destination.json");
  });

  it("refuses bad destinations clearly, without printing the password", async () => {
    const dir = cursorProject(1);
    const cases: [string, RegExp][] = [
      ["mysql://u:hunter22@h/db", /--destination must be a destination URL \(postgres:\/\/user@host:5432\/database\?schema=name, duckdb:<file> or sqlite:<file>\) or a destination JSON file, got "mysql:\/\/u:\*\*\*@h\/db"/],
      ["postgres://u:hunter22@h/db?schema=s&colour=red", /--destination: unknown parameter "colour" in postgres:\/\/u:\*\*\*@h\/db\?schema=s&colour=red; the parameters are schema, sslmode, host, port, user, dbname/],
      ["postgres://u:hunter22@h/db?sslmode=sometimes", /--destination: sslmode must be one of disable, allow, prefer, require, no-verify, verify-ca, verify-full, got "sometimes"/],
      [`postgres://u:hunter22@h/db?schema=${"s".repeat(64)}`, /the schema name "s{64}" is 64 bytes long; PostgreSQL names hold at most 63/],
    ];
    for (const [url, message] of cases) {
      const r = await cli(["run", "--destination", url], { cwd: dir });
      expect(r.exitCode, url).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(everything(r)).not.toContain("hunter22");
    }
    const debug = await cli(["debug"], { cwd: dir, env: { CONNECTOR_DESTINATION: "postgres://u:hunter22@h/db" } });
    expect(debug.exitCode).toBe(2);
    expect(debug.stderr).toContain('CONNECTOR_DESTINATION names a destination (postgres://u:***@h/db), which is where `connector run` writes; this command writes to the project\'s files/: "sqlite" or "duckdb".');
  });

  it("writes to a duckdb: or sqlite: file too, with the state in the project's state file", async () => {
    const dir = cursorProject(3);
    for (const url of ["sqlite:out/warehouse.db", "duckdb:out/warehouse.duckdb"]) {
      fs.rmSync(path.join(dir, "files"), { recursive: true, force: true });
      const r = await cli(["run", "--destination", url], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain(`Destination: ${path.join(dir, url.split(":")[1]!)} (from --destination)`);
      expect(readState(dir)).toEqual({ last: 3 });
      const inspect = await cli(["inspect", "items", "--destination", url, "--json"], { cwd: dir });
      expect(inspect.exitCode, inspect.stderr).toBe(0);
      expect(JSON.parse(inspect.stdout).map((r: { id: number }) => r.id).sort()).toEqual([1, 2, 3]);
    }
  });
});

describe("connector run: several connectors in one schema, one run at a time", () => {
  it("connectors told apart by --name (or the folder's name) share a schema; a table of another connector is refused", async () => {
    const schema = freshSchema();
    const url = pg().url(pg().database, schema);
    const orders = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("orders", { id: 1 }); op.checkpoint({ o: 1 }); } };\n` });
    const users = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("users", { id: 1 }); op.checkpoint({ u: 1 }); } };\n` });
    // The first connector, in this process (as `connector run --name orders` syncs; run's --name is the first test's); the second is named by its folder, as the CLI names it.
    expect((await syncInto(orders, url, { name: "orders" })).exitCode).toBe(0);
    expect((await cli(["run", "--destination", url], { cwd: users })).exitCode).toBe(0);
    const states = await pg().sql(`SELECT connector, state FROM "${schema}"._connector_state ORDER BY connector`);
    expect(states).toEqual(
      [
        { connector: "orders", state: { o: 1 } },
        { connector: path.basename(users), state: { u: 1 } },
      ].sort((a, b) => (a.connector < b.connector ? -1 : 1)),
    );
    // The users connector, run under the orders connector's name, would write orders' state; as "other", it may not take users' table.
    const clash = await cli(["run", "--destination", url, "--name", "other"], { cwd: users });
    expect(clash.exitCode).toBe(1);
    expect(clash.stderr).toContain(`table "users" in postgres://postgres@127.0.0.1:${pg().port}/${pg().database}?schema=${schema} belongs to connector "${path.basename(users)}"`);
    await pg().sql(`CREATE TABLE "${schema}".mine (id int)`);
    const theirs = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("mine", { id: 1 }); op.checkpoint({}); } };\n` });
    const taken = await cli(["run", "--destination", url], { cwd: theirs });
    expect(taken.exitCode).toBe(1);
    expect(taken.stderr).toContain(`a table "mine" already exists in postgres://postgres@127.0.0.1:${pg().port}/${pg().database}?schema=${schema}, and connector-sdk did not make it`);
  });

  it("two connectors that make the same table at the same moment: the one that commits second is told so", async () => {
    const schema = freshSchema();
    const url = pg().url(pg().database, schema);
    const dir = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("clash", { id: 1 }); op.checkpoint({}); } };\n` });
    // Setup, in this process (as `connector run` syncs): the schema and the connector's own tables exist.
    expect((await syncInto(makeProject(OK), url, { name: "warmup" })).exitCode).toBe(0);
    // Another session makes the table and holds its transaction open, as a connector starting at the same time would.
    const other = new pgClient({ host: pg().host, port: pg().port, user: "postgres", password: pg().password, database: pg().database });
    await other.connect();
    try {
      await other.query(`BEGIN; CREATE TABLE "${schema}".clash (id int)`);
      const run = startCli(dir, ["run", "--destination", url]);
      running.push(run);
      await until(async () => (await pg().sql("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'connector run %' AND wait_event_type = 'Lock'")).length > 0);
      await other.query("COMMIT");
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toContain(`a table "clash" was made in postgres://postgres@127.0.0.1:${pg().port}/${pg().database}?schema=${schema} by another session while this one was making it (another connector writing the same table?). Connectors that share a schema need different table names.`);
    } finally {
      await other.end();
    }
  });

  it("a second concurrent run of one connector is refused with exit 2 by the advisory lock; another connector runs meanwhile; the lock goes with the first run", async () => {
    const schema = freshSchema();
    const url = pg().url(pg().database, schema);
    const dir = makeProject({
      "connector.ts": `import { op, log } from "connector-sdk";
const table = process.env.TABLE ?? "t";
export default { async update(configuration, state) {
  op.upsert(table, { id: 1 }); op.checkpoint({ n: 1 });
  log.info("holding");
  if (!process.env.QUICK) await new Promise((r) => setTimeout(r, 120_000));
  op.upsert(table, { id: 2 }); op.checkpoint({ n: 2 });
} };
`,
    });
    const first = startCli(dir, ["run", "--destination", url, "--name", "slow"]);
    running.push(first);
    await waitFor(() => first.stderr().includes("holding"));
    const second = await cli(["run", "--destination", url, "--name", "slow"], { cwd: dir, env: { QUICK: "1" } });
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toMatch(/Error: Another run of connector "slow" is writing to postgres:\/\/postgres@127\.0\.0\.1:\d+\/t_run\?schema=s_\d+: another session \(backend pid \d+, user "postgres", "connector run slow".*\) holds its lock\. Wait for it to finish/);
    const other = await cli(["run", "--destination", url, "--name", "fast"], { cwd: dir, env: { QUICK: "1", TABLE: "fast_t" } });
    expect(other.exitCode, other.stderr).toBe(0);
    // The state edits wait for the lock too.
    const edit = await cli(["state", "set", "n", "5", "--destination", url, "--name", "slow"], { cwd: dir });
    expect(edit.exitCode).toBe(2);
    expect(edit.stderr).toContain('Connector "slow" is running in');
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(143);
    expect(first.stderr()).toContain("Sync FAILED: interrupted (SIGTERM)");
    expect(await storedState(schema, "slow")).toEqual({ n: 1 });
    const third = await cli(["run", "--destination", url, "--name", "slow"], { cwd: dir, env: { QUICK: "1" } });
    expect(third.exitCode, third.stderr).toBe(0);
    expect(await storedState(schema, "slow")).toEqual({ n: 2 });
  });
});

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe("connector run: connection errors name host, port, database and user, never the password", () => {
  it("connection refused, password authentication failed, database does not exist, permission denied for schema", async () => {
    const dir = cursorProject(1);
    const port = pg().port;
    await pg().sql("CREATE ROLE run_etl LOGIN PASSWORD 'etl-secret-77'");
    await pg().sql("CREATE SCHEMA locked");
    const refused = await closedPort();
    const cases: [string, number, string][] = [
      [
        `postgres://postgres:${pg().password}@127.0.0.1:${refused}/postgres`,
        1,
        `Sync FAILED: Cannot connect to PostgreSQL at 127.0.0.1:${refused} (database "postgres", user "postgres"): connection refused (ECONNREFUSED). Is the server running and listening on 127.0.0.1:${refused}?`,
      ],
      [
        `postgres://run_etl:wrong-password-1@127.0.0.1:${port}/${pg().database}`,
        2,
        `Error: PostgreSQL at 127.0.0.1:${port} (database "${pg().database}", user "run_etl") refused the login: password authentication failed for user "run_etl". Check the user and the password (in the URL, the variable that destination.json's password_env names, or PGPASSWORD).`,
      ],
      [
        `postgres://run_etl:etl-secret-77@127.0.0.1:${port}/nowhere`,
        2,
        `Error: PostgreSQL at 127.0.0.1:${port} (database "nowhere", user "run_etl"): database "nowhere" does not exist. Create it (CREATE DATABASE "nowhere") or fix the database in the URL.`,
      ],
      [
        `postgres://run_etl:etl-secret-77@127.0.0.1:${port}/${pg().database}?schema=locked`,
        2,
        `Error: PostgreSQL at 127.0.0.1:${port} (database "${pg().database}", user "run_etl"): permission denied for schema locked. The user needs USAGE and CREATE on schema "locked" (GRANT USAGE, CREATE ON SCHEMA "locked" TO "run_etl"), or CREATE on the database to make the schema; or choose another schema with ?schema=.`,
      ],
    ];
    for (const [url, code, message] of cases) {
      for (const format of [[], ["--json"], ["--log-format", "json"]]) {
        const r = await cli(["run", "--destination", url, ...format], { cwd: dir });
        expect(r.exitCode, `${url} ${format.join(" ")}: ${r.stderr}`).toBe(code);
        // Plain: on stderr. --json: a failed sync's report on stdout, a usage error on stderr. JSON lines: on stdout.
        const bare = JSON.stringify(message.replace(/^(Error|Sync FAILED): /, "")).slice(1, -1);
        if (format.length === 0 || (format[0] === "--json" && code === 2)) expect(r.stderr).toContain(message);
        else expect(r.stdout).toContain(bare);
        for (const secret of [pg().password, "wrong-password-1", "etl-secret-77"]) expect(everything(r)).not.toContain(secret);
      }
    }
  });

  it("--retries retries a failed sync with back-off from the last committed checkpoint, logging each attempt", async () => {
    const schema = freshSchema();
    const url = pg().url(pg().database, schema);
    const dir = makeProject({
      "connector.ts": `import fs from "node:fs";
import { op } from "connector-sdk";
const marker = new URL("./failed-once", import.meta.url);
export default { update(configuration, state) {
  for (let i = (state.done ?? 0) + 1; i <= 6; i++) {
    op.upsert("t", { id: i });
    op.checkpoint({ done: i });
    if (i === 3 && !fs.existsSync(marker)) { fs.writeFileSync(marker, "x"); throw new Error("the API went away"); }
  }
} };
`,
    });
    const r = await cli(["run", "--destination", url, "--retries", "2", "--retry-delay", "50ms"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("Attempt 1 of 3 FAILED: the API went away");
    expect(r.stderr).toContain("Retrying in 50 ms (--retries).");
    expect(r.stderr).toContain("Attempt 2 of 3: resuming from the last committed checkpoint.");
    expect(r.stderr).toContain('Previous state: {"done":3}');
    expect(r.stderr).toContain("Sync SUCCEEDED");
    expect(r.stderr).toMatch(/^Upserts\s+\| 3$/m);
    expect(await pg().sql(`SELECT count(*)::int AS n FROM "${schema}".t`)).toEqual([{ n: 6 }]);

    fs.rmSync(path.join(dir, "failed-once"));
    const lines = await cli(["run", "--destination", pg().url(pg().database, freshSchema()), "--retries", "1", "--retry-delay", "10ms", "--log-format", "json"], { cwd: dir });
    expect(lines.exitCode).toBe(0);
    const events = lines.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(["start", "ready", "checkpoint", "checkpoint", "checkpoint", "retry", "start", "ready", "checkpoint", "checkpoint", "checkpoint", "report"]);
    expect(events[5]).toMatchObject({ attempt: 1, attempts: 2, error: expect.stringContaining("the API went away"), delayMs: 10 });
    expect(events.at(-1)).toMatchObject({ status: "succeeded", attempts: 2, previousState: { done: 3 }, state: { done: 6 } });

    const failing = makeProject({ "connector.ts": `export default { update() { throw new Error("always down"); } };\n` });
    const exhausted = await cli(["run", "--destination", url, "--retries", "1", "--retry-delay", "10ms"], { cwd: failing });
    expect(exhausted.exitCode).toBe(1);
    expect(exhausted.stderr).toContain("Attempt 1 of 2 FAILED: always down");
    expect(exhausted.stderr).toContain("Sync FAILED (attempt 2): always down");

    // SIGTERM during the back-off ends the run at once, with SIGTERM's exit code.
    const waiting = startCli(failing, ["run", "--destination", url, "--retries", "3", "--retry-delay", "10m"]);
    running.push(waiting);
    await waitFor(() => waiting.stderr().includes("Retrying in 10 min 0 s (--retries)."));
    waiting.child.kill("SIGTERM");
    expect(await waiting.exited).toBe(143);
  });
});

describe("connector run: a connection lost mid-sync", () => {
  it("fails the attempt with the server's reason; --retries resumes from the last checkpoint", async () => {
    const schema = freshSchema();
    const url = pg().url(pg().database, schema);
    const dir = makeProject({
      "connector.ts": `import fs from "node:fs";
import { op, log } from "connector-sdk";
const go = new URL("./go", import.meta.url);
export default { async update(configuration, state) {
  if (!state.n) { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); }
  log.info("holding");
  while (!fs.existsSync(go)) await new Promise((r) => setTimeout(r, 20));
  op.upsert("t", { id: 2 }); op.checkpoint({ n: 2 });
} };
`,
    });
    const run = startCli(dir, ["run", "--destination", url, "--retries", "1", "--retry-delay", "10ms"]);
    running.push(run);
    await waitFor(() => run.stderr().includes("holding"));
    // "holding" can come before checkpoint 1 has committed: the writer commits in the background.
    await waitFor(async () => JSON.stringify(await storedState(schema, path.basename(dir)).catch(() => null)) === '{"n":1}');
    // The server ends the session (a restart, a failover, pg_terminate_backend).
    await pg().sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'connector run %'");
    fs.writeFileSync(path.join(dir, "go"), "");
    expect(await run.exited, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/Attempt 1 of 2 FAILED: (op\.checkpoint: )?the postgres destination postgres:\/\/postgres@127\.0\.0\.1:\d+\/t_run\?schema=s_\d+ failed( while committing)?: the connection to PostgreSQL at 127\.0\.0\.1:\d+ was lost: (terminating connection due to administrator command|Connection terminated unexpectedly)/);
    expect(run.stderr()).toContain('Previous state: {"n":1}');
    expect(await storedState(schema, path.basename(dir))).toEqual({ n: 2 });
    expect(await pg().sql(`SELECT count(*)::int AS n FROM "${schema}".t`)).toEqual([{ n: 2 }]);
  });
});

describe("connector run: output", () => {
  it("--log-format json prints one JSON object per line on stdout: logs, warnings, checkpoints, the report; no password anywhere", async () => {
    const schema = freshSchema();
    const dir = makeProject({
      "connector.ts": `import { op, log } from "connector-sdk";
export default { schema: () => [{ table: "t", primary_key: ["id"] }], update() {
  log.info("hello"); log.debug("detail"); console.log("plain console line");
  op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 });
  op.update("t", { id: 9, v: 1 }); op.checkpoint({ n: 2 });
} };
`,
    });
    const r = await cli(["run", "--destination", pg().url(pg().database, schema), "--log-format", "json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    for (const e of events) expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(events.find((e) => e.type === "log")).toMatchObject({ level: "INFO", message: "hello" });
    expect(events.some((e) => e.type === "log" && e.level === "DEBUG")).toBe(false);
    expect(events.find((e) => e.type === "output")).toMatchObject({ message: "plain console line" });
    expect(events.filter((e) => e.type === "checkpoint").map((e) => e.state)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(events.find((e) => e.type === "warning")?.message).toContain('1 update(s) on table "t" matched no row');
    expect(events.at(-1)).toMatchObject({ type: "report", status: "succeeded", state: { n: 2 } });
    expect(r.stdout).not.toContain(pg().password);
  });
});

describe("inspect, state, reset and verify on a connector in PostgreSQL", () => {
  it("inspect shows its tables; state show/set/history; reset --table keeps the state; reset drops it all; verify leaves no scratch schema", async () => {
    const schema = freshSchema();
    const url = pg().url(pg().database, schema);
    const dir = cursorProject(4);
    const flags = ["--destination", url, "--name", "shop"];
    // The first sync, a setup step, in this process (as `connector run` syncs).
    expect((await syncInto(dir, url, { name: "shop" })).exitCode).toBe(0);

    const tables = await cli(["inspect", ...flags, "--json"], { cwd: dir });
    expect(tables.exitCode, tables.stderr).toBe(0);
    expect(JSON.parse(tables.stdout).tables).toEqual([
      expect.objectContaining({ table: "items", primaryKey: ["id"], rows: 4, deleted: 0, columns: [expect.objectContaining({ name: "id", type: "LONG" }), expect.objectContaining({ name: "name", type: "STRING" })] }),
    ]);
    const latest = await cli(["inspect", "items", ...flags, "--json"], { cwd: dir });
    expect(JSON.parse(latest.stdout)[0]).toMatchObject({ _fivetran_deleted: 0 });

    const show = await cli(["state", "show", ...flags], { cwd: dir });
    expect(JSON.parse(show.stdout)).toEqual({ last: 4 });
    const history = await cli(["state", "history", ...flags, "--json"], { cwd: dir });
    expect(JSON.parse(history.stdout).map((h: { seq: number }) => h.seq)).toEqual([1, 2, 3]);
    const set = await cli(["state", "set", "last", "1", ...flags], { cwd: dir });
    expect(set.exitCode, set.stderr).toBe(0);
    expect(set.stderr).toContain(`Set last to 1 in the state of connector "shop" in postgres://postgres@127.0.0.1:${pg().port}/${pg().database}?schema=${schema}.`);
    const rerun = await cli(["run", ...flags], { cwd: dir });
    expect(rerun.stderr).toContain('Previous state: {"last":1}');
    expect(rerun.stderr).toMatch(/^Upserts\s+\| 3$/m);

    const dropOne = await cli(["reset", ...flags, "--table", "items", "--yes"], { cwd: dir });
    expect(dropOne.exitCode, dropOne.stderr).toBe(0);
    expect(dropOne.stderr).toContain("Dropped items.");
    expect(await storedState(schema, "shop")).toEqual({ last: 4 });
    expect(await pg().sql("SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'items'", [schema])).toEqual([]);

    // The table again, for reset to drop (setup, in this process; the destination still holds the state, so the seed is not used).
    expect((await syncInto(dir, url, { name: "shop", state: { last: 2 } })).exitCode).toBe(0);
    const all = await cli(["reset", ...flags, "--yes"], { cwd: dir });
    expect(all.exitCode, all.stderr).toBe(0);
    expect(await pg().sql(`SELECT connector FROM "${schema}"._connector_state UNION ALL SELECT connector FROM "${schema}"._connector_checkpoints`)).toEqual([]);
    // A first run again: --state seeds it.
    const seeded = await cli(["run", ...flags, "--state", writeSeed(dir, { last: 2 })], { cwd: dir });
    expect(seeded.stderr).toContain('Previous state: {"last":2}');
    expect(await rowsOf(schema)).toEqual([3, 4].map((id) => ({ id, name: `item ${id}`, deleted: false })));

    const verify = await cli(["verify", "--destination", url, "--trials", "2", "--seed", "7"], { cwd: dir });
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.stderr).toContain("VERIFY PASSED");
    expect(await pg().sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE '\\_connector\\_verify%'")).toEqual([]);
    expect(everything(verify) + everything(all) + everything(show)).not.toContain(pg().password);
  });
});

describe("verify on PostgreSQL with JSON whose key order varies", () => {
  it("passes: jsonb stores every order of the same keys alike, so a re-run that sends { b, a } for { a, b } is no difference", async () => {
    // Each sync sends the keys in the other order: syncs.txt counts them across verify's processes and threads.
    const dir = makeProject({
      "connector.ts": `import fs from "node:fs";
import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"], columns: { id: "INT", doc: "JSON" } }],
  update(_c: unknown, state: { n?: number }) {
    const syncs = Number(fs.existsSync("syncs.txt") ? fs.readFileSync("syncs.txt", "utf8") : "0") + 1;
    fs.writeFileSync("syncs.txt", String(syncs));
    for (let i = (state.n ?? 0) + 1; i <= 4; i++) {
      const doc = syncs % 2 ? { zeta: i, alpha: { b: 1, a: [1e21, "x"] } } : { alpha: { a: [1e21, "x"], b: 1 }, zeta: i };
      op.upsert("t", { id: i, doc });
      op.checkpoint({ n: i });
    }
  },
};
`,
    });
    const verify = await cli(["verify", "--destination", pg().url(pg().database, freshSchema("vj")), "--trials", "2", "--seed", "11"], { cwd: dir });
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.stderr).toMatch(/^baseline\s+PASS\s+two historical syncs agree/m);
    expect(verify.stderr).toContain("VERIFY PASSED");
    expect(Number(fs.readFileSync(path.join(dir, "syncs.txt"), "utf8"))).toBeGreaterThanOrEqual(4);
  });
});

describe("schema changes and truncates in PostgreSQL", () => {
  it("adds columns, widens with the SQLite rules, refuses a key change with the same message, and names over 63 bytes", async () => {
    const schema = freshSchema();
    const url = pg().url(pg().database, schema);
    const connector = (body: string, key = "id") => `import { op } from "connector-sdk";
export default { schema: () => [{ table: "t", primary_key: ["${key}"] }], update() { ${body} op.checkpoint({}); } };
`;
    const dir = makeProject({ "connector.ts": connector(`op.upsert("t", { id: 1, n: 5, flag: true });`) });
    // The first sync, a setup step, in this process under the name `connector run` gives it (the folder's).
    expect((await syncInto(dir, url, { name: path.basename(dir) })).exitCode).toBe(0);
    fs.writeFileSync(path.join(dir, "connector.ts"), connector(`op.upsert("t", { id: 2, n: 2.5, flag: "maybe", extra: "x" });`));
    const widened = await cli(["run", "--destination", url], { cwd: dir });
    expect(widened.exitCode, widened.stderr).toBe(0);
    expect(widened.stderr).toMatch(/^SchemaChanges\s+\| 3$/m);
    expect(await pg().sql(`SELECT id::int, n, flag, extra FROM "${schema}".t ORDER BY id`)).toEqual([
      { id: 1, n: 5, flag: "true", extra: null },
      { id: 2, n: 2.5, flag: "maybe", extra: "x" },
    ]);
    const types = await pg().sql(`SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = $1 AND table_name = 't' ORDER BY column_name`, [schema]);
    expect(types).toEqual([
      { c: "_fivetran_deleted", t: "boolean" },
      { c: "_fivetran_synced", t: "timestamp with time zone" },
      { c: "extra", t: "text" },
      { c: "flag", t: "text" },
      { c: "id", t: "bigint" },
      { c: "n", t: "double precision" },
    ]);

    fs.writeFileSync(path.join(dir, "connector.ts"), connector(`op.upsert("t", { id: 3, code: 3 });`, "code"));
    const rekeyed = await cli(["run", "--destination", url], { cwd: dir });
    expect(rekeyed.exitCode).toBe(1);
    expect(rekeyed.stderr).toMatch(/primary key of table "t" changed[^\n]*\nTo load table "t" again from the start[^\n]*\n {2}connector reset --destination \S+ --name \S+ --table t\n/);

    const long = "c".repeat(64);
    fs.writeFileSync(path.join(dir, "connector.ts"), connector(`op.upsert("t", { id: 4, ${long}: 1 });`));
    const named = await cli(["run", "--destination", url], { cwd: dir });
    expect(named.exitCode).toBe(1);
    expect(named.stderr).toContain(`the column name "${long}" in table "t" is 64 bytes long, and PostgreSQL keeps only the first 63 bytes of a name (it would cut it silently, and two long names could become one). Give it a shorter name in the connector.`);
  });

  it("a truncate is deferred: a failed sync leaves the rows live; the next successful sync marks what was written before it", async () => {
    const schema = freshSchema();
    const url = pg().url(pg().database, schema);
    const dir = makeProject({
      "connector.ts": `import fs from "node:fs";
import { op } from "connector-sdk";
export default { update(configuration, state) {
  if (!state.loaded) { for (const id of [1, 2, 3]) op.upsert("t", { id }); op.checkpoint({ loaded: true }); return; }
  op.truncate("t");
  op.upsert("t", { id: 2 });
  op.checkpoint({ loaded: true, truncated: true });
  if (fs.existsSync(new URL("./fail", import.meta.url))) throw new Error("failed after the truncate");
} };
`,
    });
    // The first sync (the rows before the truncate), a setup step, in this process under the folder's name, as `connector run` names it.
    expect((await syncInto(dir, url, { name: path.basename(dir) })).exitCode).toBe(0);
    fs.writeFileSync(path.join(dir, "fail"), "");
    const failed = await cli(["run", "--destination", url], { cwd: dir });
    expect(failed.exitCode).toBe(1);
    expect(await pg().sql(`SELECT id::int, _fivetran_deleted AS d FROM "${schema}".t ORDER BY id`)).toEqual([
      { id: 1, d: false },
      { id: 2, d: false },
      { id: 3, d: false },
    ]);
    expect(await pg().sql(`SELECT table_name FROM "${schema}"._connector_truncates`)).toEqual([{ table_name: "t" }]);
    fs.rmSync(path.join(dir, "fail"));
    fs.writeFileSync(path.join(dir, "connector.ts"), `import { op } from "connector-sdk";\nexport default { update() { op.upsert("t", { id: 4 }); op.checkpoint({ loaded: true, truncated: true }); } };\n`);
    const next = await cli(["run", "--destination", url], { cwd: dir });
    expect(next.exitCode, next.stderr).toBe(0);
    expect(await pg().sql(`SELECT id::int, _fivetran_deleted AS d FROM "${schema}".t ORDER BY id`)).toEqual([
      { id: 1, d: true },
      { id: 2, d: false },
      { id: 3, d: true },
      { id: 4, d: false },
    ]);
    expect(await pg().sql(`SELECT * FROM "${schema}"._connector_truncates`)).toEqual([]);
  });
});

function writeSeed(dir: string, state: object): string {
  const file = path.join(dir, "seed.json");
  fs.writeFileSync(file, JSON.stringify(state));
  return file;
}


describe("connector run: a forgotten await", () => {
  it("ends the same way every time in PostgreSQL, whenever the work update() did not await comes back (page delays 0 to 40 ms)", async () => {
    const dir = makeProject({
      "connector.ts": `import { op, log } from "connector-sdk";
const delay = Number(process.env.PAGE_DELAY_MS);
async function syncUsers(state: any) {
  op.upsert("users", { id: 0 });
  for (let page = 1; page <= 3; page++) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    log.info("page " + page);
    try {
      op.upsert("users", { id: page });
      op.checkpoint({ page });
    } catch {
      // Carries on past the refused operation, to fail on its own below.
    }
    if (page === 2) throw new TypeError("page 2 has no items");
  }
}
export default { update(configuration: any, state: any) { syncUsers(state); } };
`,
    });
    const outcomes = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const schema = freshSchema();
      const r = await cli(["run", "--destination", pg().url(pg().database, schema)], { cwd: dir, env: { PAGE_DELAY_MS: String(i * 8) } });
      const rows = await pg().sql(`SELECT id FROM "${schema}".users ORDER BY id`);
      const state = await pg().sql(`SELECT count(*)::int AS n FROM "${schema}"._connector_state`);
      outcomes.add(JSON.stringify({ exit: r.exitCode, stderr: r.stderr.replace(/ in \d+(\.\d+)? m?s/g, "").replaceAll(schema, "<schema>"), rows, state }, null, 1));
    }
    expect([...outcomes], "every run must end alike").toHaveLength(1);
    const only = JSON.parse([...outcomes][0]!) as { exit: number; stderr: string; rows: unknown[] };
    expect(only.exit, only.stderr).toBe(0);
    expect(only.stderr).toContain("Warning: update() returned without waiting for work it started");
    expect(only.stderr).not.toContain("page 1");
    expect(only.rows).toHaveLength(1);
  }, 120_000);
});

describe("connector run: the previous state", () => {
  it("is printed as debug prints it: the state as stored, not the state schema's defaults (issue 25)", async () => {
    const url = pg().url("postgres", freshSchema());
    const dir = makeProject({
      "connector.ts": `import { Connector, op } from "connector-sdk";\nimport { z } from "zod";\nexport default new Connector({\n  state: z.object({ cursor: z.string().default("2000-01-01") }),\n  update(c, state) { op.checkpoint({ cursor: state.cursor === "2000-01-01" ? "2024-01-01" : state.cursor }); },\n});\n`,
    });
    const first = await cli(["run", "--destination", url], { cwd: dir });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain("Previous state: {}");
    const debug = await cli(["debug"], { cwd: dir });
    expect(debug.stderr).toContain("Previous state:\n{}");
    const second = await cli(["run", "--destination", url], { cwd: dir });
    expect(second.stderr).toContain(`Previous state: {"cursor":"2024-01-01"}`);
  });
});
