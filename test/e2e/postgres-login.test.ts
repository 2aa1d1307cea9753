// Logging in to PostgreSQL: names in the URL that PostgreSQL cannot hold are refused before
// connecting; a password the server asks for and nobody gave is a usage error (exit 2, not
// retried) that names every place a password comes from; and those places are tried in the
// README's order: the URL, the variable destination.json's password_env names, PGPASSWORD.
import { describe, expect, it } from "vitest";
import { cli, makeProject, type CliResult } from "../helpers.js";
import { usePostgres } from "../support/use-postgres.js";

const server = usePostgres();
const OK = { "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); } };\n` };

/** A URL without a password, for `user`. */
const url = (user: string, schema: string, database = "postgres"): string => `postgres://${user}@127.0.0.1:${server().port}/${database}?schema=${schema}`;
const everything = (r: CliResult): string => r.stdout + r.stderr;

describe("names in the URL that PostgreSQL cannot hold", () => {
  it("a NUL (%00) in the schema, database or user name, and bytes that are not UTF-8 (%FF), are refused up front with exit 2, not retried, and nothing is created", async () => {
    const dir = makeProject(OK);
    const withPassword = (u: string): string => u.replace("postgres@", `postgres:${encodeURIComponent(server().password)}@`);
    const cases: [string, string][] = [
      [url("postgres", "a%00b"), '--destination: the schema name "a\\u0000b" holds a NUL character (%00), which PostgreSQL cannot hold in a name; remove it from the URL'],
      [url("postgres", "s", "post%00gres"), '--destination: the database name "post\\u0000gres" holds a NUL character (%00), which PostgreSQL cannot hold in a name'],
      [url("postgres%00x", "s"), '--destination: the user name "postgres\\u0000x" holds a NUL character (%00), which PostgreSQL cannot hold in a name'],
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
