import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { execSync, spawn } from "node:child_process";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { cli, makeProject, query, readState, ROOT, startDebug, tempDir, waitFor } from "../helpers.js";
import { mountsRun } from "../support/expected.js";

const counting = `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update(configuration: Record<string, string>, state: any) {
    const n = state.n ?? 0;
    for (let i = 1; i <= 3; i++) {
      op.upsert("t", { id: n + i, tag: configuration.tag ?? null });
      op.checkpoint({ n: n + i });
    }
  },
};
`;

let syncedOnce: Promise<string> | undefined;
/**
 * A copy of the counting project after one `connector debug`. The same sync each time, so it runs once, in the
 * first test that asks, and each test gets a copy of its own (warehouse, state, run records and lock files).
 */
async function synced(): Promise<string> {
  const once = await (syncedOnce ??= (async () => {
    const dir = makeProject({ "connector.ts": counting });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    return dir;
  })());
  const dir = tempDir();
  fs.cpSync(once, dir, { recursive: true });
  return dir;
}

const listing = (dir: string): string[] => fs.readdirSync(dir).sort();

describe("someone else's SQLite database", () => {
  for (const mode of ["delete", "wal"]) {
    it(`a foreign database (journal_mode ${mode}) is refused and stays byte for byte as it was`, async () => {
      const dir = makeProject({ "connector.ts": counting });
      const file = path.join(dir, "files", "warehouse.db");
      fs.mkdirSync(path.dirname(file));
      const db = new Database(file);
      db.pragma(`journal_mode = ${mode}`);
      db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)");
      db.close();
      const before = fs.readFileSync(file);
      for (const args of [["debug"], ["reset", "--table", "invoices", "--yes"]]) {
        const r = await cli(args, { cwd: dir });
        expect(r.exitCode, args.join(" ")).toBe(2);
        expect(r.stderr).toContain(`${file} is a SQLite database that connector-sdk did not create`);
        expect(fs.readFileSync(file).equals(before), `${args.join(" ")} changed the file`).toBe(true);
      }
      expect(new Database(file, { readonly: true }).pragma("journal_mode", { simple: true })).toBe(mode);
    });
  }
});

describe("a symlinked state file", () => {
  it("debug and state set write through the link: the link stays a link and its target advances", async () => {
    const dir = makeProject({ "connector.ts": counting });
    const elsewhere = tempDir();
    const target = path.join(elsewhere, "cursor.json");
    fs.writeFileSync(target, '{"n": 10}\n');
    fs.mkdirSync(path.join(dir, "files"));
    const link = path.join(dir, "files", "state.json");
    fs.symlinkSync(path.relative(path.dirname(link), target), link);

    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(fs.readFileSync(target, "utf8"))).toEqual({ n: 13 });
    expect(query(dir, "SELECT id FROM t ORDER BY id")).toEqual([{ id: 11 }, { id: 12 }, { id: 13 }]);

    const set = await cli(["state", "set", "n", "20"], { cwd: dir });
    expect(set.exitCode, set.stderr).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(fs.readFileSync(target, "utf8"))).toEqual({ n: 20 });
    // The temporary file is renamed within the target's folder, and none is left behind.
    expect(listing(elsewhere)).toEqual(["cursor.json"]);
    expect(listing(path.join(dir, "files"))).not.toContainEqual(expect.stringMatching(/\.tmp$/));
  });

  it("a link whose target does not exist yet is a first run, and the target is created", async () => {
    const dir = makeProject({ "connector.ts": counting });
    const target = path.join(tempDir(), "cursor.json");
    fs.mkdirSync(path.join(dir, "files"));
    fs.symlinkSync(target, path.join(dir, "files", "state.json"));
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.lstatSync(path.join(dir, "files", "state.json")).isSymbolicLink()).toBe(true);
    expect(JSON.parse(fs.readFileSync(target, "utf8"))).toEqual({ n: 3 });
  });
});

