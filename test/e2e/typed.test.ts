import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, query, readState } from "../helpers.js";

const connector = (update: string) => `import { Connector, op, log } from "connector-sdk";
import { z } from "zod";
export default new Connector({
  configuration: z.object({
    api_token: z.string().min(20),
    page_size: z.coerce.number().int().positive().default(50),
    mode: z.enum(["full", "incremental"]).default("incremental"),
  }),
  state: z.object({ cursor: z.number().int().default(0), seen: z.array(z.string()).default([]) }),
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update(configuration, state) {
${update}
  },
});
`;

const TOKEN = "tok_0123456789abcdefghij";

describe("typed configuration and state", () => {
  it("coerces string configuration, fills first-run state from defaults", async () => {
    const dir = makeProject({
      "connector.ts": connector(`op.upsert("t", { id: 1, size: configuration.page_size * 2, mode: configuration.mode, cursor: state.cursor }); op.checkpoint({ cursor: state.cursor + 1, seen: state.seen });`),
      "configuration.json": JSON.stringify({ api_token: TOKEN, page_size: "21" }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(query(dir, "SELECT size, mode, cursor FROM t")).toEqual([{ size: 42, mode: "incremental", cursor: 0 }]);
    expect(readState(dir)).toEqual({ cursor: 1, seen: [] });
  });

  it("stops a bad configuration with exit 2 and one line per problem, never echoing the secret", async () => {
    const dir = makeProject({
      "connector.ts": connector(`op.checkpoint({ cursor: 1, seen: [] });`),
      "configuration.json": JSON.stringify({ api_token: "short-secret-value", page_size: "ten", mode: "sometimes" }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("Invalid configuration");
    expect(r.stderr).toMatch(/^\s+api_token: .+$/m);
    expect(r.stderr).toMatch(/^\s+page_size: .+$/m);
    expect(r.stderr).toMatch(/^\s+mode: .+$/m);
    expect(r.stderr).not.toContain("short-secret-value");
    expect(fs.existsSync(path.join(dir, "files", "warehouse.db"))).toBe(false);
  });

  it("a saved state that fails the schema is exit 2, with the problems and the reset command", async () => {
    const dir = makeProject({
      "connector.ts": connector(`op.checkpoint({ cursor: 1, seen: [] });`),
      "configuration.json": JSON.stringify({ api_token: TOKEN }),
      "files/state.json": JSON.stringify({ cursor: "yesterday" }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("does not match the connector's state schema");
    expect(r.stderr).toMatch(/^\s+cursor: .+$/m);
    expect(r.stderr).toContain("connector reset");
    expect(readState(dir)).toEqual({ cursor: "yesterday" });
  });

  it("warns loudly about a saved key the schema does not know, since a rename would restart the sync", async () => {
    const dir = makeProject({
      "connector.ts": connector(`op.checkpoint({ cursor: state.cursor + 1, seen: [] });`),
      "configuration.json": JSON.stringify({ api_token: TOKEN }),
      "files/state.json": JSON.stringify({ last_cursor: 41 }),
    });
    const r = await cli(["debug", "--json"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/Warning: saved state key "last_cursor" is not in the connector's state schema.*renamed/);
    expect(JSON.parse(r.stdout).warnings[0]).toContain('"last_cursor"');
    expect(readState(dir)).toEqual({ cursor: 1, seen: [] });
  });

  it("a checkpoint that violates the state schema fails the sync and commits nothing", async () => {
    const dir = makeProject({
      "connector.ts": connector(`op.upsert("t", { id: 1 }); op.checkpoint({ cursor: 1, seen: [] }); op.upsert("t", { id: 2 }); op.checkpoint({ cursor: "two", seen: [] } as never);`),
      "configuration.json": JSON.stringify({ api_token: TOKEN }),
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Sync FAILED: op\.checkpoint: the state does not match the connector's state schema:\n\s+cursor: /);
    expect(readState(dir)).toEqual({ cursor: 1, seen: [] });
    expect(query(dir, "SELECT id FROM t")).toEqual([{ id: 1 }]);
  });
});
