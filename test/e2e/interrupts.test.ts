import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hasChild, makeProject, onTerminal, query, readState, startCli, tempDir, waitFor } from "../helpers.js";
import { BLOCKED, BLOCKED_HEAD, cleanedAfterEach, expectEndedAtOnce, scratchFolders, stuck } from "./stuck.js";

const ASYNC_WAIT = stuck(`await new Promise((r) => setTimeout(r, 120_000));`, true);
const BUSY_LOOP = stuck(`for (;;) {}`);

const { track, withFifo } = cleanedAfterEach();

/** What files/ holds, without the OS locks' own files (the project's and the warehouse's), which stay between runs and hold no lock once their process is gone. */
const files = (dir: string): string[] =>
  fs
    .readdirSync(path.join(dir, "files"))
    .filter((f) => f !== ".connector.lock.db" && f !== ".warehouse.db.lock.db" && f !== ".warehouse.duckdb.lock.db")
    .sort();

/** The project is exactly at checkpoint 1: state, rows, the checkpoint log, a clean warehouse, no lock. */
function atFirstCheckpoint(dir: string): void {
  expect(files(dir)).toEqual(["runs.jsonl", "state.json", "warehouse.db"]);
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
      track(term.child);
      await waitFor(() => /Syncing: 2 operations/.test(term.output()));
      term.type("\x03");
      expect(await term.exited).toBe(130);
      const out = term.output();
      expect(out).toContain("SYNC PROGRESS");
      // Up to the last checkpoint: the second upsert was rolled back.
      expect(out).toMatch(/Upserts\s+\| 1\n/);
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
    track(run.child);
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
    const dir = makeProject({ "connector.ts": stuck(BLOCKED, false, BLOCKED_HEAD) });
    withFifo(dir);
    // terminate() cannot stop a thread that waits in native code.
    const run = startCli(dir, ["debug"]);
    track(run.child);
    await waitFor(() => hasChild(run.child.pid!, "cat"));
    run.child.kill("SIGINT");
    await waitFor(() => run.stderr().includes("Waiting for the connector to stop: it is blocked in a synchronous call outside JavaScript. Press Ctrl-C to exit without waiting."));
    run.child.kill("SIGINT");
    await expectEndedAtOnce(run, dir);
    fs.writeFileSync(path.join(dir, "connector.ts"), stuck(`op.checkpoint({ n: 2 });`));
    const resumed = startCli(dir, ["debug"]);
    expect(await resumed.exited).toBe(0);
    expect(query(dir, "SELECT id FROM t ORDER BY id")).toEqual([{ id: 1 }, { id: 2 }]);
    expect(readState(dir)).toEqual({ n: 2 });
  });
});

describe("SIGINT between a checkpoint's commit and its state file (SQLite)", () => {
  // The connector stands in for the moment the worker is stopped: it replaces fs.renameSync, which the worker's
  // state-file write calls right after checkpoint 2 is committed, with a busy loop, and says so.
  const BETWEEN_COMMIT_AND_STATE = `import fs from "node:fs";
import { op, log } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update() {
    op.upsert("t", { id: 1 });
    op.checkpoint({ n: 1 });
    const rename = fs.renameSync;
    fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
      if (String(to).endsWith("state.json")) {
        log.info("committed, state file next");
        for (;;) {}
      }
      return rename(from, to);
    };
    op.upsert("t", { id: 2 });
    op.checkpoint({ n: 2 });
  },
};
`;

  // docs/architecture.md: the state file lags the data only after a crash of the whole process. The SQLite
  // destination commits in the worker, so the sync run (host/sync-run.ts) reads the checkpoint this run committed last once the worker
  // has stopped. Before it did, 15 of 19 SIGINTs and SIGTERMs at random moments of a run that checkpoints every 74
  // operations left state.json one checkpoint behind the warehouse.
  it("leaves state.json at the checkpoint the warehouse committed last", async () => {
    const dir = makeProject({ "connector.ts": BETWEEN_COMMIT_AND_STATE });
    const run = startCli(dir, ["debug"]);
    track(run.child);
    await waitFor(() => run.stderr().includes("committed, state file next"));
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(query(dir, "SELECT max(seq) AS seq FROM _connector_checkpoints")).toEqual([{ seq: 2 }]);
    expect(query(dir, "SELECT id FROM t ORDER BY id")).toEqual([{ id: 1 }, { id: 2 }]);
    expect(readState(dir)).toEqual({ n: 2 });
  });
});

