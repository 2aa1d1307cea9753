import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { parseType, sqliteClass } from "../../src/normalize/types.js";
import { op, type TableDefinition } from "../../src/index.js";
import { runSync } from "../../src/testing.js";
import { cli, makeProject, query, readState, tempDir } from "../helpers.js";

// Every value lands as sent: stored types match the logical types, widening converts old values as the wider
// type would have stored them, keyless ids survive replays, and 64-bit integers read back exactly.

/** `typeof(column) quote(column)` of every row, by primary key: the exact stored form. */
function cells(db: Database.Database, table: string, column: string, key = "id"): string[] {
  return (db.prepare(`SELECT typeof("${column}") || ' ' || quote("${column}") AS c FROM "${table}" ORDER BY "${key}"`).all() as { c: string }[]).map((r) => r.c);
}

function openDb(file: string): Database.Database {
  return new Database(file, { readonly: true });
}

const warehouseOf = (dir: string): string => path.join(dir, "files", "warehouse.db");

/** Every column's SQL type agrees with its logical type in _connector_columns. */
function expectSqlTypesAgree(db: Database.Database): void {
  const rows = db
    .prepare("SELECT c.table_name AS t, c.column_name AS c, c.type AS type, p.type AS sql FROM _connector_columns c JOIN pragma_table_info(c.table_name) p ON p.name = c.column_name")
    .all() as { t: string; c: string; type: string | null; sql: string }[];
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) expect(r.sql, `${r.t}.${r.c} (${r.type})`).toBe(r.type ? sqliteClass(parseType(r.type).type) : "");
}

