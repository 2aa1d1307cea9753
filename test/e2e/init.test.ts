import fs from "node:fs";
import path from "node:path";
import { execSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cli, query, readState, ROOT, tempDir } from "../helpers.js";
import { expectedToRun } from "../support/expected.js";

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;

const TEMPLATES = ["cursor", "hello", "multi-table", "pagination", "rest-api"];

function editJson<T>(file: string, edit: (data: T) => void): void {
  const data = JSON.parse(fs.readFileSync(file, "utf8")) as T;
  edit(data);
  fs.writeFileSync(file, JSON.stringify(data, null, 2));
}

type Rec = Record<string, unknown>;

/** Per template: its table, rows after the first sync, and a change to its source that a third sync must pick up alone. */
const cases: Record<string, { table: string; key: string; rows: number; upserts?: number; change?: (dir: string) => void; after?: { upserts: number; state: (s: Rec) => void } }> = {
  hello: { table: "greetings", key: "_fivetran_id", rows: 1 },
  cursor: {
    table: "users",
    key: "id",
    rows: 12,
    change: (dir) => editJson<Rec[]>(path.join(dir, "data/users.json"), (users) => Object.assign(users.find((u) => u.id === 3)!, { name: "Renamed", updated_at: "2024-04-01T00:00:00Z" })),
    after: { upserts: 1, state: (s) => expect(s).toEqual({ last_updated_at: "2024-04-01T00:00:00Z" }) },
  },
  pagination: {
    table: "events",
    key: "id",
    rows: 23,
    change: (dir) => editJson<Rec[]>(path.join(dir, "data/events.json"), (events) => events.push({ id: 24, kind: "login", user_id: 101, occurred_at: "2024-05-02T00:00:00Z" })),
    after: { upserts: 1, state: (s) => expect(s).toEqual({ last_id: 24 }) },
  },
  "multi-table": {
    table: "departments",
    key: "company_id || '/' || id",
    rows: 9,
    upserts: 12,
    change: (dir) =>
      editJson<Rec[]>(path.join(dir, "data/departments.json"), (ds) => Object.assign(ds.find((d) => d.company_id === "globex" && d.id === "sales")!, { head_count: 99, updated_at: "2024-09-01T00:00:00Z" })),
    after: {
      upserts: 1,
      state: (s) => expect(s).toMatchObject({ companies_cursor: "2024-08-03T12:00:00Z", departments: { acme: "2024-08-03T09:00:00Z", globex: "2024-09-01T00:00:00Z", initech: "2024-08-09T09:00:00Z" } }),
    },
  },
  "rest-api": {
    table: "users",
    key: "id",
    rows: 10,
    change: (dir) => editJson<Rec[]>(path.join(dir, "fixtures/users.json"), (users) => Object.assign(users.find((u) => u.id === 2)!, { plan: "enterprise", updated_at: "2024-07-01T00:00:00Z" })),
    after: { upserts: 1, state: (s) => expect(s).toEqual({ updated_at: "2024-07-01T00:00:00Z", id: 2, page: null }) },
  },
};

const upserts = (stderr: string): number => Number(/^Upserts\s+\| ([\d,]+)$/m.exec(stderr)![1]!.replace(/,/g, ""));

