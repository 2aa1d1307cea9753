import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";

// `connector state set` and `unset` with keys that every JavaScript object inherits: as plain
// property accesses they reached Object.prototype, so `state set __proto__.x 1` polluted the
// CLI's own objects (loading the connector then failed) and reported a change it never wrote.

const CONNECTOR = `import { op } from "connector-sdk";
export default { update(configuration: unknown, state: { i?: number }) { op.checkpoint({ i: (state.i ?? 0) + 1 }); } };
`;

function project(): string {
  return makeProject({ "connector.ts": CONNECTOR, "files/state.json": JSON.stringify({ i: 1 }) });
}

const stateText = (dir: string): string => fs.readFileSync(path.join(dir, "files", "state.json"), "utf8");

describe("state keys named like Object.prototype's", () => {
  it("state set __proto__.polluted writes that key into the state, and nothing else", async () => {
    const dir = project();
    const r = await cli(["state", "set", "__proto__.polluted", "1"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("could not load the connector");
    expect(JSON.parse(stateText(dir))).toEqual(JSON.parse('{"i":1,"__proto__":{"polluted":1}}'));
    expect(stateText(dir)).toContain('"__proto__"');
    const shown = await cli(["state", "show", "--json"], { cwd: dir });
    expect(shown.stdout).toContain('"__proto__"');
  });

  it("state set __proto__ sets it as a value, and a sync reads the state back", async () => {
    const dir = project();
    expect((await cli(["state", "set", "__proto__", "5"], { cwd: dir })).exitCode).toBe(0);
    expect(stateText(dir)).toContain('"__proto__": 5');
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(stateText(dir)).i).toBe(2);
  });

  it("state unset of an inherited name says it is not in the state", async () => {
    const dir = project();
    for (const key of ["toString", "constructor", "__proto__"]) {
      const r = await cli(["state", "unset", key], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toContain(`${key} is not in the state; nothing changed.`);
    }
    expect(JSON.parse(stateText(dir))).toEqual({ i: 1 });
  });
});
