import { configDefaults, defineConfig } from "vitest/config";
import { LongestFirst } from "./test/support/sequencer.ts";

/**
 * The tests that need a child to be fast against a timer (--timeout must find the connector
 * past its first checkpoint): they run after the rest, alone, with no other file competing for
 * the two cores. Tests that signal a child once its output says so, or that race children
 * against each other and accept any winner, are not in it and run on two workers with the rest
 * (interrupts, faults and its SIGKILL trials, locks, memory limit, mistakes). See docs/testing.md.
 */
const SEQUENTIAL = ["test/e2e/timeouts.test.ts"];

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
    // Longest files first, from a table of their times when vitest has none of its own (test/support/sequencer.ts).
    sequence: { sequencer: LongestFirst },
    projects: [
      { test: { ...common, name: "parallel", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, ...SEQUENTIAL, UNIT], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: "unit", include: [UNIT], isolate: false, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: "sequential", include: SEQUENTIAL, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
