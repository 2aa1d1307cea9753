import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { op, type ColumnType, type TableDefinition } from "../../src/index.js";
import { runSync } from "../../src/testing.js";
import { cli, makeProject, query, tempDir } from "../helpers.js";

// Values the attack on issues 10 and 11 found stored differently from how they were sent:
// each is now stored exactly or refused with a message that names the table, the column and the value.

type Row = Record<string, unknown>;
/** Declared types as a test writes them, valid or not: the engine, not the compiler, is what they test. */
type Columns = Record<string, string>;
const typed = (columns: Columns) => columns as Record<string, ColumnType>;

/** The message of a sync of one row that must fail. */
async function failure(columns: Columns | undefined, rows: Row[]): Promise<string> {
  try {
    const r = await runSync({
      schema: () => [{ table: "t", primary_key: ["id"], ...(columns ? { columns: typed(columns) } : {}) }],
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
      schema: () => [{ table: "t", primary_key: ["id"], ...(columns ? { columns: typed(columns) } : {}) }],
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
  it("a declared FLOAT stores the 32-bit value production holds, with a warning naming the column when that differs from what was sent", async () => {
    const float: Columns = { id: "LONG", f: "FLOAT" };
    const rounding = async (rows: Row[]) => {
      const r = await runSync({
        schema: () => [{ table: "t", primary_key: ["id"], columns: typed(float) }],
        update() {
          for (const row of rows) op.upsert("t", row);
          op.checkpoint({});
        },
      });
      const out = { values: r.rows("t").map((row) => row.f), warnings: r.warnings };
      r.close();
      return out;
    };
    const rounded = await rounding([{ id: 1, f: 0.1 }, { id: 2, f: "16777217" }, { id: 3, f: 0.2 }]);
    expect(rounded.values).toEqual([Math.fround(0.1), 16777216, Math.fround(0.2)]);
    // One warning per column, with the first value that rounded.
    expect(rounded.warnings.filter((w) => w.includes("FLOAT"))).toEqual([
      'table "t", column "f" (FLOAT): FLOAT is a 32-bit float, as in Fivetran\'s protocol and its destinations, so 0.1 is stored as 0.10000000149011612, and other values of this column may round too. Declare the column DOUBLE to keep every digit.',
    ]);
    expect((await rounding([{ id: 1, f: 10.5 }, { id: 2, f: Math.fround(0.1) }])).warnings).toEqual([]);
    // What 32 bits turn into Infinity or 0 has no 32-bit form: refused, naming the column and the value.
    expect(await failure(float, [{ id: 1, f: 1e39 }])).toContain('table "t", column "f" (FLOAT): FLOAT is a 32-bit float and would store 1e+39 as Infinity; declare the column DOUBLE');
    expect(await failure(float, [{ id: 1, f: 1e-50 }])).toContain('column "f" (FLOAT): FLOAT is a 32-bit float and would store 1e-50 as 0;');
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

describe("dates hold years 0001 to 9999, as Dates and as strings", () => {
  const dates = { id: "LONG", d: "NAIVE_DATE", n: "NAIVE_DATETIME", u: "UTC_DATETIME" };

  it("a Date outside years 0001–9999 is refused by every date type, naming the column, the year and the text", async () => {
    const far = new Date(Date.UTC(12000, 0, 1));
    const before = new Date(-1e15);
    expect(await failure(dates, [{ id: 1, d: far }])).toContain(
      'table "t", column "d" (NAIVE_DATE): NAIVE_DATE holds years 0001 to 9999, got a Date in year 12000 (+012000-01-01T00:00:00.000Z); send null, or declare the column STRING',
    );
    expect(await failure(dates, [{ id: 1, d: before }])).toContain('column "d" (NAIVE_DATE): NAIVE_DATE holds years 0001 to 9999, got a Date in year -29719');
    expect(await failure(dates, [{ id: 1, n: far }])).toContain('column "n" (NAIVE_DATETIME): NAIVE_DATETIME holds years 0001 to 9999, got a Date in year 12000');
    expect(await failure(dates, [{ id: 1, u: far }])).toContain('column "u" (UTC_DATETIME): UTC_DATETIME holds years 0001 to 9999, got a Date in year 12000');
    expect(await failure(dates, [{ id: 1, u: new Date("0000-12-31T23:59:59.999Z") }])).toContain("got a Date in year 0 (0000-12-31T23:59:59.999Z)");
    // The extended text the Date would have given is refused as a string too, as before.
    expect(await failure(dates, [{ id: 1, u: "+012000-01-01T00:00:00.000Z" }])).toContain('UTC_DATETIME needs an ISO-8601 string with a zone or a Date, got "+012000-01-01T00:00:00.000Z"');
    expect(await failure(dates, [{ id: 1, u: "0000-06-01T00:00:00.000Z" }])).toContain("UTC_DATETIME needs an ISO-8601 string");
    expect(await failure(dates, [{ id: 1, u: "9999-12-31T23:30:00-01:00" }])).toContain('UTC_DATETIME holds years 0001 to 9999 in UTC, and "9999-12-31T23:30:00-01:00" is +010000-01-01T00:30:00.000Z in UTC');
  });

  it("the same range is accepted as Dates and as strings, years 0001 to 0099 included", async () => {
    const first = new Date("0001-01-01T00:00:00.000Z");
    const last = new Date("9999-12-31T23:59:59.999Z");
    const rows = [
      { id: 1, d: first, n: first, u: first },
      { id: 2, d: "0001-01-01", n: "0001-01-01T00:00:00", u: "0001-01-01T00:00:00Z" },
      { id: 3, d: "0050-06-15", n: "0050-06-15 12:00:00", u: "0050-06-15T12:00:00+01:00" },
      { id: 4, d: last, n: last, u: last },
      { id: 5, d: "9999-12-31", n: "9999-12-31T23:59:59.999", u: "9999-12-31T23:59:59.999Z" },
    ];
    expect(await stored(dates, rows, "d")).toEqual(["text '0001-01-01'", "text '0001-01-01'", "text '0050-06-15'", "text '9999-12-31'", "text '9999-12-31'"]);
    expect(await stored(dates, rows, "n")).toEqual([
      "text '0001-01-01T00:00:00'",
      "text '0001-01-01T00:00:00'",
      "text '0050-06-15T12:00:00'",
      "text '9999-12-31T23:59:59.999'",
      "text '9999-12-31T23:59:59.999'",
    ]);
    expect(await stored(dates, rows, "u")).toEqual([
      "text '0001-01-01T00:00:00.000Z'",
      "text '0001-01-01T00:00:00.000Z'",
      "text '0050-06-15T11:00:00.000Z'",
      "text '9999-12-31T23:59:59.999Z'",
      "text '9999-12-31T23:59:59.999Z'",
    ]);
  });

  it("an undeclared column stores a Date outside the range as its ISO text, in a STRING column, in any order", async () => {
    const far = new Date(Date.UTC(12000, 0, 1));
    const near = new Date(Date.UTC(2020, 0, 1));
    const one = await stored(undefined, [{ id: 1, v: far }, { id: 2, v: near }], "v");
    const other = await stored(undefined, [{ id: 2, v: near }, { id: 1, v: far }], "v");
    expect(one).toEqual(["text '+012000-01-01T00:00:00.000Z'", "text '2020-01-01T00:00:00.000Z'"]);
    expect(other).toEqual(one);
  });
});

describe("one text per date-time instant", () => {
  it("UTC_DATETIME trims the fraction's trailing zeros to 3, 6 or 9 digits, so one instant has one text", async () => {
    const utc = { id: "LONG", u: "UTC_DATETIME" };
    const rows = ["2024-01-01T00:00:00.123000Z", "2024-01-01T00:00:00.123Z", "2024-01-01T00:00:00.1234Z", "2024-01-01T00:00:00.1Z", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000000000Z", "2024-01-01T01:00:00.123456780+01:00"];
    expect(await stored(utc, rows.map((u, i) => ({ id: i + 1, u })), "u")).toEqual([
      "text '2024-01-01T00:00:00.123Z'",
      "text '2024-01-01T00:00:00.123Z'",
      "text '2024-01-01T00:00:00.123400Z'",
      "text '2024-01-01T00:00:00.100Z'",
      "text '2024-01-01T00:00:00.000Z'",
      "text '2024-01-01T00:00:00.000Z'",
      "text '2024-01-01T00:00:00.123456780Z'",
    ]);
  });

  it("NAIVE_DATETIME gives a Date and its string the same text: no fraction when it is zero, else 3, 6 or 9 digits", async () => {
    const naive = { id: "LONG", n: "NAIVE_DATETIME" };
    const rows = [new Date("2024-01-01T10:00:00Z"), "2024-01-01T10:00:00", "2024-01-01T10:00:00.000", new Date("2024-01-01T10:00:00.120Z"), "2024-01-01 10:00:00.12", "2024-01-01T10:00:00.120000"];
    expect(await stored(naive, rows.map((n, i) => ({ id: i + 1, n })), "n")).toEqual([
      "text '2024-01-01T10:00:00'",
      "text '2024-01-01T10:00:00'",
      "text '2024-01-01T10:00:00'",
      "text '2024-01-01T10:00:00.120'",
      "text '2024-01-01T10:00:00.120'",
      "text '2024-01-01T10:00:00.120'",
    ]);
  });

  it("a warehouse written before this rule gets canonical date-time text when it is opened, and a re-sent key finds its row", async () => {
    const file = path.join(tempDir(), "w.db");
    const schema = (): TableDefinition[] => [{ table: "t", primary_key: ["at"], columns: { at: "UTC_DATETIME", n: "NAIVE_DATETIME", v: "LONG" } }];
    const first = await runSync({ schema, update: () => op.upsert("t", { at: "2024-01-01T00:00:00.5Z", n: "2024-01-01T10:00:00", v: 1 }) }, { warehouse: file });
    first.close();
    // What the previous version stored for the same values sent in other forms.
    const old = new Database(file);
    old.exec(`UPDATE t SET at = '2024-01-01T00:00:00.500000Z', n = '2024-01-01T10:00:00.000'; PRAGMA user_version = 1;`);
    old.close();
    const second = await runSync({ schema, update: () => op.upsert("t", { at: "2024-01-01T00:00:00.500Z", n: new Date("2024-01-01T10:00:00Z"), v: 2 }) }, { warehouse: file });
    second.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare("SELECT at, n, v FROM t").all()).toEqual([{ at: "2024-01-01T00:00:00.500Z", n: "2024-01-01T10:00:00", v: 2 }]);
      expect(db.pragma("user_version", { simple: true })).toBe(2);
    } finally {
      db.close();
    }
  });
});

describe("NaN in an undeclared column", () => {
  /** The rows of a sync of `values` into column v, in that order, with the warnings it gave. */
  async function run(values: unknown[]): Promise<{ cells: string[]; type: string; warnings: string[] }> {
    const file = path.join(tempDir(), "w.db");
    const r = await runSync(
      {
        schema: () => [{ table: "t", primary_key: ["id"] }],
        update() {
          values.forEach((v, i) => op.upsert("t", { id: [1, 2, 3][i], v }));
          op.checkpoint({});
        },
      },
      { warehouse: file },
    );
    r.close();
    const db = new Database(file, { readonly: true });
    try {
      const cells = (db.prepare(`SELECT typeof(v) || ' ' || quote(v) AS c FROM t ORDER BY v`).all() as { c: string }[]).map((x) => x.c);
      const { type } = db.prepare("SELECT type FROM _connector_columns WHERE table_name = 't' AND column_name = 'v'").get() as { type: string };
      return { cells, type, warnings: r.warnings };
    } finally {
      db.close();
    }
  }

  it("gives the same table in every order: the text 'NaN' in a STRING column, with a warning, never a failure", async () => {
    for (const values of [["x", NaN], [1.5, NaN], [1, NaN], [NaN]]) {
      const forward = await run(values);
      const backward = await run([...values].reverse());
      expect(backward.cells, String(values)).toEqual(forward.cells);
      expect(forward.type).toBe("STRING");
      expect(forward.cells).toContain("text 'NaN'");
      for (const w of [forward.warnings, backward.warnings]) {
        expect(w).toContain('table "t", column "v" received NaN, which SQLite cannot store as a number; it is stored as the text "NaN", so the column is STRING. Send null for a missing number.');
      }
    }
    // A declared DOUBLE still refuses it.
    expect(await failure({ id: "LONG", v: "DOUBLE" }, [{ id: 1, v: NaN }])).toContain('table "t", column "v" (DOUBLE): DOUBLE got NaN, which SQLite cannot store; send null instead');
  });
});

describe("JSON nested deeper than SQLite's JSON functions read", () => {
  const connector = (depth: number, schema = "") => `import { op } from "connector-sdk";
const nest = (n) => { let v = 1; for (let i = 0; i < n; i++) v = { a: v }; return v; };
export default {
  schema: () => [{ table: "t", primary_key: ["id"]${schema} }],
  update() {
    op.upsert("t", { id: 1, doc: nest(1000) });
    op.checkpoint({ n: 1 });
    op.upsert("t", { id: 2, doc: nest(${depth}) });
    op.checkpoint({ n: 2 });
  },
};
`;

  it("1,000 levels are stored and readable by json_extract; 1,001 and 100,000 are refused naming the table and column, never a stack overflow", async () => {
    for (const [depth, schema] of [[1001, ""], [5000, ', columns: { doc: "JSON" }'], [100_000, ""]] as const) {
      const dir = makeProject({ "connector.mjs": connector(depth, schema) });
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr).toContain(
        `Sync FAILED: table "t", column "doc" (JSON): the value is nested more than 1,000 levels deep (at value.a.a.a.a.a.a.a.a…), which SQLite's JSON functions cannot read; store a flatter shape, or the deep part as a string`,
      );
      expect(r.stderr).not.toContain("Maximum call stack size exceeded");
      expect(query(dir, "SELECT id, json_valid(doc) AS valid, json_type(doc, '$.a.a.a') AS leaf FROM t")).toEqual([{ id: 1, valid: 1, leaf: "object" }]);
    }
  });
});

describe("a primary key keeps the type of its first value, in either order", () => {
  it('1 after "1" is refused as "1" after 1 is, naming the key and both types', async () => {
    expect(await failure(undefined, [{ id: "1" }, { id: 1 }])).toContain('table "t", primary key column "id": 1 is LONG, but the key is STRING; a primary key cannot change type');
    expect(await failure(undefined, [{ id: 1 }, { id: "1" }])).toContain('table "t", primary key column "id": "1" is STRING, but the key is LONG; a primary key cannot change type');
    expect(await failure(undefined, [{ id: "a" }, { id: true }])).toContain("true is BOOLEAN, but the key is STRING");
    // Strings after strings, and a STRING column that is no key, still take anything.
    expect(await stored(undefined, [{ id: "1", v: "x" }, { id: "2", v: 2 }], "v")).toEqual(["text 'x'", "text '2'"]);
  });
});

describe("bytes the connector reuses after op.upsert", () => {
  it("each row keeps the bytes it was sent, though the Buffer and the typed array are refilled for the next row", async () => {
    const file = path.join(tempDir(), "w.db");
    const r = await runSync(
      {
        schema: () => [{ table: "t", primary_key: ["id"], columns: { id: "LONG", b: "BINARY", u: "BINARY" } }],
        update() {
          const b = Buffer.alloc(2);
          const u = new Uint8Array(1);
          // 70 rows: two whole batches of held rows and a part of one, then a checkpoint.
          for (let id = 0; id < 70; id++) {
            b.writeUInt16BE(id);
            u[0] = id;
            op.upsert("t", { id, b, u });
          }
          b.fill(0xff);
          u.fill(0xff);
          op.checkpoint({});
        },
      },
      { warehouse: file },
    );
    r.close();
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare("SELECT id, hex(b) AS b, hex(u) AS u FROM t ORDER BY id").all() as { id: number; b: string; u: string }[];
      expect(rows).toHaveLength(70);
      for (const row of rows) expect(row).toEqual({ id: row.id, b: row.id.toString(16).toUpperCase().padStart(4, "0"), u: row.id.toString(16).toUpperCase().padStart(2, "0") });
    } finally {
      db.close();
    }
  });
});
