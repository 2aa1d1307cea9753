// --timeout on connectors that must reach their first checkpoint before the limit is up: the one
// race against the clock among the tests of stopped syncs. Loading the connector counts towards
// the limit, so on a loaded machine these can fail for the wrong reason; they run in the
// sequential project, alone (vitest.config.ts).
import { describe, expect, it } from "vitest";
import { cli, makeProject, query, readState, startCli, tempDir, waitFor } from "../helpers.js";
import { BLOCKED, BLOCKED_HEAD, cleanedAfterEach, expectEndedAtOnce, scratchFolders, stuck } from "./stuck.js";

const { track, withFifo } = cleanedAfterEach();

/**
 * debug's watchdog counts from the worker's start, so the connector must load and commit its first
 * checkpoint within it: 1s failed as the first test of this file at a load average of 8 to 15.
 */
const DEBUG_TIMEOUT = "3s";

describe("connector debug --timeout", () => {
  it("a connector that never returns: Sync FAILED with the cause, exit 1, last checkpoint intact", async () => {
    const dir = makeProject({ "connector.ts": stuck(`for (;;) {}`, true) });
    const r = await cli(["debug", "--timeout", DEBUG_TIMEOUT], { cwd: dir, timeout: 30_000 });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain(`Sync FAILED: timed out after ${DEBUG_TIMEOUT} (--timeout)`);
    expect(readState(dir)).toEqual({ n: 1 });
    expect(query(dir, "SELECT id FROM t")).toEqual([{ id: 1 }]);
    expect(query(dir, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
  });

  it("a connector blocked in native code: says it is waiting for the connector, and one Ctrl-C then ends the run at once", async () => {
    const dir = makeProject({ "connector.ts": stuck(BLOCKED, false, BLOCKED_HEAD) });
    withFifo(dir);
    const run = startCli(dir, ["debug", "--timeout", DEBUG_TIMEOUT]);
    track(run.child);
    await waitFor(() => run.stderr().includes("Press Ctrl-C to exit without waiting."));
    run.child.kill("SIGINT");
    await expectEndedAtOnce(run, dir);
  });
});

describe("connector verify --timeout", () => {
  const outliving: [string, string, RegExp][] = [
    ["an await that outlives --timeout", `await new Promise((r) => setTimeout(r, 60_000));`, /^baseline\s+FAIL\s+the historical sync failed: timed out after 1s$/m],
    [
      "a synchronous loop that outlives --timeout",
      `for (;;) {}`,
      /^baseline\s+FAIL\s+historical sync 1 of 2: timed out after 1s \(--timeout\) and never gave control back \(a synchronous loop\?\), so verify stopped there$/m,
    ],
  ];
  for (const [name, body, line] of outliving) {
    it(`${name}: a clean FAIL for the check, no stack, exit 1, no scratch folder left`, async () => {
      const dir = makeProject({ "connector.ts": stuck(body, true) });
      const tmp = tempDir();
      const run = startCli(dir, ["verify", "--seed", "1", "--timeout", "1s"], { TMPDIR: tmp });
      track(run.child);
      expect(await run.exited, run.stderr()).toBe(1);
      expect(run.stderr()).toMatch(line);
      expect(run.stderr()).toMatch(/^VERIFY FAILED \(seed 1; rerun with --seed 1 to repeat\)$/m);
      expect(run.stderr()).not.toMatch(/^\s+at /m);
      expect(scratchFolders(tmp)).toEqual([]);
    });
  }
});
