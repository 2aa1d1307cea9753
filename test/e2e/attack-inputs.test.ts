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

describe("a password given as a flag no command has", () => {
  it.each(["--password=S3cret-Pw9", "--api-key=S3cret-Pw9"])("%s is refused without showing the value (commander quoted it)", async (flag) => {
    const dir = makeProject({ "connector.ts": CONNECTOR });
    const r = await cli(["run", "--destination", "postgres://u@127.0.0.1:1/db", flag], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("unknown option");
    expect(r.stdout + r.stderr).not.toContain("S3cret-Pw9");
  });
});
