import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { cli, makeProject, readState, ROOT, startCli, tempDir, waitFor } from "../helpers.js";

/** The destination lock (issue 20, item 4): two projects naming one warehouse file never write it at once. */

const { openReader } = (await import(pathToFileURL(path.join(ROOT, "dist", "destinations", "open.js")).href)) as typeof import("../../src/destinations/open.js");

/** Writes id 1, commits, says "parked" and waits for the file `go` to appear; then writes ids 2 to 5 and commits. Every row says which project wrote it. */
const PARKED = `import fs from "node:fs";
import path from "node:path";
import { log, op } from "connector-sdk";
export default {
  schema: () => [{ table: "items", primary_key: ["id"] }],
  async update(configuration: { go: string; by: string }, state: { n?: number }) {
    op.upsert("items", { id: 1, by: configuration.by });
    op.checkpoint({ n: 1 });
    log.info("parked " + configuration.by);
    while (!fs.existsSync(configuration.go)) await new Promise((r) => setTimeout(r, 10));
    for (let id = 2; id <= 5; id++) op.upsert("items", { id, by: configuration.by });
    op.checkpoint({ n: 5 });
  },
};
`;

const running: ReturnType<typeof startCli>[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.child.kill("SIGKILL");
    await r.exited;
  }
});

function start(dir: string, args: string[]): ReturnType<typeof startCli> {
  const r = startCli(dir, args);
  running.push(r);
  return r;
}

/** The promise, or a failure after 30 s: a wait that can only end if the lock works must not hang the suite when it does not. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), 30_000)));
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** A project whose connector parks inside its sync until `go` exists. */
function project(by: string, go: string): string {
  return makeProject({ "connector.ts": PARKED, "configuration.json": JSON.stringify({ go, by }) });
}

async function rowsOf(kind: "sqlite" | "duckdb", file: string) {
  const reader = await openReader({ kind, file });
  try {
    const rows = (await reader.rows("items")).map((r) => `${r.id}:${r.by}:${r._fivetran_deleted}`).sort();
    const checkpoints = (await reader.checkpoints()).map((c) => JSON.parse(c.state) as unknown);
    return { rows, checkpoints };
  } finally {
    await reader.close();
  }
}

const REFUSED = (file: string) => new RegExp(`Another \`connector (run|debug)\` from the project .* \\(pid \\d+, started [^)]+\\) is writing to the warehouse ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}; its lock is .*\\.lock\\. Wait for it to finish, or stop it \\(kill \\d+\\)\\.`);

