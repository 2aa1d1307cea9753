// Crash reports, as Fivetran's SDK writes them since 2.13: a debug sync that fails on an
// unexpected error leaves crash-reports/<time>.json in the project, secrets hidden.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { BIN, cli, makeProject, ROOT, startCli, stripVT, tempDir, waitFor } from "../helpers.js";

const SECRET = "sk-live-9f8e7d6c5b4a";
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** Logs 250 lines (one with the secret), checkpoints a state that holds the secret, then fails on a TypeError at line 12. */
const crashing = () =>
  makeProject({
    "connector.ts": `import { op, log } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update(configuration: Record<string, string>) {
    op.upsert("t", { id: 1 });
    op.checkpoint({ cursor: "c-1", echoed: configuration.api_key });
    for (let i = 1; i <= 250; i++) log.info("line " + i);
    log.warning("about to call with " + configuration.api_key);
    console.log("console line before the crash");
    op.upsert("t", { id: 2 });
    const response: any = undefined;
    return response.items;
  },
};
`,
    "conf.json": JSON.stringify({ api_key: SECRET }),
  });

const reports = (dir: string): string[] => (fs.existsSync(path.join(dir, "crash-reports")) ? fs.readdirSync(path.join(dir, "crash-reports")).sort() : []);

interface CrashReport {
  time: string;
  connectorSdk: string;
  node: string;
  platform: string;
  command: string[];
  error: { name: string; message: string; stack: string };
  reason: string;
  lastCheckpoint: { seq: number | null; time: string | null; state: Record<string, unknown>; committedBy: string };
  counts: { upserts: number; checkpoints: number };
  warnings: string[];
  log: string[];
}

