import { configDefaults, defineConfig } from "vitest/config";
import { LongestFirst } from "./test/support/sequencer.ts";

/**
 * The unit files share their worker processes (isolate: false): each spawns nothing and restores what it
 * changes (process.env.TMPDIR), and a fresh process per file cost about a second of CPU, as much
 * as most of them take to run.
 */
const UNIT = "test/unit/**/*.test.ts";

/**
 * Where NODE_EXTRA_CA_CERTS is set (this machine sets it to the system's 220 KB CA bundle), Node 20 parses the bundle
 * at every process start, before any JavaScript runs: about 0.04 s of CPU, twice `node -e 0`'s own, in each of the
 * suite's ~1,600 Node processes (its forks, every spawned CLI, npm). No test makes a TLS connection to a public CA's
 * server: the APIs, the npm stand-in and PostgreSQL are local. Unset here, so the forks and everything they spawn
 * start without it.
 */
delete process.env.NODE_EXTRA_CA_CERTS;

const common = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: "forks" as const,
  setupFiles: ["test/setup.ts"],
};

export default defineConfig({
  test: {
    // One PostgreSQL server for the run (test/support/global-postgres.ts); each file takes a database of its own.
    globalSetup: ["test/support/global-postgres.ts"],
    // Longest files first, from a table of their times when vitest has none of its own (test/support/sequencer.ts).
    sequence: { sequencer: LongestFirst },
    // No file runs alone: the tests of stopped syncs signal a child once its output says so, or race children and accept
    // any winner; timeouts.test.ts runs again with a longer limit when the connector was not past its checkpoint in time.
    projects: [
      { test: { ...common, name: "parallel", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, UNIT], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: "unit", include: [UNIT], isolate: false, maxWorkers: 2, sequence: { groupOrder: 0 } } },
    ],
  },
});
