import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/verify/random.js";
import { cli, fixtureProject, startCli, waitFor } from "../helpers.js";
import { until, usePostgres } from "../support/use-postgres.js";

// Exactly once: `connector run` into PostgreSQL, killed with SIGKILL at seeded checkpoints.
// The state is committed in the same transaction as the rows, so after any kill the rows
// equal exactly what the stored state says, and a resume emits only what is left.
// 50 checkpoints (the same seeded kill points as with 1,000 rows each) with half the rows.
const TOTAL = 25_000;
const EVERY = 500;
const TRIALS = 10;

describe("connector run into PostgreSQL survives SIGKILL", () => {
  const pg = usePostgres("postgres_crash");
  const seed = Number(process.env.CRASH_SEED ?? 20261126);

  it(`${TRIALS} seeded SIGKILL trials (seed ${seed}): the rows equal exactly the checkpoint in _connector_state, and a resume converges to the source with no replay and no duplicate`, async () => {
    const rand = mulberry32(seed);
    const dir = fixtureProject("crash");
    const env = { CRASH_TOTAL: String(TOTAL), CRASH_EVERY: String(EVERY) };
    const seen = new Set<string>();
    for (let trial = 0; trial < TRIALS; trial++) {
      const schema = `crash_${trial}`;
      const url = pg().url(pg().database, schema);
      // Killed as soon as a seeded checkpoint is reported (0: as soon as the run starts).
      const after = Math.floor(rand() * (TOTAL / EVERY));
      const run = startCli(dir, ["run", "--destination", url, "--name", "crash"], env);
      try {
        await waitFor(() => (after === 0 ? run.stderr().includes("Previous state:") : run.stderr().includes(`Checkpoint ${after}:`)), 60_000);
      } finally {
        run.child.kill("SIGKILL");
        await run.exited;
      }
      const where = `trial ${trial}, killed after checkpoint ${after} was reported (seed ${seed})`;
      // The killed run's backend ends when the server sees its connection close; then its lock is free.
      await until(async () => (await pg().sql("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'connector run%'")).length === 0);

      const stored = await pg().sql<{ state: { emitted: number } | null; seq: string }>(`SELECT state, seq FROM ${schema}._connector_state`).catch(() => []);
      const emitted = stored[0]?.state?.emitted ?? 0;
      const hasRows = (await pg().sql(`SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'rows'`, [schema])).length > 0;
      const rows = hasRows ? Number((await pg().sql<{ n: string }>(`SELECT count(*) AS n FROM ${schema}."rows"`))[0]!.n) : 0;
      expect(rows, `${where}: the rows equal exactly the stored state`).toBe(emitted);
      if (stored[0]) {
        const [log] = await pg().sql<{ seq: string; state: { emitted: number } }>(`SELECT seq, state FROM ${schema}._connector_checkpoints WHERE connector = 'crash' ORDER BY seq DESC LIMIT 1`);
        expect(Number(stored[0].seq), `${where}: the stored state is the last checkpoint's`).toBe(log ? Number(log.seq) : 0);
        if (log) expect(log.state).toEqual(stored[0].state);
      }
      seen.add(rows === 0 ? "none" : rows === TOTAL ? "all" : "some");

      const resumed = await cli(["run", "--destination", url, "--name", "crash", "--json"], { cwd: dir, env });
      expect(resumed.exitCode, `${where}: ${resumed.stderr}`).toBe(0);
      const report = JSON.parse(resumed.stdout);
      expect(report.previousState, where).toEqual(emitted ? { emitted } : {});
      // No replay: the resume emitted only the rows the killed run had not committed.
      expect(report.counts.upserts, where).toBe(TOTAL - emitted);
      const [all] = await pg().sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, min(id)::int AS low, max(id)::int AS top FROM ${schema}."rows"`);
      expect(all, where).toEqual({ n: TOTAL, ids: TOTAL, low: 0, top: TOTAL - 1 });
      const [state] = await pg().sql(`SELECT state FROM ${schema}._connector_state WHERE connector = 'crash'`);
      expect(state, where).toEqual({ state: { emitted: TOTAL } });
    }
    // The kills must land mid-sync, or the trials prove nothing.
    expect(seen.has("some")).toBe(true);
  }, 300_000);
});
