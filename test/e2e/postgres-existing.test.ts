import pg from "pg";
import { describe, expect, it } from "vitest";
import { cli, fixtureProject } from "../helpers.js";
import { usePostgres } from "../support/use-postgres.js";

// Against a server you already have: TEST_DATABASE_URL=postgres://user:password@host:5432/db npm test.
// Without it, against the test run's own server (test/support/global-postgres.ts), so it never
// skips. The test works in a schema of its own, and drops it afterwards.
const given = process.env.TEST_DATABASE_URL;
const shared = given ? undefined : usePostgres("postgres_existing");

describe(`connector run against an existing server (${given ? "TEST_DATABASE_URL" : "the test run's server; set TEST_DATABASE_URL for another"})`, () => {
  it("syncs, resumes from the stored state, and leaves nothing behind", async () => {
    const url = given ?? shared!().url();
    const schema = `connector_sdk_test_${process.pid}_${Date.now()}`;
    const destination = `${url}${url.includes("?") ? "&" : "?"}schema=${schema}`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const dir = fixtureProject("fivetran/simple_three_step_cursor");
      for (const n of [1, 2]) {
        const r = await cli(["run", "--destination", destination, "--name", "existing"], { cwd: dir });
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stdout + r.stderr).not.toContain(new URL(url).password || "\u0000");
        const state = await client.query(`SELECT state FROM "${schema}"._connector_state WHERE connector = 'existing'`);
        expect(state.rows).toEqual([{ state: { cursor: n } }]);
      }
      const rows = await client.query(`SELECT id::int FROM "${schema}".hello_world ORDER BY id`);
      expect(rows.rows).toEqual([{ id: 10 }, { id: 20 }]);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});
