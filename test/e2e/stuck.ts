import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, expect } from "vitest";
import { readState, releaseFifo, type startCli } from "../helpers.js";

/** The connectors that get stuck after their first checkpoint, shared by interrupts.test.ts and timeouts.test.ts. */

/** Commits row 1 and state {n: 1}, starts row 2, logs "spinning", then runs `rest`. */
export const stuck = (rest: string, async = false, head = "") => `import { op, log } from "connector-sdk";
${head}
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  ${async ? "async " : ""}update() {
    op.upsert("t", { id: 1 });
    op.checkpoint({ n: 1 });
    op.upsert("t", { id: 2 });
    log.info("spinning");
    ${rest}
  },
};
`;

/** A connector body that blocks in native code: it waits for `cat`, which waits for a writer on a FIFO. */
export const BLOCKED = `execFileSync("cat", ["fifo"]);`;
export const BLOCKED_HEAD = `import { execFileSync } from "node:child_process";`;

/** verify's scratch folders in a private temp dir: it must leave none. */
export function scratchFolders(tmp: string): string[] {
  return fs.readdirSync(tmp).filter((f) => f.startsWith("connector-verify-"));
}

/**
 * After each test of the file that calls it, kills the processes it was given and lets go
 * of the FIFOs it made, so that no stuck child outlives its test.
 */
export function cleanedAfterEach(): { track(child: { kill(signal?: NodeJS.Signals): boolean }): void; withFifo(dir: string): void } {
  const running: { kill(signal?: NodeJS.Signals): boolean }[] = [];
  const fifos: string[] = [];
  afterEach(() => {
    for (const child of running.splice(0)) child.kill("SIGKILL");
    for (const fifo of fifos.splice(0)) releaseFifo(fifo);
  });
  return {
    track: (child) => void running.push(child),
    withFifo(dir) {
      execFileSync("mkfifo", [path.join(dir, "fifo")]);
      fifos.push(path.join(dir, "fifo"));
    },
  };
}

/** A second Ctrl-C to a worker stuck in native code: the process ends by SIGINT itself, says so, releases the lock, and keeps the last checkpoint. */
export async function expectEndedAtOnce(run: ReturnType<typeof startCli>, dir: string): Promise<void> {
  await run.exited;
  // Killed by the signal itself, which a shell reports as 130: process.exit() would wait for the thread.
  expect(run.child.signalCode).toBe("SIGINT");
  expect(run.stderr()).toContain("Interrupted again: exiting without waiting for the sync to stop.");
  expect(fs.existsSync(path.join(dir, "files", ".connector.lock"))).toBe(false);
  expect(readState(dir)).toEqual({ n: 1 });
}
