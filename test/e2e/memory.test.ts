import { expect, it } from "vitest";
import { cli, makeProject, query, readState } from "../helpers.js";

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
