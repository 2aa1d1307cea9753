import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { duck } from "../destinations.js";
import { cli, makeProject } from "../helpers.js";

// Values an adversarial tester found stored differently by one destination, written through
// `connector debug` and read back with each destination's own SQL.

const NEGATIVE_ZERO = `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"], columns: { id: "INT", d: "DOUBLE", f: "FLOAT" } }],
  update() {
    op.upsert("t", { id: 1, d: -0, f: -0, u: 2.5 });
    op.upsert("t", { id: 2, d: "-0", f: "-0.0e3", u: -0.0 });
    op.checkpoint({});
  },
};
`;

describe("-0 in a DOUBLE or FLOAT column", () => {
  it("is stored as 0 by DuckDB too, as SQLite and PostgreSQL store it (DuckDB kept -0 alone)", async () => {
    const dir = makeProject({ "connector.ts": NEGATIVE_ZERO });
    const r = await cli(["debug", "--destination", "duckdb"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = await duck<Record<string, string>>(dir, `SELECT id, d::VARCHAR AS d, f::VARCHAR AS f, u::VARCHAR AS u FROM tester.t ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, d: "0.0", f: "0.0", u: "2.5" },
      { id: 2, d: "0.0", f: "0.0", u: "0.0" },
    ]);
  });
});

const INFINITE = `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"], columns: { id: "INT", d: "DOUBLE", f: "FLOAT" } }],
  update() {
    op.upsert("t", { id: 1, d: Infinity, f: -Infinity });
    op.upsert("t", { id: 2, d: null, f: 1.5 });
    op.checkpoint({});
  },
};
`;

describe("±Infinity in connector inspect --json", () => {
  it.each(["sqlite", "duckdb"])("is the text Infinity, not null, which is a missing value (%s)", async (destination) => {
    const dir = makeProject({ "connector.ts": INFINITE });
    expect((await cli(["debug", "--destination", destination], { cwd: dir })).exitCode).toBe(0);
    const r = await cli(["inspect", "t", "--json"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as Record<string, unknown>[]).map(({ id, d, f }) => ({ id, d, f }));
    expect(rows.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1, d: "Infinity", f: "-Infinity" },
      { id: 2, d: null, f: 1.5 },
    ]);
  });
});

const CATALOG = JSON.stringify({
  streams: [{ stream: { name: "t", json_schema: {}, supported_sync_modes: ["full_refresh"] }, sync_mode: "full_refresh", destination_sync_mode: "overwrite" }],
});

describe("±Infinity in an Airbyte or Singer RECORD", () => {
  it("is the text Infinity, as inspect --json shows it, not null, which is a missing value", async () => {
    const dir = makeProject({ "connector.ts": INFINITE, "config.json": "{}", "catalog.json": CATALOG });
    const airbyte = await cli(["airbyte", "read", "--config", "config.json", "--catalog", "catalog.json"], { cwd: dir });
    const singer = await cli(["singer", "--config", "config.json"], { cwd: dir });
    for (const r of [airbyte, singer]) {
      expect(r.exitCode, r.stderr).toBe(0);
      const records = r.stdout
        .split("\n")
        .filter((l) => l.includes('"RECORD"'))
        .map((l) => JSON.parse(l) as { record: { data?: Record<string, unknown> } & Record<string, unknown> })
        .map((m) => m.record.data ?? m.record)
        .map(({ id, d, f }) => ({ id, d, f }));
      expect(records).toEqual([
        { id: 1, d: "Infinity", f: "-Infinity" },
        { id: 2, d: undefined, f: 1.5 },
      ]);
    }
  });
});

describe("±Infinity in a recorded outcome.json", () => {
  it("is the text Infinity, so a change to null is a regression that connector test reports", async () => {
    const dir = makeProject({ "connector.ts": INFINITE });
    const record = await cli(["debug", "--record"], { cwd: dir });
    expect(record.exitCode, record.stderr).toBe(0);
    const outcome = fs.readFileSync(path.join(dir, "fixtures", "default", "outcome.json"), "utf8");
    expect(outcome).toContain('{"id":1,"d":"Infinity","f":"-Infinity","_fivetran_deleted":0}');
    fs.writeFileSync(path.join(dir, "connector.ts"), INFINITE.replace("d: Infinity", "d: null"));
    const test = await cli(["test"], { cwd: dir });
    expect(test.exitCode, test.stderr).toBe(1);
    expect(test.stderr).toContain("TEST FAILED");
  });
});
