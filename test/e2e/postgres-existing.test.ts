import pg from "pg";
import { describe, expect, it } from "vitest";
import { cli, fixtureProject } from "../helpers.js";

// Against a server you already have: TEST_DATABASE_URL=postgres://user:password@host:5432/db npm test.
// The test works in a schema of its own, and drops it afterwards. Without the variable it is
// skipped, and its title says so.
const url = process.env.TEST_DATABASE_URL;
const note = url ? "" : " (skipped: TEST_DATABASE_URL is not set; set it to a postgres:// URL to run this against an existing server)";
if (!url) console.warn(`Note: test/e2e/postgres-existing.test.ts is skipped: TEST_DATABASE_URL is not set. The other PostgreSQL tests use a throwaway server of their own.`);

describe.skipIf(!url)(`connector run against the server in TEST_DATABASE_URL${note}`, () => {
  it("syncs, resumes from the stored state, and leaves nothing behind", async () => {
    const schema = `connector_sdk_test_${process.pid}_${Date.now()}`;
    const destination = `${url}${url!.includes("?") ? "&" : "?"}schema=${schema}`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const dir = fixtureProject("fivetran/simple_three_step_cursor");
      for (const n of [1, 2]) {
        const r = await cli(["run", "--destination", destination, "--name", "existing"], { cwd: dir });
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stdout + r.stderr).not.toContain(new URL(url!).password || "\u0000");
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
