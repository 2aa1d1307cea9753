// Three first-day mistakes that connector used to answer with too little or nothing: a file where the
// project folder goes, a configuration.json with a key written twice, and rows returned from update().
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";

const CONNECTOR = `import { op } from "connector-sdk";\nexport default { update() { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); } };\n`;

describe("newcomer mistakes", () => {
  it("`connector debug proj/connector.ts` says the argument is the project folder and gives the command with the folder", async () => {
    const dir = makeProject({ "proj/connector.ts": CONNECTOR });
    const r = await cli(["debug", "proj/connector.ts", "--destination", "sqlite"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      `Not a directory: ${path.join(dir, "proj", "connector.ts")}. The argument is the project folder, the one that holds connector.ts, not a file in it: connector debug proj --destination sqlite`,
    );
    expect(fs.existsSync(path.join(dir, "proj", "files"))).toBe(false);
  });

  it("a configuration.json with a key written twice is refused, naming the key and both lines, never its values", async () => {
    const dir = makeProject({
      "connector.ts": CONNECTOR,
      "configuration.json": `{\n  "api_key": "first-secret-1111",\n  "region": "eu",\n  "api_key": "second-secret-2222"\n}\n`,
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      `Configuration file ${path.join(dir, "configuration.json")} has the key "api_key" twice (lines 2 and 4). JSON keeps only the last, so the first is silently not used: remove the one you do not mean.`,
    );
    expect(r.stdout + r.stderr).not.toMatch(/first-secret|second-secret/);
    expect(fs.existsSync(path.join(dir, "files", "state.json"))).toBe(false);
    // The same key in two different objects is no duplicate, nor is one inside a string.
    fs.writeFileSync(path.join(dir, "configuration.json"), `{"api_key": "k-1111", "note": "\\"api_key\\": 2"}`);
    const ok = await cli(["debug"], { cwd: dir });
    expect(ok.exitCode, ok.stderr).toBe(0);
  });

  it("rows returned from update() are warned about once, like a generator's yielded values; Promise.all's result is not", async () => {
    const returns = makeProject({
      "connector.ts": `import { op } from "connector-sdk";\nexport default { async update() { op.checkpoint({ n: 1 }); return [{ id: 1 }, { id: 2 }]; } };\n`,
    });
    const r = await cli(["debug"], { cwd: returns });
    expect(r.exitCode, r.stderr).toBe(0);
    const warned = r.stderr.split("\n").filter((l) => l.includes("update() returned"));
    expect(warned).toEqual([
      "Warning: update() returned an array of 2, which is not loaded: the engine ignores what update() returns. Emit a row with op.upsert(table, row), and the state with op.checkpoint(state).",
    ]);

    const all = makeProject({
      "connector.ts": `import { op } from "connector-sdk";\nconst sync = async (t: string) => { op.upsert(t, { id: 1 }); };\nexport default { async update() { await Promise.all(["a", "b"].map(sync)); op.checkpoint({ n: 1 }); return Promise.all([sync("c")]); } };\n`,
    });
    const quiet = await cli(["debug"], { cwd: all });
    expect(quiet.exitCode, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain("update() returned");
  });
});