describe("crash reports", () => {
  it("a sync that fails on an unexpected error writes crash-reports/<time>.json with what it takes to investigate, secrets hidden", async () => {
    const dir = crashing();
    const r = await cli(["debug", "--configuration", "conf.json", "--timeout", "5m"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    const [name, ...more] = reports(dir);
    expect(more).toEqual([]);
    expect(name).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.json$/);
    expect(r.stderr).toContain(`Crash report: crash-reports/${name}`);
    const file = path.join(dir, "crash-reports", name!);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, "utf8");
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET.slice(0, 12));
    const report = JSON.parse(text) as CrashReport;
    expect(report.connectorSdk).toBe(VERSION);
    expect(report.node).toBe(process.version);
    expect(report.platform).toContain(`${process.platform} ${process.arch}`);
    expect(report.command).toEqual(["connector", "debug", "--configuration", "conf.json", "--timeout", "5m"]);
    expect(report.error).toMatchObject({ name: "TypeError", message: "Cannot read properties of undefined (reading 'items')" });
    expect(report.error.stack).toMatch(/connector\.ts:12:\d+/);
    expect(report.reason).toMatch(/^Cannot read properties of undefined \(reading 'items'\)\n {4}at .*connector\.ts:12:\d+/);
    expect(report.lastCheckpoint).toMatchObject({ seq: 1, committedBy: "this run", state: { cursor: "c-1", echoed: "***" } });
    expect(report.counts).toMatchObject({ upserts: 2, checkpoints: 1 });
    expect(report.log).toHaveLength(200);
    expect(report.log[0]).toMatch(/ INFO line 53$/);
    expect(report.log.at(-2)).toMatch(/ WARNING about to call with \*\*\*$/);
    expect(report.log.at(-1)).toBe("console line before the crash");

    const json = await cli(["debug", "--configuration", "conf.json", "--json"], { cwd: dir });
    const out = JSON.parse(json.stdout) as { crashReport: string };
    expect(out.crashReport).toMatch(/^crash-reports\/.+\.json$/);
    expect(fs.existsSync(path.join(dir, out.crashReport))).toBe(true);
    expect(reports(dir)).toHaveLength(2);
  });

  it("the engine's own frames name its TypeScript files and lines, not the bundle's chunks", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default { update() { op.upsert("t", { id: 1, x: Symbol("s") as unknown as string }); } };
`,
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    const [name] = reports(dir);
    const report = JSON.parse(fs.readFileSync(path.join(dir, "crash-reports", name!), "utf8")) as CrashReport;
    expect(report.error.stack).toContain(`at Object.update (${dir}/connector.ts:2:`);
    expect(report.error.stack).toContain(path.join(ROOT, "src", "normalize", "row-normalizer.ts:"));
    expect(report.error.stack).toContain(path.join(ROOT, "src", "sync", "sync.ts:"));
    expect(report.error.stack).not.toMatch(/\/dist\//);
  });

  it("a failure from the connector's earlier run: the report's checkpoint is the state it started from", async () => {
    const dir = makeProject({
      "connector.ts": `export default { update() { throw new RangeError("page size out of range"); } };\n`,
      "files/state.json": JSON.stringify({ page: 7 }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(fs.readFileSync(path.join(dir, "crash-reports", reports(dir)[0]!), "utf8")) as CrashReport;
    expect(report.lastCheckpoint).toEqual({ seq: null, time: null, state: { page: 7 }, committedBy: "an earlier run" });
  });

  it("none for a clean op.error, for Ctrl-C, or for unusable input", async () => {
    const clean = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.error("the source is down for maintenance"); } };\n` });
    const r = await cli(["debug"], { cwd: clean });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("Sync FAILED: the source is down for maintenance");
    expect(r.stderr).not.toContain("Crash report");
    expect(reports(clean)).toEqual([]);

    const usage = makeProject({ "connector.ts": `export default { update() {} };\n`, "configuration.json": "{ nope" });
    expect((await cli(["debug"], { cwd: usage })).exitCode).toBe(2);
    expect(reports(usage)).toEqual([]);

    const stuck = makeProject({ "connector.ts": `import { log } from "connector-sdk";\nexport default { update() { log.info("spinning"); for (;;) {} } };\n` });
    const run = startCli(stuck, ["debug"]);
    try {
      await waitFor(() => run.stderr().includes("spinning"));
      run.child.kill("SIGINT");
      expect(await run.exited).toBe(130);
    } finally {
      run.child.kill("SIGKILL");
    }
    expect(run.stderr()).toContain("Sync FAILED: interrupted");
    expect(reports(stuck)).toEqual([]);
  });

  it("a connector over --memory-limit gets a report too", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { const all: string[] = []; for (let i = 0; ; i++) { all.push("row " + i + " ".repeat(40)); if (i % 100000 === 0) op.checkpoint({ i }); } } };\n`,
    });
    const r = await cli(["debug", "--memory-limit", "128MB"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    const [name] = reports(dir);
    const report = JSON.parse(fs.readFileSync(path.join(dir, "crash-reports", name!), "utf8")) as CrashReport;
    expect(report.error.name).toBe("MemoryLimit");
    expect(report.reason).toMatch(/^memory limit of 128 MB exceeded/);
    expect(report.lastCheckpoint.committedBy).toBe("this run");
  });

  it("keeps the newest 20 reports, leaves other files alone, and connector reset does not touch them", async () => {
    const dir = crashing();
    const folder = path.join(dir, "crash-reports");
    fs.mkdirSync(folder);
    const old = Array.from({ length: 25 }, (_, i) => `2020-01-${String(i + 1).padStart(2, "0")}T00-00-00-000Z.json`);
    for (const f of old) fs.writeFileSync(path.join(folder, f), "{}");
    fs.writeFileSync(path.join(folder, "notes.txt"), "mine");
    expect((await cli(["debug", "--configuration", "conf.json"], { cwd: dir })).exitCode).toBe(1);
    const kept = reports(dir);
    expect(kept).toHaveLength(21);
    expect(kept).toContain("notes.txt");
    expect(kept.filter((f) => f.startsWith("2020-"))).toEqual(old.slice(6));
    expect(kept.filter((f) => !f.startsWith("2020-") && f !== "notes.txt")).toHaveLength(1);

    const reset = await cli(["reset", "--yes"], { cwd: dir });
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, "files", "warehouse.db"))).toBe(false);
    expect(reports(dir)).toEqual(kept);
  });

  /**
   * A project folder that is read-only but for files/, as under systemd (User= without the right to write
   * there, ReadWritePaths= for files/): a read-only bind mount in a mount namespace of its own, which stops
   * root too, as chmod does not.
   */
  async function inReadOnlyProject(dir: string, args: string[], env: Record<string, string>) {
    const script = `set -e
