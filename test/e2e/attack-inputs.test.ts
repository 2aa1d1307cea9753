import { describe, expect, it } from "vitest";
import { cli, makeProject } from "../helpers.js";

// Input a newcomer types by mistake, which must be refused as clearly as its neighbours are.

const CONNECTOR = `import { op } from "connector-sdk";
export default { update(configuration: Record<string, string>) { op.upsert("t", { id: 1, keys: Object.keys(configuration).length }); op.checkpoint({}); } };
`;

describe("a configuration.json that is not an object", () => {
  it("null is refused with exit 2, as [] and 42 are, before anything is written (it ran as {})", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR, "configuration.json": "null" });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain("configuration.json must hold a JSON object, found null");
    expect(r.stderr).not.toContain("Sync SUCCEEDED");
  });
});