describe("connector init", () => {
  it("--list shows every template with one line about it", async () => {
    const r = await cli(["init", "--list"], { cwd: tempDir() });
    expect(r.exitCode).toBe(0);
    for (const t of TEMPLATES) expect(r.stdout).toMatch(new RegExp(`^${t}( \\(default\\))?\\s+\\S.+$`, "m"));
    expect(r.stdout).toMatch(/^cursor \(default\)/m);
  });

  it("an unknown template lists the available ones and exits 2", async () => {
    const dir = path.join(tempDir(), "x");
    const r = await cli(["init", dir, "--template", "nope"], { cwd: tempDir() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`Unknown template "nope". Templates: ${TEMPLATES.join(", ")}`);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("refuses a non-empty folder without --yes and changes nothing; with --yes it writes the template beside what is there", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "notes.md"), "keep me");
    const refused = await cli(["init", dir], { cwd: dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("is not empty. Pass --yes");
    expect(fs.readdirSync(dir)).toEqual(["notes.md"]);
    const forced = await cli(["init", dir, "--yes", "--template", "hello"], { cwd: dir });
    expect(forced.exitCode).toBe(0);
    expect(fs.readFileSync(path.join(dir, "notes.md"), "utf8")).toBe("keep me");
    expect(fs.existsSync(path.join(dir, "connector.ts"))).toBe(true);
  });

  it("a target that is a file, under a file, or where no folder can be made exits 2 naming it, and never hangs", async () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, "f"), "a file");
    const cases: [string[], string][] = [
      [["f"], `${path.join(cwd, "f")} is a file, not a folder. Give connector init the name of a new or empty folder for the project.`],
      [["f/sub"], `Cannot create ${path.join(cwd, "f", "sub")}: ${path.join(cwd, "f")} is a file, not a folder.`],
      // Node's recursive mkdir spins forever here.
      [["/proc/x"], "Cannot create /proc/x: the file system refuses to create it there (ENOENT). Choose a folder you can write to."],
      [["/proc/self", "--yes"], "Cannot create /proc/self/README.md: the file system refuses to create it there (ENOENT)."],
    ];
    if (fs.existsSync("/sys/kernel")) cases.push([["/sys/x"], "Cannot create /sys/x: the operating system does not permit it (EPERM)."]);
    for (const [args, says] of cases) {
      const r = await cli(["init", ...args], { cwd, timeout: 20_000 });
      expect(r.exitCode, `init ${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toMatch(/Internal error|\n\s+at /);
    }
    expect(fs.readFileSync(path.join(cwd, "f"), "utf8")).toBe("a file");
  });

  it("a symbolic link to a folder that does not exist yet: the folder is created and the project written through the link", async () => {
    const cwd = tempDir();
    fs.symlinkSync(path.join(cwd, "elsewhere", "project"), path.join(cwd, "link"));
    const r = await cli(["init", "link", "--template", "hello"], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.lstatSync(path.join(cwd, "link")).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(cwd, "elsewhere", "project", "connector.ts"))).toBe(true);
    fs.symlinkSync("loop", path.join(cwd, "loop"));
    const loop = await cli(["init", "loop/sub"], { cwd, timeout: 20_000 });
    expect(loop.exitCode).toBe(2);
    expect(loop.stderr).toContain(`Cannot create ${path.join(cwd, "loop", "sub")}: ELOOP`);
  });

  it("an unwritable folder exits 2 naming the file and the reason", async (ctx) => {
    const cwd = tempDir();
    const locked = path.join(cwd, "locked");
    fs.mkdirSync(locked);
    // Root writes anywhere a permission allows; a read-only mount stops it, as permissions stop anyone else.
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) fs.chmodSync(locked, 0o555);
    else {
      try {
        execSync(`mount --bind ${locked} ${locked} && mount -o remount,ro,bind ${locked}`, { stdio: "ignore" });
      } catch {
        // Root without the right to mount: nothing here is unwritable to it. On CI, where root may mount, that is a failure.
        expectedToRun("test/e2e/init.test.ts: an unwritable folder", false, true, "running as root, yet mount --bind failed");
        ctx.skip();
      }
    }
    try {
      for (const target of [locked, path.join(locked, "sub")]) {
        const r = await cli(["init", target], { cwd, timeout: 20_000 });
        expect(r.exitCode, r.stderr).toBe(2);
        expect(r.stderr).toMatch(asRoot ? /Cannot create .*locked.*: the file system is read-only \(EROFS\)\. Choose a folder you can write to\./ : /Cannot create .*locked.*: permission denied \(EACCES\)\. Choose a folder you can write to\./);
        expect(r.stderr).not.toContain("Internal error");
      }
    } finally {
      if (asRoot) execSync(`umount ${locked}`);
      else fs.chmodSync(locked, 0o755);
    }
  });

  for (const template of TEMPLATES) {
    it(`${template}: a complete project that syncs with no install, incrementally on the next runs`, async () => {
      const c = cases[template]!;
      const dir = path.join(tempDir(), `My ${template} Project`);
      const created = await cli(["init", dir, "--template", template], { cwd: tempDir() });
      expect(created.exitCode, created.stderr).toBe(0);

      const files = fs.readdirSync(dir).sort();
      for (const f of ["connector.ts", "configuration.json", "package.json", "tsconfig.json", "README.md", ".gitignore", "connector.test.ts"]) expect(files).toContain(f);
      expect(files).not.toContain("_gitignore");
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      expect(pkg).toMatchObject({ name: `my-${template}-project`, type: "module", peerDependencies: { "connector-sdk": `^${VERSION}` }, peerDependenciesMeta: { "connector-sdk": { optional: true } } });
      expect(pkg.dependencies).not.toHaveProperty("connector-sdk");
      expect(pkg.devDependencies).toHaveProperty("vitest");
      expect(pkg.devDependencies).toHaveProperty("typescript");
      expect(fs.readFileSync(path.join(dir, "README.md"), "utf8")).toMatch(new RegExp(`^# my-${template}-project`));
      expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8").split("\n")).toEqual(expect.arrayContaining(["files/", "node_modules/", "crash-reports/", "build/"]));

      const first = await cli(["debug"], { cwd: dir });
      expect(first.exitCode, first.stderr).toBe(0);
      expect(upserts(first.stderr)).toBe(c.upserts ?? c.rows);
      const state = readState(dir);
      const count = () => query<{ n: number; keys: number }>(dir, `SELECT count(*) AS n, count(DISTINCT ${c.key}) AS keys FROM ${c.table}`)[0]!;
      expect(count()).toEqual({ n: c.rows, keys: c.rows });

      const second = await cli(["debug"], { cwd: dir });
      expect(second.exitCode).toBe(0);
      expect(count()).toEqual({ n: c.rows, keys: c.rows });
      expect(readState(dir)).toEqual(state);
      if (!c.change) return;
      expect(upserts(second.stderr)).toBe(0);

      c.change(dir);
      const third = await cli(["debug"], { cwd: dir });
      expect(third.exitCode, third.stderr).toBe(0);
      expect(upserts(third.stderr)).toBe(c.after!.upserts);
      c.after!.state(readState(dir) as Rec);
      expect(count().n).toBe(template === "pagination" ? c.rows + 1 : c.rows);
    });
  }
});
