// Logging in to PostgreSQL: names in the URL that PostgreSQL cannot hold are refused before
// connecting; a password the server asks for and nobody gave is a usage error (exit 2, not
// retried) that names every place a password comes from; and those places are tried in the
// README's order: the URL, the variable destination.json's password_env names, PGPASSWORD.
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, makeProject, type CliResult } from "../helpers.js";
import { freshSchema, until, usePostgres } from "../support/use-postgres.js";

const server = usePostgres("postgres_login", { ownServer: true });
const OK = { "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); } };\n` };
/** No password from the environment of whoever runs the tests: none in PGPASSWORD, no ~/.pgpass. */
const NO_PASSWORD = { PGPASSWORD: "", PGPASSFILE: "/nonexistent/pgpass" };
const ETL_PASSWORD = "etl-login-secret-31";

/** A URL without a password, for `user`. */
const url = (user: string, schema: string, database = "postgres"): string => `postgres://${user}@127.0.0.1:${server().port}/${database}?schema=${schema}`;
const everything = (r: CliResult): string => r.stdout + r.stderr;

const canLogIn = async (user: string, password?: string): Promise<boolean> => {
  const client = new pg.Client({ host: "127.0.0.1", port: server().port, user, database: "postgres", ...(password ? { password } : {}) });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  // etl logs in with SCRAM, m5 with md5, clear with a cleartext password; trusty needs none (trust).
  await server().sql(`CREATE ROLE etl LOGIN PASSWORD '${ETL_PASSWORD}'; CREATE ROLE trusty LOGIN; GRANT CREATE ON DATABASE postgres TO etl, trusty`);
  await server().sql("SET password_encryption = 'md5'; CREATE ROLE m5 LOGIN PASSWORD 'm5-secret'; CREATE ROLE clear LOGIN PASSWORD 'clear-secret'");
  const hba = (await server().sql<{ hba_file: string }>("SHOW hba_file"))[0]!.hba_file;
  const lines = ["local all all scram-sha-256", "host all trusty 127.0.0.1/32 trust", "host all m5 127.0.0.1/32 md5", "host all clear 127.0.0.1/32 password", "host all all 127.0.0.1/32 scram-sha-256"];
  await server().sql(`COPY (SELECT unnest(ARRAY[${lines.map((l) => `'${l}'`).join(", ")}])) TO '${hba}'`);
  await server().sql("SELECT pg_reload_conf()");
  await until(() => canLogIn("trusty"));
}, 60_000);

const missing = (user: string, variable?: string): string =>
  `PostgreSQL at 127.0.0.1:${server().port} (database "postgres", user "${user}") asks for a password, and none was given. The password comes from the URL (postgres://${user}:<password>@…, percent-encoded), ` +
  `else the variable that destination.json's password_env names${variable ? ` (${variable}, which is not set)` : ""}, else PGPASSWORD, else ~/.pgpass; none of them holds one.`;

