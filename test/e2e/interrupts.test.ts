import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeProject, onTerminal, query, readState, startCli, waitFor } from "../helpers.js";

/** Commits row 1 and state {n: 1}, starts row 2, logs "spinning", then runs `rest`. */
const stuck = (rest: string, async = false, head = "") => `import { op, log } from "connector-sdk";
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
const ASYNC_WAIT = stuck(`await new Promise((r) => setTimeout(r, 120_000));`, true);
const BUSY_LOOP = stuck(`for (;;) {}`);

const running: { kill(signal?: NodeJS.Signals): boolean }[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill("SIGKILL");
});

const files = (dir: string): string[] => fs.readdirSync(path.join(dir, "files")).sort();

/** The project is exactly at checkpoint 1: state, rows, the checkpoint log, a clean warehouse, no lock. */
function atFirstCheckpoint(dir: string): void {
  expect(files(dir)).toEqual(["state.json", "warehouse.db"]);
  expect(readState(dir)).toEqual({ n: 1 });
  expect(query(dir, "SELECT id FROM t")).toEqual([{ id: 1 }]);
  expect(query(dir, "SELECT max(seq) AS seq FROM _connector_checkpoints")).toEqual([{ seq: 1 }]);
  expect(query(dir, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
}

describe("Ctrl-C on a terminal: connector debug", () => {
  for (const [name, source] of [
    ["an async connector", ASYNC_WAIT],
    ["a connector stuck in a synchronous loop", BUSY_LOOP],
  ] as const) {
    it(`${name}: with the spinner showing, prints the summary and Sync FAILED: interrupted, exits 130, leaves no lock, -wal or -shm`, async () => {
      const dir = makeProject({ "connector.ts": source });
      const term = onTerminal(dir, ["debug"]);
      running.push(term.child);
      await waitFor(() => /Syncing: 2 operations/.test(term.output()));
      term.type("\x03");
      expect(await term.exited).toBe(130);
      const out = term.output();
      expect(out).toContain("SYNC PROGRESS");
      expect(out).toMatch(/Upserts\s+\| 2\n/);
      expect(out).toMatch(/Checkpoints\s+\| 1\n/);
      expect(out).toMatch(/^t\s+1\s+0\s+0\s+0$/m);
      expect(out).toContain("Sync FAILED: interrupted");
      atFirstCheckpoint(dir);
    });
  }
});

describe("SIGINT: what happens in which order", () => {
  it("the worker closes the warehouse (its -wal goes) before the lock is released", async () => {
    const dir = makeProject({ "connector.ts": BUSY_LOOP });
    const run = startCli(dir, ["debug"]);
    running.push(run.child);
    await waitFor(() => run.stderr().includes("spinning"));
    const events: string[] = [];
    const watcher = fs.watch(path.join(dir, "files"), (_type, file) => {
      if (file && !fs.existsSync(path.join(dir, "files", file))) events.push(file);
    });
    try {
      run.child.kill("SIGINT");
      expect(await run.exited).toBe(130);
      await waitFor(() => events.includes(".connector.lock"));
    } finally {
      watcher.close();
    }
    expect(events.indexOf("warehouse.db-wal")).toBeGreaterThanOrEqual(0);
    expect(events.indexOf("warehouse.db-wal")).toBeLessThan(events.indexOf(".connector.lock"));
    expect(run.stderr()).toContain("Sync FAILED: interrupted");
    atFirstCheckpoint(dir);
  });

  it("a second Ctrl-C does not wait for a worker stuck in native code: it ends by SIGINT at once, releasing the lock, and the next run resumes", async () => {
    const dir = makeProject({ "connector.ts": stuck(`fs.readFileSync("files/fifo");`, false, `import fs from "node:fs";`) });
    fs.mkdirSync(path.join(dir, "files"));
    execFileSync("mkfifo", [path.join(dir, "files", "fifo")]);
    // The connector blocks in open() on a FIFO nobody writes: terminate() cannot stop it.
    const run = startCli(dir, ["debug"]);
    running.push(run.child);
    await waitFor(() => run.stderr().includes("spinning"));
    run.child.kill("SIGINT");
    await waitFor(() => run.stderr().includes("Waiting for the connector to stop: it is blocked in a synchronous call outside JavaScript. Press Ctrl-C again to exit at once."));
    run.child.kill("SIGINT");
    await run.exited;
    // Killed by the signal itself, which a shell reports as 130: process.exit() would wait for the thread.
    expect(run.child.signalCode).toBe("SIGINT");
    expect(run.stderr()).toContain("Interrupted again: exiting without waiting for the sync to stop.");
    expect(fs.existsSync(path.join(dir, "files", ".connector.lock"))).toBe(false);
    expect(readState(dir)).toEqual({ n: 1 });
    fs.rmSync(path.join(dir, "files", "fifo"));
    fs.writeFileSync(path.join(dir, "connector.ts"), stuck(`op.checkpoint({ n: 2 });`));
    const resumed = startCli(dir, ["debug"]);
    expect(await resumed.exited).toBe(0);
    expect(query(dir, "SELECT id FROM t ORDER BY id")).toEqual([{ id: 1 }, { id: 2 }]);
    expect(readState(dir)).toEqual({ n: 2 });
  });
});
