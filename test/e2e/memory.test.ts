import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { execa } from "execa";
import { expect, it } from "vitest";
import { BIN, cli, makeProject, query, readState } from "../helpers.js";

// The real goal (20,000 checkpoints of a 50 KB state in flat memory) is W7 in `npm run bench`;
// this keeps the sync worker from holding on to checkpoint states again.
it("connector debug: the sync worker holds no checkpoint's state once it is committed", async () => {
  const dir = makeProject({
    "connector.ts": `import { op, log } from "connector-sdk";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");
export default {
  update() {
    const pad = "x".repeat(300_000);
    op.checkpoint({ i: 0, pad });
    gc();
    const before = process.memoryUsage().heapUsed;
    // 150 states of 300 KB each: 45 MB if the worker kept them.
    for (let i = 1; i <= 150; i++) op.checkpoint({ i, pad: pad.slice(i) + i });
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    log.info("heap grew by " + Math.round(grown / 1e6) + " MB");
    op.checkpoint({ i: 151, grownMB: Math.round(grown / 1e6) });
  },
};
`,
  });
  const r = await cli(["debug"], { cwd: dir });
  expect(r.exitCode, r.stderr).toBe(0);
  const state = readState(dir) as { i: number; grownMB: number };
  expect(state.i).toBe(151);
  expect(state.grownMB).toBeLessThan(15);
  // The history is still all there, in the warehouse.
  expect(query(dir, "SELECT count(*) AS n, max(seq) AS last FROM _connector_checkpoints")).toEqual([{ n: 152, last: 152 }]);
  expect(r.stderr).toMatch(/Checkpoints\s+\| 152\n/);
});

// `connector state` reads one checkpoint's state at a time: under a 32 MB heap, 1,000 checkpoints of a 50 KB state
// (50 MB of states) would not fit if history, diff or rewind loaded them all, as they did.
it("state history, history --json, diff and rewind read one state at a time: 50 MB of states under a 32 MB heap", async () => {
  const dir = makeProject({ "connector.ts": `import { op } from "connector-sdk";\nexport default { update() { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); } };\n` });
  expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
  const db = new Database(path.join(dir, "files", "warehouse.db"));
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
    INSERT INTO _connector_checkpoints (seq, run, time, state, operations)
    SELECT i, 1, '2024-01-01T00:00:00.000Z', json_object('n', i, 'pad', hex(zeroblob(25000))), '{"t":{"upserts":1,"updates":0,"deletes":0,"truncates":0}}' FROM n`);
  db.close();
  const small = async (args: string) => {
    const r = await execa("bash", ["-c", `node --max-old-space-size=32 ${BIN} state ${args} > out.txt`], { cwd: dir, env: { NO_COLOR: "1" }, reject: false });
    expect(r.exitCode, `state ${args}: ${r.stderr.slice(0, 500)}`).toBe(0);
    return { out: fs.readFileSync(path.join(dir, "out.txt"), "utf8"), err: String(r.stderr) };
  };
  const history = await small("history");
  expect(history.out.trim().split("\n")).toHaveLength(1002);
  expect(history.out).toMatch(/\n1000 +1 +2024-01-01T00:00:00\.000Z +48\.8 KB +t: 1 upsert\n$/);
  const json = await small("history --json");
  const entries = JSON.parse(json.out) as { seq: number; stateBytes: number; state: { n: number; pad: string } }[];
  expect(entries).toHaveLength(1000);
  expect(entries[999]).toMatchObject({ seq: 1000, stateBytes: 50_019, state: { n: 1000 } });
  expect(entries[999]!.state.pad).toHaveLength(50_000);
  const diff = await small("diff 2 1000");
  expect(diff.out).toBe("~ n: 2 → 1000\n");
  const rewind = await small("rewind 500");
  expect(rewind.err).toContain("The next `connector debug` replays what checkpoints 501 to 1000 committed (500 operations): t: 500 upserts.");
  expect((readState(dir) as { n: number }).n).toBe(500);
});