describe("paths that do not exist or are not what they should be", () => {
  it("state set and state show on a missing project exit 2 and name it, creating nothing", async () => {
    const cwd = tempDir();
    for (const args of [["state", "set", "cursor", "1"], ["state", "show"], ["state", "history"], ["inspect"]]) {
      const r = await cli([...args, "--project", "typo/path"], { cwd });
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`Project directory not found: ${path.join(cwd, "typo", "path")}`);
      expect(r.stdout).toBe("");
    }
    expect(listing(cwd)).toEqual([]);
  });

  it("a regular file where files/ should be is exit 2 with a clear message, for every command, and is left alone", async () => {
    const dir = makeProject({ "connector.ts": counting, files: "my notes\n" });
    const runs = [["debug"], ["reset", "--yes"], ["state", "set", "n", "1"], ["state", "show"], ["state", "history"], ["inspect"]];
    for (const args of runs) {
      const r = await cli(args, { cwd: dir });
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`${path.join(dir, "files")} is a file, but connector needs a folder there`);
      expect(r.stderr).not.toMatch(/Internal error|EEXIST|ENOTDIR/);
    }
    expect(fs.readFileSync(path.join(dir, "files"), "utf8")).toBe("my notes\n");
  });

  it("a state nested 1,000 levels deep is read; one level more is exit 2 with a clear message", async () => {
    const nested = (levels: number): string => '{"a":'.repeat(levels - 1) + "{}" + "}".repeat(levels - 1);
    const dir = await synced();
    const stateFile = path.join(dir, "files", "state.json");
    fs.writeFileSync(stateFile, nested(1000));
    expect((await cli(["state", "show"], { cwd: dir })).exitCode).toBe(0);
    fs.writeFileSync(stateFile, nested(1001));
    for (const args of [["debug"], ["state", "show"], ["state", "set", "n", "1"]]) {
      const r = await cli(args, { cwd: dir });
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`State file ${stateFile}: the state is nested more than 1,000 levels deep`);
      expect(r.stderr).not.toContain("Internal error");
    }
    fs.writeFileSync(path.join(dir, "deep.json"), nested(100_000));
    const replace = await cli(["state", "set", "--file", "deep.json"], { cwd: dir });
    expect(replace.exitCode).toBe(2);
    expect(replace.stderr).toContain("the state is nested more than 1,000 levels deep");
  });

  it("--timeout over 2^31 ms is exit 2 with the longest allowed, and the longest allowed works", async () => {
    const dir = makeProject({ "connector.ts": counting });
    const tooLong = await cli(["debug", "--timeout", "597h"], { cwd: dir });
    expect(tooLong.exitCode).toBe(2);
    expect(tooLong.stderr).toContain('the duration "597h" is too long: the longest is 596h');
    expect(fs.existsSync(path.join(dir, "files"))).toBe(false);
    const longest = await cli(["debug", "--timeout", "596h"], { cwd: dir });
    expect(longest.exitCode, longest.stderr).toBe(0);
    expect(readState(dir)).toEqual({ n: 3 });
  });

  it("a byte-order mark at the start of state.json or configuration.json is accepted", async () => {
    const dir = makeProject({ "connector.ts": counting, "configuration.json": '\uFEFF{"tag": "bom"}', "files/state.json": '\uFEFF{"n": 7}\n' });
    const show = await cli(["state", "show"], { cwd: dir });
    expect(show.exitCode, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual({ n: 7 });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readState(dir)).toEqual({ n: 10 });
    expect(query(dir, "SELECT id, tag FROM t ORDER BY id")).toEqual([8, 9, 10].map((id) => ({ id, tag: "bom" })));
  });

  it("UTF-16 with a byte-order mark (as PowerShell writes) is read, little- and big-endian; UTF-16 without one is named", async () => {
    const utf16 = (text: string, bigEndian = false): Buffer => {
      const le = Buffer.from("\uFEFF" + text, "utf16le");
      return bigEndian ? Buffer.from(le).swap16() : le;
    };
    const dir = makeProject({ "connector.ts": counting });
    fs.writeFileSync(path.join(dir, "configuration.json"), utf16('{"tag": "pwsh é"}'));
    fs.mkdirSync(path.join(dir, "files"), { recursive: true });
    fs.writeFileSync(path.join(dir, "files", "state.json"), utf16('{"n": 7}\n', true));
    const show = await cli(["state", "show"], { cwd: dir });
    expect(show.exitCode, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual({ n: 7 });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(query(dir, "SELECT id, tag FROM t ORDER BY id")).toEqual([8, 9, 10].map((id) => ({ id, tag: "pwsh é" })));
    // Without a mark, the file is named and the encoding with it, not "Unexpected character" at line 1.
    fs.writeFileSync(path.join(dir, "configuration.json"), Buffer.from('{"tag": "x"}', "utf16le"));
    const bad = await cli(["debug"], { cwd: dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(`Configuration file ${path.join(dir, "configuration.json")} holds NUL bytes: it is not UTF-8 text (UTF-16 without a byte-order mark, or a binary file?). Save it as UTF-8.`);
  });
});

describe("a warehouse that another program is writing to", () => {
  it("names the file and never advises `connector reset`", async () => {
    // Each command on a copy of its own, write-locked by a program of its own: both wait out SQLite's busy timeout (5 s) at once.
    const commands = [[["debug"], 2], [["reset", "--table", "t", "--yes"], 2]] as const;
    const outcomes = await Promise.allSettled(
      commands.map(async ([args, code]) => {
        const dir = await synced();
        const file = path.join(dir, "files", "warehouse.db");
        const holder = spawn(
          process.execPath,
          ["-e", `const D = require(${JSON.stringify(path.join(ROOT, "node_modules", "better-sqlite3"))}); const db = new D(${JSON.stringify(file)}); db.exec("BEGIN IMMEDIATE"); console.log("locked"); setInterval(() => {}, 1000);`],
          { stdio: ["ignore", "pipe", "inherit"] },
        );
        try {
          await new Promise<void>((resolve) => readline.createInterface({ input: holder.stdout }).once("line", () => resolve()));
          const r = await cli([...args], { cwd: dir });
          expect(r.exitCode, r.stderr).toBe(code);
          expect(r.stderr.toLowerCase()).toContain(`the warehouse ${file} is locked: another program holds a write transaction on it`.toLowerCase());
          expect(r.stderr).not.toContain("connector reset");
          expect(readState(dir)).toEqual({ n: 3 });
        } finally {
          holder.kill();
        }
        expect(query(dir, "SELECT count(*) AS n FROM t")).toEqual([{ n: 3 }]);
      }),
    );
    // Settled, not all: a failure waits for the other command and its holder to end before it is reported.
    for (const o of outcomes) if (o.status === "rejected") throw o.reason;
  }, 60_000);
});

function readOnly(folder: string): () => void {
  execSync(`mount --bind ${folder} ${folder} && mount -o remount,ro,bind ${folder}`);
  return () => execSync(`umount ${folder}`);
}

describe.skipIf(!mountsRun("test/e2e/paths.test.ts"))("read-only folders and full disks (mounts; needs root)", () => {
  it("on a read-only files/, inspect and state history, show and diff still read the warehouse", async () => {
    const dir = await synced();
    const files = path.join(dir, "files");
    const unmount = readOnly(files);
    try {
      expect(listing(files)).toEqual([".connector.lock.db", ".warehouse.db.lock.db", "runs.jsonl", "state.json", "warehouse.db"]);
      const inspect = await cli(["inspect", "--json"], { cwd: dir });
      expect(inspect.exitCode, inspect.stderr).toBe(0);
      expect(JSON.parse(inspect.stdout).tables.map((t: { table: string; rows: number }) => [t.table, t.rows])).toEqual([["t", 3]]);
      const rows = await cli(["inspect", "t", "--json"], { cwd: dir });
      expect(JSON.parse(rows.stdout).map((r: { id: number }) => r.id)).toEqual([3, 2, 1]);
      const history = await cli(["state", "history", "--json"], { cwd: dir });
      expect(history.exitCode, history.stderr).toBe(0);
      expect(JSON.parse(history.stdout).map((c: { state: unknown }) => c.state)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      const diff = await cli(["state", "diff", "1"], { cwd: dir });
      expect(diff.exitCode, diff.stderr).toBe(0);
      expect(diff.stdout).toContain("~ n: 1 → 3");
      expect(listing(files)).toEqual([".connector.lock.db", ".warehouse.db.lock.db", "runs.jsonl", "state.json", "warehouse.db"]);
    } finally {
      unmount();
    }
  });

  it("a read-only files/ after a killed sync shows the commits still in the -wal file", async () => {
    const dir = makeProject({
      "connector.ts": `import { op, log } from "connector-sdk";
export default { async update() { for (let i = 1; i <= 4; i++) { op.upsert("t", { id: i }); op.checkpoint({ n: i }); } log.info("parked"); await new Promise((r) => setTimeout(r, 60_000)); } };
`,
    });
    const run = startDebug(dir);
    await waitFor(() => run.stderr().includes("parked"));
    run.child.kill("SIGKILL");
    await run.exited;
    const files = path.join(dir, "files");
    expect(fs.statSync(path.join(files, "warehouse.db-wal")).size).toBeGreaterThan(0);
    let unmount = readOnly(files);
    try {
      const inspect = await cli(["inspect", "--json"], { cwd: dir });
      expect(inspect.exitCode, inspect.stderr).toBe(0);
      expect(JSON.parse(inspect.stdout).tables[0].rows).toBe(4);
    } finally {
      unmount();
    }
    // Without its -shm file, SQLite cannot read the -wal in a read-only folder: say so, rather than show old data.
    fs.rmSync(path.join(files, "warehouse.db-shm"));
    unmount = readOnly(files);
    try {
      const inspect = await cli(["inspect"], { cwd: dir });
      expect(inspect.exitCode).toBe(2);
      expect(inspect.stderr).toContain(`its folder is read-only, and its latest commits are in ${path.join(files, "warehouse.db-wal")}`);
      expect(inspect.stderr).toContain("Copy the project somewhere writable");
    } finally {
      unmount();
    }
  });

  it("a full disk when the warehouse opens says the disk is full, not that the file may be damaged", async () => {
    const dir = makeProject({ "connector.ts": counting });
    const files = path.join(dir, "files");
    fs.mkdirSync(files);
    execSync(`mount -t tmpfs -o size=512k tmpfs ${files}`);
    try {
      expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
      // Leave room for the lock file, but not for the 32 KB the warehouse's -shm file needs.
      fs.writeFileSync(path.join(files, "reserve"), Buffer.alloc(8192));
      try {
        fs.writeFileSync(path.join(files, "filler"), Buffer.alloc(1024 * 1024));
      } catch (e) {
        expect((e as NodeJS.ErrnoException).code).toBe("ENOSPC");
      }
      fs.rmSync(path.join(files, "reserve"));
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`the warehouse ${path.join(files, "warehouse.db")}: the disk is full`));
      expect(r.stderr).toContain("Free some space, then run again.");
      expect(r.stderr).not.toMatch(/damaged|connector reset/);
      fs.rmSync(path.join(files, "filler"));
      const again = await cli(["debug"], { cwd: dir });
      expect(again.exitCode, again.stderr).toBe(0);
      expect(readState(dir)).toEqual({ n: 6 });
    } finally {
      execSync(`umount ${files}`);
    }
  });

  it("a disk too full for the lock file says so", async () => {
    const dir = makeProject({ "connector.ts": counting });
    const files = path.join(dir, "files");
    fs.mkdirSync(files);
    execSync(`mount -t tmpfs -o size=256k tmpfs ${files}`);
    try {
      try {
        fs.writeFileSync(path.join(files, "filler"), Buffer.alloc(1024 * 1024));
      } catch (e) {
        expect((e as NodeJS.ErrnoException).code).toBe("ENOSPC");
      }
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/Cannot create the lock file .*\.connector\.lock(\.db)?: the disk is full/);
    } finally {
      execSync(`umount ${files}`);
    }
  });
});
