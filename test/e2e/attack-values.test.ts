import { describe, expect, it } from "vitest";
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
