import path from "node:path";
import { execa } from "execa";
import { expect, it } from "vitest";
import { ROOT } from "../helpers.js";
import { usePostgres } from "../support/use-postgres.js";

// W9 writes into this file's database on the run's server instead of starting a server of its own.
const pg = usePostgres("bench");

// Keeps the benchmark harness working; it asserts what the suite reports, never how fast. W6 times each command once, not ten times.
it("npm run bench's harness runs every workload at a tiny scale and reports each figure", async () => {
  const r = await execa("node", [path.join(ROOT, "bench", "run.mjs"), "--scale", "0.0005", "--runs", "1", "--startup-runs", "1", "--postgres", pg().url(), "--json"], { reject: false });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  const { machine, results } = JSON.parse(String(r.stdout));
  expect(machine).toMatchObject({ cpus: expect.any(Number), node: process.version, scale: 0.0005 });
  for (const id of ["W1", "W1B", "W2", "W3", "W4", "W9"]) {
    expect(results[id].engineSeconds, id).toBeGreaterThan(0);
    expect(results[id].rawSeconds, id).toBeGreaterThan(0);
    expect(results[id].ratio, id).toBeCloseTo(results[id].rawSeconds / results[id].engineSeconds, 10);
  }
  // W9B: PostgreSQL with alternating kinds against the same upserts alone.
  expect(results.W9B.mixedSeconds).toBeGreaterThan(0);
  expect(results.W9B.upsertSeconds).toBeGreaterThan(0);
  expect(results.W9B.ratio).toBeCloseTo(results.W9B.mixedSeconds / results.W9B.upsertSeconds, 10);
  expect(results.W5.rssMB).toBeGreaterThan(0);
  expect(results.W5.rss1MMB).toBeGreaterThan(0);
  for (const key of ["nodeMs", "debugMs", "helpMs", "debugRatio", "helpRatio"]) expect(results.W6[key], key).toBeGreaterThan(0);
  expect(results.W7).toMatchObject({ checkpoints: 10, checkpoints1k: 1 });
  for (const key of ["seconds", "rssMB", "rss1kMB"]) expect(results.W7[key], key).toBeGreaterThan(0);
  // W11: airbyte read against debug of the same rows, and the read's memory at five times as many.
  for (const key of ["airbyteSeconds", "debugSeconds", "airbyteRssMB", "rss5xMB"]) expect(results.W11[key], key).toBeGreaterThan(0);
  expect(results.W11.rssGrowth).toBeCloseTo(results.W11.rss5xMB / results.W11.airbyteRssMB, 10);
  expect(results.W11.ratio).toBeCloseTo(results.W11.debugSeconds / results.W11.airbyteSeconds, 10);
  expect(results.W7.rssGrowth).toBeCloseTo(results.W7.rssMB / results.W7.rss1kMB, 10);
  // W10: RestClient against a raw fetch loop, and the peak RSS of long paging.
  expect(results.W10).toMatchObject({ items: 10, engineSeconds: expect.any(Number), rawSeconds: expect.any(Number) });
  expect(results.W10.ratio).toBeCloseTo(results.W10.rawSeconds / results.W10.engineSeconds, 10);
  for (const key of ["rss100kMB", "rss1MMB", "rawRss100kMB", "rawRss1MMB", "rss500kMB", "rawRss500kMB"]) expect(results.W10M[key], key).toBeGreaterThan(0);
  // W10's spread and CPU figures: the quartiles of the pairs' ratios, and raw ÷ client in CPU time.
  expect(results.W10.ratioSpread).toHaveLength(4);
  expect(results.W10.cpuRatio).toBeCloseTo(results.W10.rawCpuSeconds / results.W10.engineCpuSeconds, 10);
  // Some thirty processes: more than the default minute on a busy machine.
}, 300_000);
