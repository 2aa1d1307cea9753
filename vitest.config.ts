import { configDefaults, defineConfig } from "vitest/config";

/**
 * Files whose tests race a child process against the clock or against signals (interrupts,
 * faults and their SIGKILL trials, the memory limit, locks, limits, the forgotten-await
 * heuristics): they run one at a time, after the rest, with no other test file competing
 * for the two cores. Everything else runs on two workers, since an end-to-end file spends
 * most of its time waiting on the CLI it spawned. See docs/testing.md.
 */
const SEQUENTIAL = [
  "test/e2e/interrupts.test.ts",
  "test/e2e/faults.test.ts",
  "test/e2e/memory-limit.test.ts",
  "test/e2e/lock.test.ts",
  "test/e2e/warehouse-lock.test.ts",
  "test/e2e/limits.test.ts",
  "test/e2e/mistakes.test.ts",
  "test/e2e/postgres-crash.test.ts",
  "test/e2e/timeouts.test.ts",
];

/**
 * The unit files share their worker processes (isolate: false): each spawns nothing and restores what it
 * changes (process.env.TMPDIR), and a fresh process per file cost about a second of CPU, as much
 * as most of them take to run.
 */
const UNIT = "test/unit/**/*.test.ts";

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
    projects: [
      { test: { ...common, name: "parallel", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, ...SEQUENTIAL, UNIT], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: "unit", include: [UNIT], isolate: false, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: "sequential", include: SEQUENTIAL, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
