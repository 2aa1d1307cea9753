// Limits checked before anything is built or started: a list index in `connector state set`
// that would break the state's 10 MB (it used to build the array first, or abort V8), and a
// --memory-limit above the machine's memory (the run died on V8's own out-of-memory abort).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, readState } from "../helpers.js";

const OK = { "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); } };\n` };
const MB = 1024 * 1024;

describe("connector state set: a list index that would break the state's limit", () => {
  it("is refused with exit 2, naming the path, the list and the limit, before the array is built; the state file is untouched", async () => {
    const state = JSON.stringify({ a: [1, 2], keep: "x" });
    const dir = makeProject({ ...OK, "files/state.json": state });
    const refused: [string, string][] = [
      // 99,999,999,999 aborted V8 with exit 133 (a list cannot be that long); 100,000,000 built 477 MB first.
      ["b[99999999999]", "b[99999999999] would fill the new list b with 99,999,999,999 nulls before the value, as a JSON list has no gaps: at least 465.7 GB serialised, over the state's limit of 10 MB. Use an index within the list; to use 99999999999 as a key, write b[\"99999999999\"]."],
      ["b[100000000]", "b[100000000] would fill the new list b with 100,000,000 nulls before the value, as a JSON list has no gaps: at least 476.8 MB serialised, over the state's limit of 10 MB."],
      ["a[3000000]", "a[3000000] would fill the list a (2 items) with 2,999,998 nulls before the value, as a JSON list has no gaps: at least 14.3 MB serialised, over the state's limit of 10 MB. Use an index within the list."],
      ["b[1].c[2100000]", "b[1].c[2100000] would fill the new list b[1].c with 2,100,001 nulls before the value"],
      ["a[99999999999999999999999]", 'the index [99999999999999999999999] in the path "a[99999999999999999999999]" is beyond any list a state can hold (at most 10 MB); to use 99999999999999999999999 as a key, write ["99999999999999999999999"]'],
    ];
    for (const [at, says] of refused) {
      // A heap of 96 MB: building the 477 MB array first would end the process with V8's out-of-memory abort.
      const r = await cli(["state", "set", at, "1"], { cwd: dir, env: { NODE_OPTIONS: "--max-old-space-size=96" } });
      expect(r.exitCode, `${at}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toMatch(/FATAL|heap out of memory|Trace|at .*\.js:\d+/);
      expect(fs.readFileSync(path.join(dir, "files", "state.json"), "utf8")).toBe(state);
    }
  });

  it("an index within the limit still fills the gap with nulls, and a quoted index is a key", async () => {
    const dir = makeProject({ ...OK, "files/state.json": JSON.stringify({ a: [1, 2] }) });
    expect((await cli(["state", "set", "a[4]", "5"], { cwd: dir })).exitCode).toBe(0);
    expect((await cli(["state", "set", 'b["99999999999"]', "1"], { cwd: dir })).exitCode).toBe(0);
    expect(readState(dir)).toEqual({ a: [1, 2, null, null, 5], b: { "99999999999": 1 } });
  });
});

describe("--memory-limit above the machine's memory", () => {
  const container = process.constrainedMemory?.() ?? 0;
  const max = container > 0 && container < os.totalmem() ? container : os.totalmem();

  it("is refused with exit 2 by debug and run before anything starts, saying why and the largest limit", async () => {
    for (const command of [["debug"], ["run", "--destination", "duckdb:files/w.duckdb"]]) {
      const dir = makeProject(OK);
      for (const size of ["100000000000GB", `${Math.floor(max / MB) + 1}MB`]) {
        const r = await cli([...command, "--memory-limit", size], { cwd: dir });
        expect(r.exitCode, r.stderr).toBe(2);
        expect(r.stderr).toMatch(
          new RegExp(
            `--memory-limit ${size} is more than (the memory of this machine|this container's memory limit) \\([\\d.]+ GB\\), so it could never stop a sync: the system's out-of-memory killer \\(or V8 itself\\) would end the whole process first, with no summary and no clean failure\\. Give at most [\\d.]+ GB; production gives a connector 1 GB\\.`,
          ),
        );
        expect(fs.readdirSync(dir).sort()).toEqual(["connector.ts"]);
      }
    }
  });

  it("takes a limit up to the machine's memory", async () => {
    const dir = makeProject(OK);
    const r = await cli(["debug", "--memory-limit", `${Math.floor(max / MB)}MB`], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readState(dir)).toEqual({ n: 1 });
  });
});