describe("connector verify: interruptions and connectors that never finish", () => {
  it("Ctrl-C on a terminal, in a synchronous loop: says where it was, removes its scratch folder, exits 130", async () => {
    const dir = makeProject({ "connector.ts": BUSY_LOOP });
    const tmp = tempDir();
    const term = onTerminal(dir, ["verify", "--seed", "5"], { TMPDIR: tmp });
    track(term.child);
    await waitFor(() => scratchFolders(tmp).some((f) => fs.existsSync(path.join(tmp, f, "baseline.db"))));
    term.type("\x03");
    expect(await term.exited).toBe(130);
    const out = term.output();
    expect(out).toMatch(/^baseline\s+SKIPPED\s+interrupted during historical sync 1 of 2$/m);
    expect(out).toMatch(/^reset\s+SKIPPED\s+not run: verify was interrupted before it$/m);
    expect(out).toContain("VERIFY INTERRUPTED during baseline: historical sync 1 of 2 (seed 5; rerun with --seed 5 to repeat); its scratch folder was removed.");
    expect(scratchFolders(tmp)).toEqual([]);
    expect(fs.existsSync(path.join(dir, "files"))).toBe(false);
  });

  it("SIGINT during the interrupted trials names the trial and keeps the verdicts of the checks already done", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  async update(c: unknown, state: { next?: number }) {
    for (let id = state.next ?? 0; id < 40; id++) {
      op.upsert("t", { id });
      op.checkpoint({ next: id + 1 });
      await new Promise((r) => setTimeout(r, 15));
    }
  },
};
`,
    });
    const tmp = tempDir();
    const run = startCli(dir, ["verify", "--seed", "9", "--trials", "50"], { TMPDIR: tmp });
    track(run.child);
    await waitFor(() => run.stderr().includes("interrupted: trial 2 of 50"));
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    const err = run.stderr();
    expect(err).toMatch(/^baseline\s+PASS\s+two historical syncs agree/m);
    expect(err).toMatch(/^incremental\s+PASS/m);
    expect(err).toMatch(/^interrupted\s+SKIPPED\s+interrupted during trial \d+ of 50, abort before operation \d+ of 80$/m);
    expect(err).toMatch(/VERIFY INTERRUPTED during interrupted: trial \d+ of 50, abort before operation \d+ of 80 \(seed 9; rerun with --seed 9 to repeat\)/);
    expect(scratchFolders(tmp)).toEqual([]);
  });

  it("--json on SIGINT: a report that says it was stopped, and where", async () => {
    const dir = makeProject({ "connector.ts": BUSY_LOOP });
    const tmp = tempDir();
    const run = startCli(dir, ["verify", "--seed", "5", "--json"], { TMPDIR: tmp });
    track(run.child);
    await waitFor(() => scratchFolders(tmp).some((f) => fs.existsSync(path.join(tmp, f, "baseline.db"))));
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    const report = JSON.parse(run.stdout());
    expect(report).toMatchObject({ passed: false, seed: 5, stopped: { reason: "interrupted", during: "baseline: historical sync 1 of 2" } });
    expect(report.checks.map((c: { status: string }) => c.status)).toEqual(["skipped", "skipped", "skipped", "skipped"]);
    expect(scratchFolders(tmp)).toEqual([]);
  });

  it("a second SIGINT while the connector is blocked in native code removes the scratch folder and ends by SIGINT at once", async () => {
    const dir = makeProject({ "connector.ts": stuck(BLOCKED, false, BLOCKED_HEAD) });
    withFifo(dir);
    const tmp = tempDir();
    const run = startCli(dir, ["verify", "--seed", "5"], { TMPDIR: tmp });
    track(run.child);
    await waitFor(() => hasChild(run.child.pid!, "cat"));
    run.child.kill("SIGINT");
    await waitFor(() => run.stderr().includes("Press Ctrl-C to exit without waiting."));
    run.child.kill("SIGINT");
    await run.exited;
    expect(run.child.signalCode).toBe("SIGINT");
    expect(run.stderr()).toContain("Interrupted again during baseline: historical sync 1 of 2: exiting without waiting for the sync to stop; its scratch folder was removed.");
    expect(scratchFolders(tmp)).toEqual([]);
  });

  const failing: [string, string, string[], RegExp][] = [
    [
      "a rejected promise the connector did not await",
      `void (async () => { throw new Error("detached failure"); })(); await new Promise((r) => setTimeout(r, 50)); op.checkpoint({ n: 2 });`,
      [],
      /^baseline\s+FAIL\s+the historical sync failed: a promise the connector did not await was rejected: detached failure$/m,
    ],
    [
      "a promise that nothing will ever settle",
      `await new Promise(() => {});`,
      [],
      /^baseline\s+FAIL\s+the historical sync failed: update\(\) never finished: it is waiting on a promise that nothing will ever settle$/m,
    ],
    ["a throw in a timer callback", `setTimeout(() => { throw new Error("late boom"); }, 10); await new Promise((r) => setTimeout(r, 60_000));`, [], /^baseline\s+FAIL\s+the historical sync failed: the connector threw outside update\(\): late boom$/m],
    ["a call to process.exit()", `process.exit(3);`, [], /^baseline\s+FAIL\s+the historical sync failed: the connector called process\.exit\(3\); return from update\(\) instead/m],
  ];
  for (const [name, body, args, line] of failing) {
    it(`${name}: a clean FAIL for the check, no stack, exit 1, no scratch folder left`, async () => {
      const dir = makeProject({ "connector.ts": stuck(body, true) });
      const tmp = tempDir();
      const run = startCli(dir, ["verify", "--seed", "1", ...args], { TMPDIR: tmp });
      track(run.child);
      expect(await run.exited, run.stderr()).toBe(1);
      expect(run.stderr()).toMatch(line);
      expect(run.stderr()).toMatch(/^VERIFY FAILED \(seed 1; rerun with --seed 1 to repeat\)$/m);
      expect(run.stderr()).not.toMatch(/^\s+at /m);
      expect(scratchFolders(tmp)).toEqual([]);
    });
  }

  it("--timeout also bounds loading the connector: a module whose top-level code never returns fails the first check", async () => {
    const dir = makeProject({ "connector.ts": `for (;;) {}\nexport default { update() {} };\n` });
    const tmp = tempDir();
    const run = startCli(dir, ["verify", "--timeout", "1s"], { TMPDIR: tmp });
    track(run.child);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/^baseline\s+FAIL\s+loading the connector: timed out after 1s \(--timeout\) and never gave control back/m);
    expect(scratchFolders(tmp)).toEqual([]);
  });

  it("a connector that fails only when resumed fails that check, and the other checks still run", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  async update(c: unknown, state: { n?: number }) {
    if (state.n) await new Promise(() => {});
    op.upsert("t", { id: 1 });
    op.checkpoint({ n: 1 });
  },
};
`,
    });
    const tmp = tempDir();
    const run = startCli(dir, ["verify", "--seed", "1", "--trials", "2"], { TMPDIR: tmp });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/^incremental\s+FAIL\s+the sync failed: update\(\) never finished/m);
    expect(run.stderr()).toMatch(/^reset\s+PASS/m);
    expect(scratchFolders(tmp)).toEqual([]);
  });
});

describe("the counts of an interrupted run", () => {
  it("upsert, checkpoint, upsert, Ctrl-C: the totals and the per-table counts agree, in --json and in text", async () => {
    for (const json of [true, false]) {
      const dir = makeProject({ "connector.ts": ASYNC_WAIT });
      const run = startCli(dir, ["debug", ...(json ? ["--json"] : [])]);
      track(run.child);
      await waitFor(() => run.stderr().includes("spinning"));
      run.child.kill("SIGINT");
      expect(await run.exited).toBe(130);
      if (json) {
        const report = JSON.parse(run.stdout()) as { status: string; counts: { upserts: number; checkpoints: number; byTable: Record<string, { upserts: number }> } };
        expect(report.status).toBe("failed");
        expect(report.counts.upserts).toBe(1);
        expect(report.counts.byTable).toEqual({ t: { upserts: 1, updates: 0, deletes: 0, truncates: 0 } });
        expect(report.counts.checkpoints).toBe(1);
      } else {
        expect(run.stderr()).toMatch(/Upserts\s+\| 1\n/);
        expect(run.stderr()).toMatch(/\nt\s+1\s+0\s+0\s+0\n/);
      }
      atFirstCheckpoint(dir);
    }
  });
});