mount --bind "$P" "$P"; mount -o remount,bind,ro "$P"
mount --bind "$P/files" "$P/files"; mount -o remount,bind,rw "$P/files"
if touch "$P/probe" 2>/dev/null; then echo "the project folder is still writable" >&2; exit 99; fi
cd "$P"; exec node "$BIN" "$@"`;
    const r = await execa("unshare", ["-m", "sh", "-c", script, "sh", ...args], {
      reject: false,
      stdin: "ignore",
      env: { NO_COLOR: "1", CONNECTOR_STATE: "", CONNECTOR_CONFIGURATION: "", P: dir, BIN, ...env },
    });
    return { exitCode: r.exitCode ?? -1, stdout: stripVT(String(r.stdout)), stderr: stripVT(String(r.stderr)) };
  }

  it("a read-only project folder (a service's): debug and run put the report in the temporary folder and say where, and why", async () => {
    const dir = crashing();
    fs.mkdirSync(path.join(dir, "files"));
    const tmp = tempDir();
    for (const command of [
      ["debug", "--configuration", "conf.json"],
      ["run", "--configuration", "conf.json", "--destination", "sqlite:files/w.db"],
    ]) {
      const r = await inReadOnlyProject(dir, command, { TMPDIR: tmp });
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr).toContain("Sync FAILED: Cannot read properties of undefined (reading 'items')");
      const said = /Crash report: (\S+\.json) \(the project's folder could not take it: (\S+): the file system is read-only \(EROFS\)\)/.exec(r.stderr);
      expect(said, r.stderr).not.toBeNull();
      expect(said![2]).toBe(path.join(dir, "crash-reports"));
      const file = said![1]!;
      expect(path.dirname(file)).toMatch(new RegExp(`^${tmp}/connector-crash-reports/${path.basename(dir)}-[0-9a-f]{8}$`));
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      const report = JSON.parse(fs.readFileSync(file, "utf8")) as CrashReport;
      expect(report.command).toEqual(["connector", ...command]);
      expect(report.error.message).toBe("Cannot read properties of undefined (reading 'items')");
      expect(JSON.stringify(report)).not.toContain(SECRET);
    }
    expect(reports(dir)).toEqual([]);
    expect(fs.readdirSync(fs.readdirSync(path.join(tmp, "connector-crash-reports")).map((d) => path.join(tmp, "connector-crash-reports", d))[0]!)).toHaveLength(2);

    // --json carries the path; --log-format json says it in a line of its own.
    const json = await inReadOnlyProject(dir, ["debug", "--configuration", "conf.json", "--json"], { TMPDIR: tmp });
    expect((JSON.parse(json.stdout) as { crashReport: string }).crashReport).toMatch(new RegExp(`^${tmp}/connector-crash-reports/.+\\.json$`));
    const lines = await inReadOnlyProject(dir, ["run", "--configuration", "conf.json", "--destination", "sqlite:files/w.db", "--log-format", "json"], { TMPDIR: tmp });
    const events = lines.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; file?: string; message?: string; crashReport?: string });
    const notice = events.find((e) => e.type === "crash-report");
    expect(notice?.message).toContain("the file system is read-only (EROFS)");
    expect(events.at(-1)).toMatchObject({ type: "report", crashReport: notice!.file });
    expect(lines.stderr).toBe("");
  });

  it("connector run writes a report in the project too, but not for op.error", async () => {
    const dir = crashing();
    const r = await cli(["run", "--configuration", "conf.json", "--destination", "sqlite:w.db"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    const [name] = reports(dir);
    expect(r.stderr).toContain(`Crash report: crash-reports/${name}`);
    const report = JSON.parse(fs.readFileSync(path.join(dir, "crash-reports", name!), "utf8")) as CrashReport;
    expect(report.command).toEqual(["connector", "run", "--configuration", "conf.json", "--destination", "sqlite:w.db"]);
    expect(report.lastCheckpoint).toMatchObject({ seq: 1, committedBy: "this run", state: { cursor: "c-1", echoed: "***" } });

    const clean = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.error("the source is down"); } };\n` });
    expect((await cli(["run", "--destination", "sqlite:w.db"], { cwd: clean })).exitCode).toBe(1);
    expect(reports(clean)).toEqual([]);
  });
});
