import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { spawn, type ChildProcess } from "node:child_process";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { cli, makeProject, query, readState, ROOT, startDebug, tempDir, waitFor } from "../helpers.js";

const LOCK_MODULE = pathToFileURL(path.join(ROOT, "dist", "project", "lock.js")).href;

/** A process that takes and releases the project lock when told to on stdin, and says what happened on stdout. */
const CONTENDER = `
import readline from "node:readline";
const { acquireLock } = await import(process.argv[2]);
let release;
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const [command, file] = line.split("\\t");
  if (command === "take") {
    try {
      release = acquireLock(file, "stress");
      process.stdout.write("held\\n");
    } catch (e) {
      process.stdout.write("refused\\t" + e.message.replace(/\\n/g, " ") + "\\n");
    }
  } else if (command === "release") {
    release();
    process.stdout.write("released\\n");
  }
});
process.stdout.write("ready\\n");
`;

interface Contender {
  child: ChildProcess;
  exited: Promise<unknown>;
  send(...words: string[]): void;
  next(): Promise<string>;
}

const running: Contender[] = [];

afterEach(async () => {
  for (const c of running.splice(0)) {
    c.child.kill("SIGKILL");
    await c.exited;
  }
});

function contender(script: string): Contender {
  const child = spawn(process.execPath, [script, LOCK_MODULE], { stdio: ["pipe", "pipe", "inherit"] });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  readline.createInterface({ input: child.stdout! }).on("line", (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const c: Contender = {
    child,
    exited,
    send: (...words) => child.stdin!.write(words.join("\t") + "\n"),
    next: () => (lines.length ? Promise.resolve(lines.shift()!) : new Promise((resolve) => waiting.push(resolve))),
  };
  running.push(c);
  return c;
}

async function contenders(n: number): Promise<Contender[]> {
  const script = path.join(tempDir(), "contender.mjs");
  fs.writeFileSync(script, CONTENDER);
  const all = Array.from({ length: n }, () => contender(script));
  for (const c of all) expect(await c.next()).toBe("ready");
  return all;
}

/** The files a holder leaves when it is killed with SIGKILL: a stale lock, for real. */
async function staleLockFolder(): Promise<string> {
  const files = path.join(tempDir(), "files");
  const [victim] = await contenders(1);
  victim!.send("take", path.join(files, ".connector.lock"));
  expect(await victim!.next()).toBe("held");
  victim!.child.kill("SIGKILL");
  await victim!.exited;
  expect(fs.existsSync(path.join(files, ".connector.lock"))).toBe(true);
  // Nothing a later run would have to recover first: the lock's database stays empty.
  expect(fs.readdirSync(files).sort()).toEqual([".connector.lock", ".connector.lock.db"]);
  expect(fs.statSync(path.join(files, ".connector.lock.db")).size).toBe(0);
  return files;
}

describe("the project lock under races", () => {
  const N = 5;
  const TRIALS = 50;
  for (const kind of ["fresh", "stale"] as const) {
    it(`${N} processes racing for a ${kind} lock, ${TRIALS} times: exactly one holds it each time`, async () => {
      const stale = kind === "stale" ? await staleLockFolder() : undefined;
      const all = await contenders(N);
      const root = tempDir();
      for (let trial = 0; trial < TRIALS; trial++) {
        const files = path.join(root, String(trial), "files");
        if (stale) fs.cpSync(stale, files, { recursive: true });
        const lock = path.join(files, ".connector.lock");
        for (const c of all) c.send("take", lock);
        const answers = await Promise.all(all.map((c) => c.next()));
        const holders = all.filter((_, i) => answers[i] === "held");
        expect(holders.length, `trial ${trial}: ${answers.join(" | ")}`).toBe(1);
        for (const a of answers.filter((a) => a !== "held")) {
          expect(a).toMatch(/^refused\tAnother /);
          expect(a).toContain(lock);
        }
        holders[0]!.send("release");
        expect(await holders[0]!.next()).toBe("released");
        expect(fs.existsSync(lock), "the holder removes its lock file").toBe(false);
      }
    });
  }

  it("a holder that is killed leaves a lock file that the next run takes over at once", async () => {
    const files = await staleLockFolder();
    const [next] = await contenders(1);
    next!.send("take", path.join(files, ".connector.lock"));
    expect(await next!.next()).toBe("held");
  });
});

const incremental = (pause = 0) => `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  async update(configuration: unknown, state: any) {
    const n = state.n ?? 0;
    for (let i = 1; i <= 5; i++) {
      op.upsert("t", { id: n + i });
      op.checkpoint({ ...state, n: n + i });
      await new Promise((r) => setTimeout(r, ${pause}));
    }
  },
};
`;

/** The state and the rows must agree: n rows 1..n for a state {n}, and no rows without a state. */
function consistent(dir: string, where: string): { n: number; mark?: string } | undefined {
  const stateFile = path.join(dir, "files", "state.json");
  const state = fs.existsSync(stateFile) ? (readState(dir) as { n: number; mark?: string }) : undefined;
  const warehouse = path.join(dir, "files", "warehouse.db");
  const rows = fs.existsSync(warehouse) ? query<{ id: number }>(dir, "SELECT id FROM t ORDER BY id").map((r) => r.id) : [];
  expect(rows, `${where}: rows against the state ${JSON.stringify(state)}`).toEqual(Array.from({ length: state?.n ?? 0 }, (_, i) => i + 1));
  return state;
}

/** A synced project ({n: 5}, rows 1 to 5) whose last run was killed, so its lock file is stale. */
async function killedProject(): Promise<string> {
  const dir = makeProject({ "connector.ts": incremental() });
  expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
  fs.writeFileSync(path.join(dir, "connector.ts"), `import { log } from "connector-sdk";\nexport default { async update() { log.info("parked"); await new Promise((r) => setTimeout(r, 60_000)); } };\n`);
  const killed = startDebug(dir);
  await waitFor(() => killed.stderr().includes("parked"));
  killed.child.kill("SIGKILL");
  await killed.exited;
  expect(fs.existsSync(path.join(dir, "files", ".connector.lock"))).toBe(true);
  fs.writeFileSync(path.join(dir, "connector.ts"), incremental(5));
  return dir;
}

function copyOf(dir: string): string {
  const copy = tempDir();
  fs.cpSync(dir, copy, { recursive: true });
  return copy;
}

/** Refused by a holder: named, or (if it was too slow to write its lock file) not. */
const REFUSED = /Another `connector (debug|reset)`|Another process holds the lock on this project/;

describe("commands racing on one project", () => {
  it("debug and reset --yes started together on a stale lock: one is refused or they take turns, and no row is lost", async () => {
    const template = await killedProject();
    for (let round = 0; round < 8; round++) {
      const dir = copyOf(template);
      const [sync, reset] = await Promise.all([cli(["debug"], { cwd: dir }), cli(["reset", "--yes"], { cwd: dir })]);
      const where = `round ${round}: debug ${sync.exitCode}, reset ${reset.exitCode}\n--- debug:\n${sync.stderr}\n--- reset:\n${reset.stderr}`;
      expect([0, 2], where).toContain(sync.exitCode);
      expect([0, 2], where).toContain(reset.exitCode);
      for (const r of [sync, reset]) if (r.exitCode === 2) expect(r.stderr, where).toMatch(REFUSED);
      const state = consistent(dir, where);
      if (reset.exitCode === 0 && sync.exitCode === 2) expect(state, where).toBeUndefined();
      if (reset.exitCode === 2) expect(state, where).toEqual({ n: 10 });
      expect(fs.existsSync(path.join(dir, "files", ".connector.lock")), where).toBe(false);
    }
  }, 120_000);

  it("debug and state set started together on a stale lock: the edit is refused or survives, and no row is lost", async () => {
    const template = await killedProject();
    for (let round = 0; round < 8; round++) {
      const dir = copyOf(template);
      const [sync, edit] = await Promise.all([cli(["debug"], { cwd: dir }), cli(["state", "set", "mark", '"kept"'], { cwd: dir })]);
      const where = `round ${round}: debug ${sync.exitCode}, state set ${edit.exitCode}\n--- debug:\n${sync.stderr}\n--- state set:\n${edit.stderr}`;
      expect([0, 2], where).toContain(sync.exitCode);
      expect([0, 2], where).toContain(edit.exitCode);
      const state = consistent(dir, where);
      if (edit.exitCode === 0) expect(state?.mark, `${where}: the edit was lost`).toBe("kept");
      else expect(edit.stderr, where).toMatch(REFUSED);
      expect(state?.n, where).toBe(sync.exitCode === 0 ? 10 : 5);
    }
  }, 120_000);
});

describe("a lock that cannot be explained", () => {
  it("a lock file naming a live but unrelated process (pid 1) does not block a run", async () => {
    const dir = makeProject({ "connector.ts": incremental() });
    fs.mkdirSync(path.join(dir, "files"));
    const note = { pid: 1, command: "debug", started: "2020-01-01T00:00:00.000Z", host: "elsewhere-or-here", token: "0" };
    fs.writeFileSync(path.join(dir, "files", ".connector.lock"), JSON.stringify(note));
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readState(dir)).toEqual({ n: 5 });
    expect(fs.existsSync(path.join(dir, "files", ".connector.lock"))).toBe(false);
  });

  it("a held lock whose lock file is gone says how to clear it by hand, and doing so works", async () => {
    const dir = makeProject({ "connector.ts": incremental() });
    const lock = path.join(dir, "files", ".connector.lock");
    const [holder] = await contenders(1);
    holder!.send("take", lock);
    expect(await holder!.next()).toBe("held");
    fs.rmSync(lock);
    const refused = await cli(["debug"], { cwd: dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`Another process holds the lock on this project (${lock}.db), but ${lock} does not say which.`);
    expect(refused.stderr).toContain(`If no connector is running on this project`);
    expect(refused.stderr).toContain(`delete ${lock}.db and ${lock}, then run again.`);
    fs.rmSync(`${lock}.db`);
    const after = await cli(["debug"], { cwd: dir });
    expect(after.exitCode, after.stderr).toBe(0);
  });

  it("a live holder is named with its command and pid", async () => {
    const dir = makeProject({ "connector.ts": incremental() });
    const lock = path.join(dir, "files", ".connector.lock");
    const [holder] = await contenders(1);
    holder!.send("take", lock);
    expect(await holder!.next()).toBe("held");
    for (const args of [["debug"], ["reset", "--yes"], ["state", "set", "n", "1"]]) {
      const r = await cli(args, { cwd: dir });
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`Another \`connector stress\` (pid ${holder!.child.pid}, started `);
      expect(r.stderr).toContain(`Wait for it to finish, or stop it (kill ${holder!.child.pid}).`);
    }
  });
});