describe("names in the URL that PostgreSQL cannot hold", () => {
  it("a NUL (%00) in the schema, database, user or host name, and bytes that are not UTF-8 (%FF), are refused up front with exit 2, not retried, and nothing is created", async () => {
    const dir = makeProject(OK);
    const withPassword = (u: string): string => u.replace("postgres@", `postgres:${encodeURIComponent(server().password)}@`);
    const cases: [string, string][] = [
      [url("postgres", "a%00b"), '--destination: the schema name "a\\u0000b" holds a NUL character (%00), which PostgreSQL cannot hold in a name; remove it from the URL'],
      [url("postgres", "s", "post%00gres"), '--destination: the database name "post\\u0000gres" holds a NUL character (%00), which PostgreSQL cannot hold in a name'],
      [url("postgres%00x", "s"), '--destination: the user name "postgres\\u0000x" holds a NUL character (%00), which PostgreSQL cannot hold in a name'],
      [`${url("postgres", "s")}&host=127.0.0.1%00x`, '--destination: the host "127.0.0.1\\u0000x" holds a NUL character (%00)'],
      [url("postgres", "a%FFb"), '--destination: the value of "schema" is not valid percent-encoded UTF-8 text; PostgreSQL names are UTF-8, so encode each character as its UTF-8 bytes (ü is %C3%BC)'],
    ];
    for (const [target, says] of cases) {
      for (const args of [["run", "--retries", "2", "--retry-delay", "10ms"], ["reset", "--yes"], ["state", "show"]]) {
        const r = await cli([...args, "--destination", withPassword(target)], { cwd: dir });
        expect(r.exitCode, `${args[0]} ${target}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain(says);
        expect(r.stderr).not.toMatch(/Attempt|invalid byte sequence|startup packet/);
        expect(everything(r)).not.toContain(server().password);
      }
    }
    expect(await server().sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'a_b'")).toEqual([]);
    // A name percent-encoded as UTF-8 is taken as it is.
    const r = await cli(["run", "--destination", withPassword(url("postgres", "%C3%BCber"))], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await server().sql(`SELECT id::int FROM "über".t`)).toEqual([{ id: 1 }]);
  });
});

describe("a password the server asks for and nobody gave", () => {
  it("is exit 2, naming every place a password comes from, for run (not retried), reset, state and inspect; with SCRAM, md5 and a cleartext password alike", async () => {
    const dir = makeProject(OK);
    const schema = freshSchema("nopw");
    for (const user of ["etl", "m5", "clear"]) {
      for (const args of [["run", "--retries", "2", "--retry-delay", "10ms"], ["reset", "--yes"], ["state", "show"], ["inspect"]]) {
        const r = await cli([...args, "--destination", url(user, schema)], { cwd: dir, env: NO_PASSWORD });
        expect(r.exitCode, `${user} ${args[0]}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain(`Error: ${missing(user)}`);
        expect(r.stderr).not.toMatch(/SASL|SCRAM|Attempt|Retrying|Crash report/);
      }
    }
    // In JSON lines too: one error line, every line JSON.
    const json = await cli(["run", "--destination", url("etl", schema), "--log-format", "json", "--retries", "2"], { cwd: dir, env: NO_PASSWORD });
    expect(json.exitCode).toBe(2);
    const lines = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; message?: string });
    expect(lines.filter((l) => l.type === "error").map((l) => l.message)).toEqual([missing("etl")]);
    expect(lines.some((l) => l.type === "retry")).toBe(false);
    expect(await server().sql("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).toEqual([]);
  });

  it("a server that trusts the user asks for none: the run succeeds with no password anywhere", async () => {
    const dir = makeProject(OK);
    const schema = freshSchema("trust");
    const r = await cli(["run", "--destination", url("trusty", schema)], { cwd: dir, env: NO_PASSWORD });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await server().sql(`SELECT id::int FROM "${schema}".t`)).toEqual([{ id: 1 }]);
  });

  it("a wrong password is still the server's refusal, not a missing one; ~/.pgpass (PGPASSFILE) still gives one, also beside an empty PGPASSWORD", async () => {
    const dir = makeProject(OK);
    const schema = freshSchema("pgpass");
    const wrong = await cli(["run", "--destination", url("etl", schema)], { cwd: dir, env: { ...NO_PASSWORD, PGPASSWORD: "not-it-4" } });
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain(`refused the login: password authentication failed for user "etl". Check the user and the password (in the URL, the variable that destination.json's password_env names, or PGPASSWORD).`);
    const pgpass = path.join(dir, "pgpass");
    fs.writeFileSync(pgpass, `127.0.0.1:${server().port}:*:etl:${ETL_PASSWORD}\n`, { mode: 0o600 });
    // Read when PGPASSWORD is not in the environment, or empty: libpq takes an empty one as unset (pg's pgpass module alone would not).
    for (const PGPASSWORD of [undefined, ""]) {
      const r = await cli(["run", "--destination", url("etl", schema)], { cwd: dir, env: { ...NO_PASSWORD, PGPASSWORD, PGPASSFILE: pgpass } });
      expect(r.exitCode, `PGPASSWORD=${JSON.stringify(PGPASSWORD)}: ${r.stderr}`).toBe(0);
      expect(everything(r)).not.toContain(ETL_PASSWORD);
    }
  });
});

describe("where the password comes from, in the README's order: the URL, password_env's variable, PGPASSWORD", () => {
  it("an unset password_env variable falls back to PGPASSWORD (the README's destination.json with its crontab line); a set one comes before PGPASSWORD; the URL's comes first", async () => {
    const dir = makeProject(OK);
    const schema = freshSchema("order");
    const destination = (u: string): void => fs.writeFileSync(path.join(dir, "destination.json"), JSON.stringify({ url: u, password_env: "WAREHOUSE_PASSWORD" }));
    const run = (env: Record<string, string>) => cli(["run"], { cwd: dir, env: { ...NO_PASSWORD, ...env } });
    destination(url("etl", schema));

    const fallback = await run({ PGPASSWORD: ETL_PASSWORD });
    expect(fallback.exitCode, fallback.stderr).toBe(0);
    const empty = await run({ WAREHOUSE_PASSWORD: "", PGPASSWORD: ETL_PASSWORD });
    expect(empty.exitCode, empty.stderr).toBe(0);
    const variableFirst = await run({ WAREHOUSE_PASSWORD: ETL_PASSWORD, PGPASSWORD: "not-it-1" });
    expect(variableFirst.exitCode, variableFirst.stderr).toBe(0);
    const wrongVariable = await run({ WAREHOUSE_PASSWORD: "not-it-2", PGPASSWORD: ETL_PASSWORD });
    expect(wrongVariable.exitCode).toBe(2);
    expect(wrongVariable.stderr).toContain('refused the login: password authentication failed for user "etl"');

    const none = await run({});
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain(`Error: ${missing("etl", "WAREHOUSE_PASSWORD")}`);

    destination(url(`etl:${ETL_PASSWORD}`, schema));
    const urlFirst = await run({ WAREHOUSE_PASSWORD: "not-it-2", PGPASSWORD: "not-it-3" });
    expect(urlFirst.exitCode, urlFirst.stderr).toBe(0);
    for (const r of [fallback, empty, variableFirst, wrongVariable, none, urlFirst]) expect(everything(r)).not.toContain(ETL_PASSWORD);
    expect(await server().sql<{ state: unknown }>(`SELECT state FROM "${schema}"._connector_state`)).toEqual([{ state: { n: 1 } }]);
  });
});
