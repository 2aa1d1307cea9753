import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { op } from "../../src/index.js";
import { runSync } from "../../src/testing.js";
import { tempDir } from "../helpers.js";

// Values the attack on issues 10 and 11 found stored differently from how they were sent:
// each is now stored exactly or refused with a message that names the table, the column and the value.

type Row = Record<string, unknown>;
type Columns = Record<string, string>;

/** The message of a sync of one row that must fail. */
async function failure(columns: Columns | undefined, rows: Row[]): Promise<string> {
  try {
    const r = await runSync({
      schema: () => [{ table: "t", primary_key: ["id"], ...(columns ? { columns } : {}) }],
      update() {
        for (const row of rows) op.upsert("t", row);
        op.checkpoint({});
      },
    });
    r.close();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? String(v) : v))} to fail`);
}

/** `typeof(column) quote(column)` of each row, in key order, after a sync of the rows into a file warehouse. */
async function stored(columns: Columns | undefined, rows: Row[], column: string): Promise<string[]> {
  const file = path.join(tempDir(), "w.db");
  const r = await runSync(
    {
      schema: () => [{ table: "t", primary_key: ["id"], ...(columns ? { columns } : {}) }],
      update() {
        for (const row of rows) op.upsert("t", row);
        op.checkpoint({});
      },
    },
    { warehouse: file },
  );
  r.close();
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT typeof("${column}") || ' ' || quote("${column}") AS c FROM t ORDER BY id`).all() as { c: string }[]).map((x) => x.c);
  } finally {
    db.close();
  }
}

describe("FLOAT and DOUBLE never change a value silently", () => {
  it("a declared FLOAT refuses what 32 bits would change (1e39, 1e-50, 16777217, 0.1), naming the column and the value", async () => {
    const float = { id: "LONG", f: "FLOAT" };
    expect(await failure(float, [{ id: 1, f: 1e39 }])).toContain('table "t", column "f" (FLOAT): FLOAT is a 32-bit float and would store 1e+39 as Infinity; declare the column DOUBLE');
    expect(await failure(float, [{ id: 1, f: 1e-50 }])).toContain('column "f" (FLOAT): FLOAT is a 32-bit float and would store 1e-50 as 0;');
    expect(await failure(float, [{ id: 1, f: 16777217 }])).toContain('column "f" (FLOAT): FLOAT is a 32-bit float and would store 16777217 as 16777216;');
    expect(await failure(float, [{ id: 1, f: "0.1" }])).toContain("would store 0.1 as 0.10000000149011612; declare the column DOUBLE, or pass Math.fround(value)");
    // What 32 bits hold is stored as sent, Infinity included.
    expect(await stored(float, [{ id: 1, f: 10.5 }, { id: 2, f: Math.fround(0.1) }, { id: 3, f: "16777216" }, { id: 4, f: -Infinity }, { id: 5, f: 3.4028234663852886e38 }], "f")).toEqual([
      "real 10.5",
      "real 0.10000000149011612",
      "real 16777216.0",
      "real -9.0e+999",
      "real 3.4028234663852886e+38",
    ]);
  });

  it("a declared DOUBLE refuses decimal strings that overflow, underflow or are integers beyond 2^53, as it refuses such a bigint", async () => {
    const double = { id: "LONG", d: "DOUBLE" };
    expect(await failure(double, [{ id: 1, d: "1e400" }])).toContain('table "t", column "d" (DOUBLE): DOUBLE cannot hold "1e400": it is beyond the largest double');
    expect(await failure(double, [{ id: 1, d: "-1e400" }])).toContain('DOUBLE cannot hold "-1e400": it is beyond the largest double (about ±1.8e308) and would become -Infinity');
    expect(await failure(double, [{ id: 1, d: "1e-400" }])).toContain('table "t", column "d" (DOUBLE): DOUBLE cannot hold "1e-400": it is too close to zero for a double and would become 0');
    expect(await failure(double, [{ id: 1, d: "123456789012345678901234567890" }])).toContain(
      'table "t", column "d" (DOUBLE): DOUBLE cannot hold "123456789012345678901234567890" exactly (it is beyond ±2^53) and would round it; declare the column LONG, DECIMAL(p,0) or STRING',
    );
    expect(await failure(double, [{ id: 1, d: 123456789012345678901234567890n }])).toContain("DOUBLE cannot hold 123456789012345678901234567890 exactly (it is beyond ±2^53)");
    // A decimal string is the nearest double, as Number() reads it: that is what a DOUBLE means. Zero stays zero.
    expect(await stored(double, [{ id: 1, d: "0.1" }, { id: 2, d: "0e-400" }, { id: 3, d: "9007199254740991" }, { id: 4, d: "1.5e300" }, { id: 5, d: "Infinity" }, { id: 6, d: "1e-310" }], "d")).toEqual([
      "real 0.1",
      "real 0.0",
      "real 9007199254740991.0",
      "real 1.5e+300",
      "real 9.0e+999",
      "real 9.9999999999999695e-311",
    ]);
  });
});