describe("two projects naming one warehouse file", () => {
  for (const kind of ["sqlite", "duckdb"] as const) {
    it(`${kind}: while one run is inside its sync, every other writer of that file is refused at once, by any path to it; then it finishes alone`, async () => {
      const root = tempDir();
      const shared = path.join(root, "data", `shared.${kind === "sqlite" ? "db" : "duckdb"}`);
      const go = path.join(root, "go");
      const pa = project("pa", go);
      const pb = project("pb", go);
      const holder = start(pa, ["run", "--destination", `${kind}:${shared}`]);
      await waitFor(() => holder.stderr().includes("parked pa"));

      // The same file by another spelling, and through a symbolic link to its folder.
      fs.symlinkSync(path.join(root, "data"), path.join(root, "link"));
      const spellings = [`${kind}:${shared}`, `${kind}:${path.join(root, "data", "..", "data", path.basename(shared))}`, `${kind}:${path.join(root, "link", path.basename(shared))}`];
      for (const destination of spellings) {
        for (const logFormat of ["plain", "json"]) {
          const r = await cli(["run", "--destination", destination, "--log-format", logFormat], { cwd: pb });
          expect(r.exitCode, `${destination} ${logFormat}: ${r.stderr}`).toBe(2);
          // --log-format json: every line is JSON on stdout, the refusal its last, an error line.
          const last = logFormat === "json" ? (JSON.parse(r.stdout.trim().split("\n").pop()!) as { type: string; exitCode: number; message: string }) : undefined;
          if (last) expect(last).toMatchObject({ type: "error", exitCode: 2 });
          const said = last ? last.message : r.stderr;
          expect(said).toMatch(REFUSED(path.resolve(destination.slice(kind.length + 1))));
          expect(said).toContain(`from the project ${pa} (pid ${holder.child.pid}`);
        }
      }
      // CONNECTOR_DESTINATION and destination.json name it too.
      const env = await cli(["run"], { cwd: pb, env: { CONNECTOR_DESTINATION: `${kind}:${shared}` } });
      expect(env.exitCode, env.stderr).toBe(2);
      fs.writeFileSync(path.join(pb, "destination.json"), JSON.stringify({ url: `${kind}:${shared}` }));
      const file = await cli(["run"], { cwd: pb });
      expect(file.exitCode, file.stderr).toBe(2);
      expect(file.stderr).toMatch(REFUSED(shared));
      expect(fs.existsSync(path.join(pb, "files", "state.json")), "the refused run wrote no state").toBe(false);

      fs.writeFileSync(go, "");
      expect(await holder.exited, holder.stderr()).toBe(0);
      expect(await rowsOf(kind, shared)).toEqual({ rows: ["1:pa:0", "2:pa:0", "3:pa:0", "4:pa:0", "5:pa:0"], checkpoints: [{ n: 1 }, { n: 5 }] });
      expect(readState(pa)).toEqual({ n: 5 });

      // Released when the holder ends: the other project now writes the file.
      const after = await cli(["run", "--destination", `${kind}:${path.join(root, "link", path.basename(shared))}`], { cwd: pb });
      expect(after.exitCode, after.stderr).toBe(0);
      expect((await rowsOf(kind, shared)).rows).toEqual(["1:pb:0", "2:pb:0", "3:pb:0", "4:pb:0", "5:pb:0"]);
    }, 120_000);
  }

  it("a project's own warehouse: another project's run into it refuses that project's debug and reset, and the other way round", async () => {
    const root = tempDir();
    const go = path.join(root, "go");
    const pa = project("pa", go);
    const pb = project("pb", go);
    const own = path.join(pa, "files", "warehouse.db");
    const holder = start(pb, ["run", "--destination", `sqlite:${own}`]);
    await waitFor(() => holder.stderr().includes("parked pb"));
    for (const args of [["debug"], ["reset", "--yes"], ["reset", "--yes", "--table", "items"]]) {
      const r = await cli(args, { cwd: pa });
      expect(r.exitCode, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(REFUSED(own));
      expect(r.stderr).toContain(`from the project ${pb} (pid ${holder.child.pid}`);
    }
    expect(fs.existsSync(own), "reset deleted nothing").toBe(true);
    fs.writeFileSync(go, "");
    expect(await holder.exited, holder.stderr()).toBe(0);
    fs.rmSync(go);

    // And the other way round: pa's debug holds its warehouse, so pb's run into it is refused.
    const debug = start(pa, ["debug"]);
    await waitFor(() => debug.stderr().includes("parked pa"));
    const r = await cli(["run", "--destination", `sqlite:${own}`], { cwd: pb });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(REFUSED(own));
    expect(r.stderr).toContain("Another `connector debug` from the project");
    fs.writeFileSync(go, "");
    expect(await debug.exited, debug.stderr()).toBe(0);
  }, 120_000);

  it("a run killed with SIGKILL inside its sync leaves no lock that blocks the next one", async () => {
    const root = tempDir();
    const shared = path.join(root, "shared.db");
    const go = path.join(root, "go");
    const pa = project("pa", go);
    const pb = project("pb", go);
    const victim = start(pa, ["run", "--destination", `sqlite:${shared}`]);
    await waitFor(() => victim.stderr().includes("parked pa"));
    expect(fs.existsSync(path.join(root, ".shared.db.lock")), "the holder's note").toBe(true);
    victim.child.kill("SIGKILL");
    await victim.exited;
    fs.writeFileSync(go, "");
    const next = await cli(["run", "--destination", `sqlite:${shared}`], { cwd: pb });
    expect(next.exitCode, next.stderr).toBe(0);
    expect((await rowsOf("sqlite", shared)).rows).toEqual(["1:pb:0", "2:pb:0", "3:pb:0", "4:pb:0", "5:pb:0"]);
    expect(fs.existsSync(path.join(root, ".shared.db.lock")), "the note is removed on release").toBe(false);
  }, 60_000);

  for (const [kind, trials] of [["sqlite", 10], ["duckdb", 5]] as const) {
    it(`${kind}: started together ${trials} times, exactly one run wins each time, the other is refused, and the table is the winner's alone`, async () => {
      for (let trial = 0; trial < trials; trial++) {
        const root = tempDir();
        const shared = path.join(root, `shared.${kind}`);
        const go = path.join(root, "go");
        const dirs = { pa: project("pa", go), pb: project("pb", go) };
        const runs = Object.entries(dirs).map(([by, dir]) => ({ by, dir, run: start(dir, ["run", "--destination", `${kind}:${shared}`]) }));
        // The winner cannot finish before go exists, and go is made only once the loser has ended: so the loser
        // was refused, not outrun. Had both got in, neither would end, and the wait would time out.
        const first = await within(Promise.race(runs.map((r) => r.run.exited.then(() => r))), `trial ${trial}: neither run ended: both are inside their syncs`);
        const where = `trial ${trial}: ${runs.map((r) => `--- ${r.by}:\n${r.run.stderr()}`).join("\n")}`;
        expect(await first.run.exited, where).toBe(2);
        expect(first.run.stderr(), where).toMatch(REFUSED(shared));
        const winner = runs.find((r) => r !== first)!;
        await waitFor(() => winner.run.stderr().includes(`parked ${winner.by}`));
        fs.writeFileSync(go, "");
        expect(await winner.run.exited, where).toBe(0);
        expect(await rowsOf(kind, shared), where).toEqual({ rows: [1, 2, 3, 4, 5].map((id) => `${id}:${winner.by}:0`), checkpoints: [{ n: 1 }, { n: 5 }] });
        expect(readState(winner.dir), where).toEqual({ n: 5 });
        expect(fs.existsSync(path.join(first.dir, "files", "state.json")), where).toBe(false);
      }
    }, 180_000);
  }
});
