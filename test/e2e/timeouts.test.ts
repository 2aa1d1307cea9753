// --timeout on connectors that must reach their first checkpoint before the limit is up. Loading the
// connector counts towards the limit, so on a loaded machine the limit can be up before the connector
// has started: the debug tests then run again with a longer limit, on the event that says so (the
// connector never logged "spinning", right after its checkpoint), not on a guess at the machine's speed.
import { describe, expect, it } from "vitest";
import { cli, makeProject, query, readState, startCli, tempDir, waitFor } from "../helpers.js";
import { BLOCKED, BLOCKED_HEAD, cleanedAfterEach, expectEndedAtOnce, scratchFolders, stuck } from "./stuck.js";

const { track, withFifo } = cleanedAfterEach();

/**
 * debug's watchdog counts from the worker's start, so the connector must load and commit its first checkpoint
 * within it. Each limit in turn, until one finds the connector past its checkpoint: 1s does on an idle machine,
 * and failed at a load average of 8 to 15; the last, 27s, is what a product that never gets there fails on.
 */
const DEBUG_TIMEOUTS = ["1s", "3s", "9s", "27s"];

/** Runs `attempt` with each limit until its stderr shows the connector past its first checkpoint (or the last limit), and returns the limit and what it returned. */
async function pastCheckpoint<T>(attempt: (timeout: string) => Promise<T & { stderr: string }>): Promise<{ timeout: string; result: T & { stderr: string } }> {
  for (const [i, timeout] of DEBUG_TIMEOUTS.entries()) {
    const result = await attempt(timeout);
    if (result.stderr.includes("spinning") || i === DEBUG_TIMEOUTS.length - 1) return { timeout, result };
    console.warn(`timeouts.test.ts: the connector was not past its first checkpoint within ${timeout}; again with ${DEBUG_TIMEOUTS[i + 1]}`);
  }
  throw new Error("unreachable");
}

describe("connector debug --timeout", () => {
  it("a connector that never returns: Sync FAILED with the cause, exit 1, last checkpoint intact", async () => {
    const { timeout, result: r } = await pastCheckpoint(async (limit) => {
      const dir = makeProject({ "connector.ts": stuck(`for (;;) {}`, true) });
      return { dir, ...(await cli(["debug", "--timeout", limit], { cwd: dir, timeout: 60_000 })) };
    });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain(`Sync FAILED: timed out after ${timeout} (--timeout)`);
    expect(readState(r.dir)).toEqual({ n: 1 });
    expect(query(r.dir, "SELECT id FROM t")).toEqual([{ id: 1 }]);
    expect(query(r.dir, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
  }, 120_000);

  it("a connector blocked in native code: says it is waiting for the connector, and one Ctrl-C then ends the run at once", async () => {
    const { result } = await pastCheckpoint(async (limit) => {
      const dir = makeProject({ "connector.ts": stuck(BLOCKED, false, BLOCKED_HEAD) });
      withFifo(dir);
      const run = startCli(dir, ["debug", "--timeout", limit]);
      track(run.child);
      // A limit that is up while the connector still loads ends the run instead: no checkpoint to keep, nothing to wait for.
      let ended = false;
      void run.exited.then(() => (ended = true));
      await waitFor(() => ended || run.stderr().includes("Press Ctrl-C to exit without waiting."), 60_000);
      if (!run.stderr().includes("spinning")) run.child.kill("SIGKILL");
      return { dir, run, stderr: run.stderr() };
    });
    expect(result.stderr).toContain("Press Ctrl-C to exit without waiting.");
    result.run.child.kill("SIGINT");
    await expectEndedAtOnce(result.run, result.dir);
  }, 120_000);
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