describe("types that match what is stored", () => {
  // Every inferred type but JSON, which cannot be a key (test/scenarios/same-rows.ts).
  it("a primary key declared without a type gets the SQL type of its first value, for every inferred type a key may have", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
const KEYS: Record<string, unknown> = {
  long: 42, string: "42", boolean: true, double: 2.5, utc: new Date(Date.UTC(2024, 0, 2)),
  binary: Buffer.from([1, 2]), decimal: 2n ** 70n,
};
export default {
  schema: () => Object.keys(KEYS).map((table) => ({ table, primary_key: ["id"] })),
  update() {
    for (const [table, id] of Object.entries(KEYS)) op.upsert(table, { id, note: "x" });
    op.checkpoint({ done: true });
  },
};
`,
    });
    for (let run = 0; run < 2; run++) {
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
    }
    const db = openDb(warehouseOf(dir));
    try {
      const got = Object.fromEntries(["long", "string", "boolean", "double", "utc", "binary", "decimal"].map((t) => [t, cells(db, t, "id")]));
      expect(got).toEqual({
        long: ["integer 42"],
        string: ["text '42'"],
        boolean: ["integer 1"],
        double: ["real 2.5"],
        utc: ["text '2024-01-02T00:00:00.000Z'"],
        binary: ["blob X'0102'"],
        decimal: ["text '1180591620717411303424'"],
      });
      const types = db.prepare("SELECT table_name AS t, type FROM _connector_columns WHERE column_name = 'id' ORDER BY t").all();
      expect(types).toEqual([
        { t: "binary", type: "BINARY" },
        { t: "boolean", type: "BOOLEAN" },
        { t: "decimal", type: "DECIMAL(38,0)" },
        { t: "double", type: "DOUBLE" },
        { t: "long", type: "LONG" },
        { t: "string", type: "STRING" },
        { t: "utc", type: "UTC_DATETIME" },
      ]);
      expectSqlTypesAgree(db);
    } finally {
      db.close();
    }
  });

  it("a warehouse written by the previous version is repaired when opened: key types, BLOBs in STRING columns, keyless ids", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "users", primary_key: ["id"] }],
  update() {
    op.upsert("users", { id: 42, name: "ada" });
    op.upsert("events", { kind: "click", n: 1, raw: Buffer.from([1, 2]) });
    op.checkpoint({ n: 1 });
  },
};
`,
    });
    // What the previous version wrote: an untyped key column holding REAL 42.0, a BLOB in a column widened to
    // STRING, and a keyless id that hashed the stored values.
    fs.mkdirSync(path.join(dir, "files"));
    const old = new Database(warehouseOf(dir));
    old.exec(`
      CREATE TABLE _connector_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, type TEXT, declared INTEGER NOT NULL, primary_key INTEGER NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (table_name, column_name));
      CREATE TABLE _connector_checkpoints (seq INTEGER PRIMARY KEY, run INTEGER NOT NULL, time TEXT NOT NULL, state TEXT NOT NULL, operations TEXT NOT NULL);
      CREATE TABLE "users" ("id" NOT NULL, "name" TEXT, "_fivetran_synced" TEXT NOT NULL, "_fivetran_deleted" INTEGER NOT NULL DEFAULT 0, PRIMARY KEY ("id"));
      CREATE TABLE "events" ("_fivetran_id" TEXT NOT NULL, "kind" TEXT, "n" INTEGER, "raw" TEXT, "_fivetran_synced" TEXT NOT NULL, "_fivetran_deleted" INTEGER NOT NULL DEFAULT 0, PRIMARY KEY ("_fivetran_id"));
      INSERT INTO _connector_columns VALUES ('users', 'id', 'LONG', 0, 1, 0), ('users', 'name', 'STRING', 0, 0, 1),
        ('events', '_fivetran_id', 'STRING', 0, 1, 0), ('events', 'kind', 'STRING', 0, 0, 1), ('events', 'n', 'LONG', 0, 0, 2), ('events', 'raw', 'STRING', 0, 0, 3);
      INSERT INTO users VALUES (42.0, 'ada', '2025-01-01T00:00:00.000Z', 0);
      INSERT INTO events VALUES ('0123456789abcdef0123456789abcdef', 'click', 1, X'0102', '2025-01-01T00:00:00.000Z', 0);
      CREATE VIEW recent AS SELECT kind FROM events;
    `);
    expect(cells(old, "users", "id")).toEqual(["real 42.0"]);
    old.close();

    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const db = openDb(warehouseOf(dir));
    try {
      expect(cells(db, "users", "id")).toEqual(["integer 42"]);
      expect(cells(db, "events", "raw", "_fivetran_id")).toEqual(["text 'AQI='"]);
      // The replayed event found the repaired row: one row, not two.
      expect(db.prepare("SELECT count(*) AS n FROM events").get()).toEqual({ n: 1 });
      expect(db.prepare("SELECT count(*) AS n FROM users").get()).toEqual({ n: 1 });
      expect(db.prepare("SELECT kind FROM recent").all()).toEqual([{ kind: "click" }]);
      expect(db.pragma("user_version", { simple: true })).toBe(2);
      expectSqlTypesAgree(db);
    } finally {
      db.close();
    }
  });

  // The examples, one column each: LONG → DOUBLE → STRING, BOOLEAN → STRING, BINARY → STRING, an integer
  // beyond 2^53 meeting a DOUBLE, JSON and UTC_DATETIME → STRING, and LONG → DECIMAL(38,0).
  const ROWS = [
    { id: 1, v: 1, b: true, bin: Buffer.from("hi"), big: 9007199254740993n, j: { a: 1 }, dt: new Date(0), n: 1 },
    { id: 2, v: 2.5, b: 5, bin: "text", big: 2.5, j: "s", dt: "x", n: 2n ** 70n },
    { id: 3, v: "x", b: false, bin: null, big: null, j: [1], dt: null, n: 3 },
  ];
  const EXPECTED = {
    v: ["text '1'", "text '2.5'", "text 'x'"],
    b: ["text 'true'", "text '5'", "text 'false'"],
    bin: ["text 'aGk='", "text 'text'", "null NULL"],
    big: ["text '9007199254740993'", "text '2.5'", "null NULL"],
    j: [`text '{"a":1}'`, "text 's'", "text '[1]'"],
    dt: ["text '1970-01-01T00:00:00.000Z'", "text 'x'", "null NULL"],
    n: ["text '1'", "text '1180591620717411303424'", "text '3'"],
  };
  const TYPES = { id: "LONG", v: "STRING", b: "STRING", bin: "STRING", big: "STRING", j: "STRING", dt: "STRING", n: "DECIMAL(38,0)" };

  it("widening converts stored values to what the wider type stores, whatever the order, in one sync or several", async () => {
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const order of orders) {
      for (const split of [false, true]) {
        const file = path.join(tempDir(), "w.db");
        const rows = order.map((i) => ROWS[i]!);
        const batches = split ? rows.map((r) => [r]) : [rows];
        for (const batch of batches) {
          const r = await runSync(
            {
              schema: () => [{ table: "t", primary_key: ["id"] }],
              update() {
                for (const row of batch) op.upsert("t", row);
                op.checkpoint({});
              },
            },
            { warehouse: file },
          );
          r.close();
        }
        const db = openDb(file);
        try {
          const got = Object.fromEntries(Object.keys(EXPECTED).map((c) => [c, cells(db, "t", c)]));
          expect(got, `order ${order.join(",")}${split ? ", one sync per row" : ""}`).toEqual(EXPECTED);
          expect(Object.fromEntries((db.prepare("SELECT column_name AS c, type FROM _connector_columns").all() as { c: string; type: string }[]).map((x) => [x.c, x.type]))).toEqual(TYPES);
          expectSqlTypesAgree(db);
        } finally {
          db.close();
        }
      }
    }
  });

  it("through the CLI, a widened column holds what the wider type would have stored from the start", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update() {
    op.upsert("t", { id: 1, v: 1, b: true, bin: Buffer.from("hi"), big: 9007199254740993n });
    op.checkpoint({ n: 1 });
    op.upsert("t", { id: 2, v: 2.5, b: 5, bin: "text", big: 2.5 });
    op.checkpoint({ n: 2 });
    op.upsert("t", { id: 3, v: "x", b: false });
    op.checkpoint({ n: 3 });
  },
};
`,
    });
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const db = openDb(warehouseOf(dir));
    try {
      for (const c of ["v", "b", "bin", "big"] as const) expect(cells(db, "t", c), c).toEqual(EXPECTED[c]);
    } finally {
      db.close();
    }
  });

  it("a declared type change converts the old rows: DECIMAL(10,2) to DECIMAL(12,4) and BINARY to STRING", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
export default {
  schema: (c: any) => [{ table: "t", primary_key: ["id"], columns: c.wide === "yes" ? { id: "LONG", price: "DECIMAL(12,4)", raw: "STRING" } : { id: "LONG", price: "DECIMAL(10,2)", raw: "BINARY" } }],
  update(c: any) {
    if (c.wide === "yes") op.upsert("t", { id: 2, price: "2.25", raw: "AQI=" });
    else op.upsert("t", { id: 1, price: 1.5, raw: Buffer.from([1, 2]) });
    op.checkpoint({});
  },
};
`,
    });
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
    expect(query(dir, "SELECT price FROM t")).toEqual([{ price: "1.50" }]);
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ wide: "yes" }));
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const db = openDb(warehouseOf(dir));
    try {
      expect(cells(db, "t", "price")).toEqual(["text '1.5000'", "text '2.2500'"]);
      expect(cells(db, "t", "raw")).toEqual(["text 'AQI='", "text 'AQI='"]);
      expect(db.prepare("SELECT type FROM _connector_columns WHERE column_name = 'price'").get()).toEqual({ type: "DECIMAL(12,4)" });
      expectSqlTypesAgree(db);
    } finally {
      db.close();
    }
  });

  it("keyless tables: replaying after a widening never duplicates a row (state rewind, state set, uncheckpointed tail, a lost state write)", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
// Column a widens LONG -> DOUBLE -> STRING along the way, so a replay meets rows written under other types.
const VALUES = [1, 2.5, "x", true, Buffer.from("hi"), 9007199254740993n];
export default {
  update(c: any, state: any) {
    for (let i = state.i ?? 0; i < VALUES.length; i++) {
      op.upsert("log", { n: i, a: VALUES[i] });
      if (c.tail !== "yes" || i < VALUES.length - 2) op.checkpoint({ i: i + 1 });
    }
  },
};
`,
    });
    const rows = () => query(dir, "SELECT count(*) AS n, count(DISTINCT n) AS distinct_n FROM log")[0];
    const expectSix = async (args: string[] = []) => {
      const r = await cli(["debug", ...args], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(rows()).toEqual({ n: 6, distinct_n: 6 });
    };
    await expectSix();
    const history = await cli(["state", "rewind", "1"], { cwd: dir });
    expect(history.exitCode, history.stderr).toBe(0);
    await expectSix();
    expect((await cli(["state", "set", "i", "0"], { cwd: dir })).exitCode).toBe(0);
    await expectSix();
    // A crash between a commit and the state write leaves the state behind the rows.
    fs.writeFileSync(path.join(dir, "files", "state.json"), JSON.stringify({ i: 2 }));
    await expectSix();
    // Operations after the last checkpoint are committed, but the state is not advanced: the next run replays them.
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ tail: "yes" }));
    expect((await cli(["state", "set", "i", "0"], { cwd: dir })).exitCode).toBe(0);
    await expectSix();
    expect(readState(dir)).toEqual({ i: 4 });
    await expectSix();
    expect(query(dir, "SELECT typeof(a) AS t, quote(a) AS q FROM log ORDER BY n")).toEqual([
      { t: "text", q: "'1'" },
      { t: "text", q: "'2.5'" },
      { t: "text", q: "'x'" },
      { t: "text", q: "'true'" },
      { t: "text", q: "'aGk='" },
      { t: "text", q: "'9007199254740993'" },
    ]);
  });

  it("views, indexes and triggers the user added survive a rebuild; a column the user added makes it refuse", async () => {
    const dir = makeProject({
      "connector.ts": `import { op } from "connector-sdk";
const V: Record<string, unknown> = { "1": 1, "2": 2.5, "3": "x" };
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update(c: any, state: any) {
    const step = String(c.step ?? "1");
    op.upsert("t", { id: Number(step), v: V[step] });
    op.checkpoint({ step });
  },
};
`,
    });
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
    const user = new Database(warehouseOf(dir));
    user.exec(`
      CREATE VIEW v_t AS SELECT id, v FROM t;
      CREATE INDEX t_by_v ON t(v);
      CREATE TABLE audit (v);
      CREATE TRIGGER t_audit AFTER INSERT ON t BEGIN INSERT INTO audit VALUES (new.v); END;
    `);
    user.close();
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ step: "2" }));
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const db = openDb(warehouseOf(dir));
    try {
      expect(db.prepare("SELECT typeof(v) AS t, quote(v) AS q FROM v_t ORDER BY id").all()).toEqual([
        { t: "real", q: "1.0" },
        { t: "real", q: "2.5" },
      ]);
      expect(db.prepare("SELECT type, name FROM sqlite_master WHERE tbl_name = 't' AND sql IS NOT NULL ORDER BY name").all()).toEqual([
        { type: "table", name: "t" },
        { type: "trigger", name: "t_audit" },
        { type: "index", name: "t_by_v" },
      ]);
      expect(db.prepare("SELECT v FROM audit").all()).toEqual([{ v: 2.5 }]);
    } finally {
      db.close();
    }

    const again = new Database(warehouseOf(dir));
    again.exec("ALTER TABLE t ADD COLUMN note TEXT");
    again.close();
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ step: "3" }));
    const refused = await cli(["debug"], { cwd: dir });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('table "t" must be rebuilt to change column "v" from DOUBLE to STRING, but it has column(s) that connector-sdk did not create: "note"');
    expect(readState(dir)).toEqual({ step: "2" });
    expect(query(dir, "SELECT id FROM t ORDER BY id")).toEqual([{ id: 1 }, { id: 2 }]);
  });
});

describe("inference and coercion", () => {
  it("infers numbers that are not safe integers as DOUBLE, and bigints as LONG, DECIMAL(38,0) or STRING by size", async () => {
    const file = path.join(tempDir(), "w.db");
    const r = await runSync(
      {
        update() {
          op.upsert("t", { a: 1e20, b: 2 ** 60, c: 1e21, d: 9223372036854775807n, e: 2n ** 63n, f: -(10n ** 37n), g: 10n ** 38n, h: 9007199254740991 });
          op.checkpoint({});
        },
      },
      { warehouse: file },
    );
    r.close();
    const db = openDb(file);
    try {
      const types = Object.fromEntries((db.prepare("SELECT column_name AS c, type FROM _connector_columns WHERE table_name = 't'").all() as { c: string; type: string }[]).map((x) => [x.c, x.type]));
      expect(types).toMatchObject({ a: "DOUBLE", b: "DOUBLE", c: "DOUBLE", d: "LONG", e: "DECIMAL(38,0)", f: "DECIMAL(38,0)", g: "STRING", h: "LONG" });
      const row = Object.fromEntries(["a", "b", "c", "d", "e", "f", "g", "h"].map((c) => [c, cells(db, "t", c, "_fivetran_id")[0]]));
      expect(row).toEqual({
        a: "real 1.0e+20",
        b: "real 1.152921504606847e+18",
        c: "real 1.0e+21",
        d: "integer 9223372036854775807",
        e: "text '9223372036854775808'",
        f: "text '-10000000000000000000000000000000000000'",
        g: "text '100000000000000000000000000000000000000'",
        h: "integer 9007199254740991",
      });
      expectSqlTypesAgree(db);
    } finally {
      db.close();
    }
  });

  it("no value of an undeclared column fails when a wider type can hold it", async () => {
    const file = path.join(tempDir(), "w.db");
    const r = await runSync(
      {
        schema: () => [{ table: "t", primary_key: ["id"] }],
        update() {
          op.upsert("t", { id: 1, x: 1, y: 1, z: 2.5, w: 2n ** 64n, u: Buffer.from([1]), s: true });
          op.upsert("t", { id: 2, x: 1e20, y: 2n ** 64n, z: 2n ** 63n - 1n, w: 2.5, u: { a: 1 }, s: new Date(0) });
          op.upsert("t", { id: 3, x: -Infinity, y: 10n ** 40n, z: 1, w: "w", u: 7, s: [1] });
          op.checkpoint({});
        },
      },
      { warehouse: file },
    );
    r.close();
    const db = openDb(file);
    try {
      const types = Object.fromEntries((db.prepare("SELECT column_name AS c, type FROM _connector_columns").all() as { c: string; type: string }[]).map((x) => [x.c, x.type]));
      expect(types).toEqual({ id: "LONG", x: "DOUBLE", y: "STRING", z: "STRING", w: "STRING", u: "STRING", s: "STRING" });
      expect(cells(db, "t", "z")).toEqual(["text '2.5'", "text '9223372036854775807'", "text '1'"]);
      expect(cells(db, "t", "y")).toEqual(["text '1'", "text '18446744073709551616'", "text '10000000000000000000000000000000000000000'"]);
      expect(cells(db, "t", "x")).toEqual(["real 1.0", "real 1.0e+20", "real -9.0e+999"]);
    } finally {
      db.close();
    }
  });

  it("accepts valid UTC offsets and decimal strings, and rejects +99:99 and 0x10 naming the column", async () => {
    const schema = (): TableDefinition[] => [{ table: "t", primary_key: ["id"], columns: { id: "LONG", at: "UTC_DATETIME", x: "DOUBLE", d: "DECIMAL(10,2)" } }];
    const file = path.join(tempDir(), "w.db");
    const ok = await runSync(
      {
        schema,
        update() {
          op.upsert("t", { id: 1, at: "2024-01-02T03:04:05+05:30", x: " -1.5e3 ", d: "0e-999999999" });
          op.checkpoint({});
        },
      },
      { warehouse: file },
    );
    ok.close();
    const db = openDb(file);
    expect(db.prepare("SELECT at, typeof(x) AS tx, x, d FROM t").get()).toEqual({ at: "2024-01-01T21:34:05.000Z", tx: "real", x: -1500, d: "0.00" });
    db.close();
    const fails = async (data: Record<string, unknown>) => {
      try {
        await runSync({ schema, update: () => op.upsert("t", { id: 2, ...data }) });
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error("expected the sync to fail");
    };
    expect(await fails({ at: "2024-01-02T03:04:05+99:99" })).toContain('table "t", column "at" (UTC_DATETIME): UTC_DATETIME got an impossible UTC offset +99:99');
    expect(await fails({ x: "0x10" })).toContain('table "t", column "x" (DOUBLE): DOUBLE needs a number or a decimal numeric string, got "0x10"');
    expect(await fails({ x: "0b1" })).toContain('got "0b1"');
    expect(await fails({ d: "1e-999999999" })).toContain('table "t", column "d" (DECIMAL(10,2)): DECIMAL(10,2) keeps 2 decimal places; "1e-999999999" would lose digits');
    expect(await fails({ d: "1e999999999" })).toContain("holds at most 8 digits before the point");
  });
});

describe("exact reads of 64-bit integers", () => {
  const BIG = `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update() {
    op.upsert("t", { id: 9007199254740992n, v: 9223372036854775807n, small: 5 });
    op.upsert("t", { id: 9007199254740993n, v: -9223372036854775808n, small: 6 });
    op.checkpoint({ done: true });
  },
};
`;

  it("inspect prints every digit, as text and as JSON numbers", async () => {
    const dir = makeProject({ "connector.ts": BIG });
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
    const text = await cli(["inspect", "t"], { cwd: dir });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain("9007199254740993\t-9223372036854775808\t6\t");
    expect(text.stdout).toContain("9007199254740992\t9223372036854775807\t5\t");
    const json = await cli(["inspect", "t", "--json"], { cwd: dir });
    expect(json.exitCode).toBe(0);
    expect(json.stdout).toContain('"id": 9007199254740993,');
    expect(json.stdout).toContain('"v": -9223372036854775808,');
    expect(json.stdout).toContain('"v": 9223372036854775807,');
    expect(json.stdout).toContain('"small": 6,');
  });

  it("runSync().rows() returns a bigint beyond 2^53 and a number within it", async () => {
    const r = await runSync({
      schema: () => [{ table: "t", primary_key: ["id"] }],
      update() {
        op.upsert("t", { id: 9007199254740993n, v: 9223372036854775807n, small: 5 });
        op.upsert("t", { id: 9007199254740992n, v: 1n, small: 6 });
        op.checkpoint({});
      },
    });
    expect(r.rows("t").map(({ id, v, small }) => ({ id, v, small }))).toEqual([
      { id: 9007199254740992n, v: 1, small: 6 },
      { id: 9007199254740993n, v: 9223372036854775807n, small: 5 },
    ]);
    r.close();
  });

  it("verify tells apart keys beyond 2^53 that a number would merge", async () => {
    const dir = makeProject({ "connector.ts": BIG });
    const r = await cli(["verify", "--json", "--trials", "2", "--seed", "1"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { passed: boolean; checks: { check: string; detail: string }[] };
    expect(report.passed).toBe(true);
    expect(report.checks.find((c) => c.check === "baseline")!.detail).toContain("2 rows in 1 table(s)");
  });

  it("the state commands show, diff and edit integers beyond 2^53 without changing a digit", async () => {
    const dir = makeProject({ "connector.ts": BIG });
    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
    fs.writeFileSync(path.join(dir, "files", "state.json"), '{"cursor": 9007199254740993, "list": [12345678901234567890]}\n');
    const show = await cli(["state", "show"], { cwd: dir });
    expect(show.exitCode).toBe(0);
    expect(show.stdout).toContain('"cursor": 9007199254740993');
    expect(show.stdout).toContain("12345678901234567890");
    expect(show.stderr).toContain("state.cursor, state.list[0] are integers beyond JavaScript's safe integers (±2^53): update() receives them rounded");
    const set = await cli(["state", "set", "page", "2"], { cwd: dir });
    expect(set.exitCode, set.stderr).toBe(0);
    const file = fs.readFileSync(path.join(dir, "files", "state.json"), "utf8");
    expect(file).toContain('"cursor": 9007199254740993');
    expect(file).toContain("12345678901234567890");
    const diff = await cli(["state", "diff"], { cwd: dir });
    expect(diff.exitCode, diff.stderr).toBe(0);
    expect(diff.stdout).toContain("+ cursor: 9007199254740993");
    expect(diff.stdout).toContain("+ list: [12345678901234567890]");
    const refused = await cli(["state", "set", "cursor", "9007199254740995"], { cwd: dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`Store it as a string: connector state set cursor '"9007199254740995"'`);
    expect(fs.readFileSync(path.join(dir, "files", "state.json"), "utf8")).toBe(file);
  });
});
