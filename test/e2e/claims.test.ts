/**
 * The claims of issue 25 that were not true as written: each test here failed before its fix.
 * The state schema and unknown keys, a missing --state file, a thrown non-Error value, the
 * previous state, and the templates' empty checkpoints.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, readState, tempDir } from "../helpers.js";

const WITH_SCHEMA = (body: string): string => `import { Connector, op } from "connector-sdk";
import { z } from "zod";
export default new Connector({
  state: z.object({ last_updated_at: z.string().default("2000-01-01T00:00:00Z") }),
  update(configuration, state) {
    ${body}
  },
});
`;

describe("the state schema", () => {
  it("a checkpoint with a key the schema does not declare fails, naming the key and the closest declared key, and commits nothing", async () => {
    const dir = makeProject({ "connector.ts": WITH_SCHEMA(`op.upsert("t", { id: 1 }); op.checkpoint({ last_updated: "2024-01-01T00:00:00Z" });`) });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`key "last_updated" is not declared by the state schema, which would drop it (did you mean "last_updated_at"?)`);
    expect(fs.existsSync(path.join(dir, "files", "state.json"))).toBe(false);
  });

  it("a checkpoint of the declared keys passes", async () => {
    const dir = makeProject({ "connector.ts": WITH_SCHEMA(`op.checkpoint({ last_updated_at: "2024-01-01T00:00:00Z" });`) });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readState(dir)).toEqual({ last_updated_at: "2024-01-01T00:00:00Z" });
  });

  it("`state set` of a key the schema does not know warns at once, naming the schema's file and the closest key", async () => {
    const dir = makeProject({ "connector.ts": WITH_SCHEMA(`op.checkpoint(state);`) });
    const r = await cli(["state", "set", "note", "hello"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/key "note" is not declared by the state schema of connector\.ts \(did you mean "last_updated_at"\?\)/);
    expect(readState(dir)).toEqual({ note: "hello" });
    const known = await cli(["state", "set", "last_updated_at", "2024-01-01T00:00:00Z"], { cwd: tempCopy(dir) });
    expect(known.stderr).not.toContain("is not declared");
  });

  it("debug's report gives the previous state as stored, {} on a first run, not the schema's defaults", async () => {
    const dir = makeProject({ "connector.ts": WITH_SCHEMA(`op.checkpoint(state);`) });
    const r = await cli(["debug", "--json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).previousState).toEqual({});
  });
});

describe("--state with a file that does not exist", () => {
  it("is refused, saying how to start from an empty state, and that way works", async () => {
    const dir = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update(c, state) { op.checkpoint({ n: (state.n ?? 0) + 1 }); } };\n` });
    const r = await cli(["debug", "--state", "new.json"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`to start from an empty state, create it holding {}: echo '{}' > ${path.join(dir, "new.json")}`);
    fs.writeFileSync(path.join(dir, "new.json"), "{}");
    const again = await cli(["debug", "--state", "new.json"], { cwd: dir });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(readState(dir, "new.json")).toEqual({ n: 1 });
  });
});

describe("a thrown value that is not an Error", () => {
  it("is reported with the connector's file and line", async () => {
    const dir = makeProject({
      "connector.ts": `import { Connector } from "connector-sdk";
interface Page { ok: boolean }
export default new Connector({
  async update() {
    const page: Page = await Promise.resolve({ ok: false });
    if (!page.ok) throw "API returned garbage";
  },
});
`,
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`Sync FAILED: the connector threw a non-Error value: "API returned garbage"`);
    expect(r.stderr).toContain(`${path.join(dir, "connector.ts")}:6`);
  });

  it("an object thrown is placed too", async () => {
    const dir = makeProject({ "connector.js": `export default {\n  update() {\n    throw { code: 42 };\n  },\n};\n` });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`{"code":42}`);
    expect(r.stderr).toContain(`${path.join(dir, "connector.js")}:3`);
  });
});

describe("the templates", () => {
  for (const template of ["cursor", "hello", "multi-table", "pagination", "rest-api"]) {
    it(`${template}: a run after which nothing changed commits no checkpoint that neither writes nor moves the state, and warns of nothing`, async () => {
      const dir = path.join(tempDir(), template);
      expect((await cli(["init", dir, "--template", template], { cwd: path.dirname(dir) })).exitCode).toBe(0);
      type Checkpoint = { state: unknown; operations: Record<string, unknown> };
      const history = async (): Promise<Checkpoint[]> => JSON.parse((await cli(["state", "history", "--json"], { cwd: dir })).stdout) as Checkpoint[];
      expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
      const first = await history();
      const again = await cli(["debug"], { cwd: dir });
      expect(again.exitCode).toBe(0);
      expect(again.stderr).not.toContain("Warning:");
      // The second run's checkpoints: each one that writes nothing must move the state from the one before it.
      const all = await history();
      const empty = all.slice(first.length).filter((c, i) => Object.keys(c.operations).length === 0 && JSON.stringify(c.state) === JSON.stringify(all[first.length + i - 1]!.state));
      expect(empty, template).toEqual([]);
    });
  }
});

function tempCopy(dir: string): string {
  const copy = tempDir();
  fs.cpSync(dir, copy, { recursive: true });
  fs.rmSync(path.join(copy, "files"), { recursive: true, force: true });
  return copy;
}
