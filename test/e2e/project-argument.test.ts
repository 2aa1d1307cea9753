import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, readState } from "../helpers.js";

// Every command that works on a project takes its folder the same way: as its last positional
// argument, [project-dir], with --project <dir> as an alias (issue 20, item 21). Each command
// here runs from the project's parent folder, with the folder given positionally.

const COUNTING = `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "users", primary_key: ["id"] }],
  update(configuration, state) {
    for (let id = (state.n ?? 0) + 1; id <= 4; id++) {
      op.upsert("users", { id });
      op.checkpoint({ n: id });
    }
  },
};
`;

/** A project synced once (4 checkpoints), and the folder above it to run commands from. */
async function synced(): Promise<{ dir: string; cwd: string; name: string }> {
  const dir = makeProject({ "connector.ts": COUNTING });
  expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
  return { dir, cwd: path.dirname(dir), name: path.basename(dir) };
}

describe("the project folder as a positional argument", () => {
  it("state: show, history, diff, set, unset and rewind take it after their own arguments", async () => {
    const { dir, cwd, name } = await synced();
    const show = await cli(["state", "show", name], { cwd });
    expect(show.exitCode, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual({ n: 4 });
    const history = await cli(["state", "history", name], { cwd });
    expect(history.exitCode, history.stderr).toBe(0);
    expect(history.stdout.split("\n").filter((l) => /^\s*\d+\s/.test(l))).toHaveLength(4);
    expect((await cli(["state", "set", "n", "7", name], { cwd })).exitCode).toBe(0);
    expect(readState(dir)).toEqual({ n: 7 });
    // diff: a last argument that holds a connector is the folder; numbers stay checkpoints.
    const diffDir = await cli(["state", "diff", name], { cwd });
    expect(diffDir.stderr).toContain("From checkpoint 4 to the state file");
    expect(diffDir.stdout).toContain("n: 4 → 7");
    const diffOne = await cli(["state", "diff", "1", name], { cwd });
    expect(diffOne.stderr).toContain("From checkpoint 1 to the state file");
    const diffTwo = await cli(["state", "diff", "1", "3", name], { cwd });
    expect(diffTwo.stderr).toContain("From checkpoint 1 to checkpoint 3");
    expect((await cli(["state", "rewind", "2", name], { cwd })).exitCode).toBe(0);
    expect(readState(dir)).toEqual({ n: 2 });
    expect((await cli(["state", "unset", "n", name], { cwd })).exitCode).toBe(0);
    expect(readState(dir)).toEqual({});
    // With --file, the folder is the only argument.
    fs.writeFileSync(path.join(cwd, "replacement.json"), '{"n": 1}');
    const file = await cli(["state", "set", "--file", "replacement.json", name], { cwd });
    expect(file.exitCode, file.stderr).toBe(0);
    expect(readState(dir)).toEqual({ n: 1 });
  });

  it("inspect [table] [project-dir]: one argument is the folder if it holds a connector, else the table", async () => {
    const { dir, cwd, name } = await synced();
    const overview = await cli(["inspect", name], { cwd });
    expect(overview.exitCode, overview.stderr).toBe(0);
    expect(overview.stdout).toMatch(/^users\s+id\s+4\s+0\s/m);
    const table = await cli(["inspect", "users", name, "--json"], { cwd });
    expect(table.exitCode, table.stderr).toBe(0);
    expect(JSON.parse(table.stdout)).toHaveLength(4);
    const inside = await cli(["inspect", "users", "--json"], { cwd: dir });
    expect(JSON.parse(inside.stdout)).toHaveLength(4);
  });

  it("test [name] [project-dir], debug, reset and verify: the folder positionally, --project as an alias", async () => {
    const { cwd, name } = await synced();
    const test = await cli(["test", name], { cwd });
    expect(test.exitCode).toBe(2);
    expect(test.stderr).toContain(`No cassette at ${path.join(cwd, name, "fixtures", "default", "cassette.json")}`);
    const named = await cli(["test", "nightly", name], { cwd });
    expect(named.stderr).toContain(path.join(cwd, name, "fixtures", "nightly", "cassette.json"));
    for (const args of [["debug", "--project", name], ["verify", "--project", name, "--trials", "1"], ["state", "show", "--project", name], ["inspect", "--project", name]]) {
      const r = await cli(args, { cwd });
      expect(r.exitCode, `${args.join(" ")}\n${r.stderr}`).toBe(0);
    }
    const reset = await cli(["reset", "--project", name, "--yes"], { cwd });
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(fs.existsSync(path.join(cwd, name, "files", "state.json"))).toBe(false);
  });

  it("the folder given twice, differently, is exit 2; the same folder twice is fine", async () => {
    const { cwd, name } = await synced();
    const other = makeProject({ "connector.ts": COUNTING });
    for (const args of [["state", "show", name, "--project", other], ["inspect", "users", name, "--project", other], ["debug", name, "--project", other]]) {
      const r = await cli(args, { cwd });
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`The project folder is given twice, as "${name}" and as --project "${other}"`);
    }
    expect((await cli(["state", "show", name, "--project", path.join(cwd, name)], { cwd })).exitCode).toBe(0);
  });

  it("run --state's help says what a PostgreSQL run starts from without it", async () => {
    const help = await cli(["run", "--help"], { cwd: makeProject({}) });
    const text = help.stdout.replace(/\s+/g, " ");
    expect(text).toContain("--state <file> PostgreSQL: a state to seed a first run with (default: $CONNECTOR_STATE, else none: a first run starts from {});");
    expect(text).toContain("duckdb: and sqlite: files: the state file, as for debug (default: $CONNECTOR_STATE, else files/state.json)");
  });
});
