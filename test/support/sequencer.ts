import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Seconds each long file took in a full run (2026-12-07, 15:40 UTC, two workers; ui and ui-destinations, which had no browser in that run, and duckdb-in-use, made faster since, estimated). Vitest starts the largest files first when it has
 * no timings of its own (a fresh clone, as CI is), and a file's size says little about its time: every-destination is
 * short and takes over a minute, so it started last and one worker idled while it ran. Longest first, with the many
 * short files at the end to even out the two workers. Vitest's own timings, once it has them, come first.
 */
const SECONDS: Record<string, number> = {
  "e2e/errors.test.ts": 75,
  "e2e/destinations.test.ts": 54,
  "e2e/every-destination.test.ts": 41,
  "e2e/run.test.ts": 38,
  "e2e/templates.test.ts": 26,
  "e2e/ui.test.ts": 25,
  "e2e/destination-secrets.test.ts": 23,
  "e2e/faults.test.ts": 22,
  "e2e/mistakes.test.ts": 21,
  "e2e/paths.test.ts": 20,
  "e2e/debug.test.ts": 19,
  "e2e/interrupts.test.ts": 17,
  "e2e/system-columns.test.ts": 16,
  "e2e/secrets.test.ts": 16,
  "e2e/postgres-login.test.ts": 16,
  "e2e/postgres-crash.test.ts": 16,
  "e2e/operation-order.test.ts": 16,
  "e2e/engines-airbyte.test.ts": 16,
  "e2e/bench.test.ts": 16,
  "e2e/replay.test.ts": 15,
  "e2e/lock.test.ts": 15,
  "e2e/engines-build.test.ts": 14,
  "e2e/init-portable.test.ts": 13,
  "e2e/timeouts.test.ts": 12,
  "e2e/duckdb-in-use.test.ts": 12,
  "e2e/verify.test.ts": 11,
  "e2e/state.test.ts": 11,
  "e2e/warehouse-lock.test.ts": 10,
  "e2e/truncate.test.ts": 10,
  "e2e/guidance.test.ts": 10,
  "e2e/configuration.test.ts": 10,
  "e2e/ui-destinations.test.ts": 9,
  "e2e/http-paging.test.ts": 9,
  "e2e/engines-roundtrip.test.ts": 9,
  "e2e/docs.test.ts": 9,
};

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sized = await super.sort(files);
    const root = this.ctx.config.root;
    const ms = (f: TestSpecification): number => {
      const cached = this.ctx.cache.getFileTestResults(`${f.project.name}:${path.relative(root, f.moduleId)}`);
      if (cached) return cached.duration;
      return (SECONDS[path.relative(path.join(root, "test"), f.moduleId).split(path.sep).join("/")] ?? 0) * 1000;
    };
    const order = new Map(sized.map((f, i) => [f, i]));
    return [...sized].sort((a, b) => {
      const group = a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder;
      if (group !== 0) return group;
      return ms(b) - ms(a) || order.get(a)! - order.get(b)!;
    });
  }
}
