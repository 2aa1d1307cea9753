import { describe, expect, it } from "vitest";
import { cli, fixtureProject, logicalTypes, query, readState } from "../helpers.js";

const progress = (stderr: string, label: string): number => {
  const m = new RegExp(`^${label}\\s*\\|\\s*([\\d,]+)$`, "m").exec(stderr);
  if (!m) throw new Error(`no ${label} line in:\n${stderr}`);
  return Number(m[1]!.replace(/,/g, ""));
};

describe("ports of Fivetran's self-contained examples", () => {
  it("hello: a keyless table with _fivetran_id, one upsert, one schema change, one checkpoint", async () => {
    const dir = fixtureProject("fivetran/hello");
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("Sync SUCCEEDED");
    expect(progress(r.stderr, "Upserts")).toBe(1);
    expect(progress(r.stderr, "SchemaChanges")).toBe(1);
    expect(progress(r.stderr, "Checkpoints")).toBe(1);
    expect(r.stderr).toMatch(/INFO\s+Hello from connector-sdk/);
    const rows = query(dir, "SELECT * FROM hello");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ message: "hello, world!", _fivetran_deleted: 0 });
    expect(rows[0]!._fivetran_id).toMatch(/^[0-9a-f]{32}$/);
    expect(logicalTypes(dir, "hello")).toEqual({ _fivetran_id: "STRING", message: "STRING" });
    const pk = query<{ name: string }>(dir, "SELECT name FROM pragma_table_info('hello') WHERE pk > 0");
    expect(pk.map((c) => c.name)).toEqual(["_fivetran_id"]);
  });

  it("simple_three_step_cursor: three runs add ids 10, 20, 30; the failing fourth run changes nothing", async () => {
    const dir = fixtureProject("fivetran/simple_three_step_cursor");
    for (const n of [1, 2, 3]) {
      const r = await cli(["debug"], { cwd: dir });
      expect(r.exitCode).toBe(0);
      expect(readState(dir)).toEqual({ cursor: n });
      expect(r.stderr).toContain(`Previous state:\n${n === 1 ? "{}" : JSON.stringify({ cursor: n - 1 }, null, 2)}`);
    }
    expect(query(dir, "SELECT id FROM hello_world ORDER BY id").map((r) => r.id)).toEqual([10, 20, 30]);
    const before = query(dir, "SELECT * FROM hello_world ORDER BY id");
    const fourth = await cli(["debug"], { cwd: dir });
    expect(fourth.exitCode).toBe(1);
    expect(fourth.stderr).toContain("Sync FAILED: simulated failure on the fourth run");
    expect(fourth.stderr).toMatch(/connector\.ts:9:\d+/);
    expect(readState(dir)).toEqual({ cursor: 3 });
    expect(query(dir, "SELECT * FROM hello_world ORDER BY id")).toEqual(before);
  });

  it("three_operations: three upserts, a partial update that keeps val2, a soft delete", async () => {
    const dir = fixtureProject("fivetran/three_operations");
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect([progress(r.stderr, "Upserts"), progress(r.stderr, "Updates"), progress(r.stderr, "Deletes")]).toEqual([3, 1, 1]);
    // Fivetran naming splits digits off: val1 becomes val_1.
    const rows = query<{ val_1: string; val_2: number; _fivetran_deleted: number }>(dir, "SELECT * FROM three ORDER BY val_2");
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatchObject({ val_1: "abc", val_2: 2, _fivetran_deleted: 0 });
    expect(rows[0]!._fivetran_deleted).toBe(0);
    expect(rows[2]!._fivetran_deleted).toBe(1);
  });

  it("truncate_operation (3.1, deferred): at success, truncate deletes what was there; later upserts stay live and revive", async () => {
    const dir = fixtureProject("fivetran/truncate_operation");
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(progress(r.stderr, "Truncates")).toBe(1);
    expect(progress(r.stderr, "Checkpoints")).toBe(5);
    // Ids 2 and 3 were marked when the sync succeeded; id 1 was upserted after the truncate.
    expect(r.stderr).toMatch(/^items\s+6\s+1\s+1\s+1\s+2$/m);
    // The checkpoint right after the truncate committed it as pending, not as deleted rows.
    expect(JSON.parse(query<{ operations: string }>(dir, "SELECT operations FROM _connector_checkpoints WHERE seq = 3")[0]!.operations)).toEqual({
      items: { upserts: 0, updates: 0, deletes: 0, truncates: 1 },
    });
    expect(query(dir, "SELECT count(*) AS n FROM _connector_truncates")).toEqual([{ n: 0 }]);
    const rows = query(dir, "SELECT id, name, qty, _fivetran_deleted AS deleted FROM items ORDER BY id");
    expect(rows).toEqual([
      { id: 1, name: "apple v2", qty: 10, deleted: 0 },
      { id: 2, name: "banana", qty: 20, deleted: 1 },
      { id: 3, name: "cherry", qty: 3, deleted: 1 },
      { id: 4, name: "date", qty: 4, deleted: 0 },
      { id: 5, name: "elderberry", qty: 5, deleted: 1 },
    ]);
    expect(readState(dir)).toEqual({ stage: "done" });
  });

  it("specified_types: every declared type is stored exactly", async () => {
    const dir = fixtureProject("fivetran/specified_types");
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(logicalTypes(dir, "specified")).toMatchObject({
      _bool: "BOOLEAN",
      _short: "SHORT",
      _int: "INT",
      _long: "LONG",
      _dec: "DECIMAL(15,2)",
      _float: "FLOAT",
      _double: "DOUBLE",
      _ndate: "NAIVE_DATE",
      _ndatetime: "NAIVE_DATETIME",
      _utc: "UTC_DATETIME",
      _binary: "BINARY",
      _xml: "XML",
      _str: "STRING",
      _json: "JSON",
      _null: "STRING",
    });
    const [row] = query(
      dir,
      "SELECT _bool, _short, _int, CAST(_long AS TEXT) AS _long, _dec, _float, _double, _ndate, _ndatetime, _utc, hex(_binary) AS _binary, _xml, _str, json_extract(_json, '$.nested[1]') AS j, _null, typeof(_dec) AS dec_class, typeof(_binary) AS bin_class FROM specified",
    );
    expect(row).toEqual({
      _bool: 1,
      _short: 15,
      _int: 42,
      _long: "9007199254740993",
      _dec: "105.34",
      _float: 10.5,
      _double: 1e-7,
      _ndate: "2007-12-03",
      _ndatetime: "2007-12-03T10:15:30",
      _utc: "2007-12-03T10:15:30.123Z",
      _binary: "000102FF",
      _xml: "<tag>This is XML</tag>",
      _str: "This is a string",
      j: "two",
      _null: null,
      dec_class: "text",
      bin_class: "blob",
    });
  });

  it("unspecified_types: undeclared columns are inferred; strings are never sniffed; null makes no column", async () => {
    const dir = fixtureProject("fivetran/unspecified_types");
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(logicalTypes(dir, "unspecified")).toEqual({
      _bool: "BOOLEAN",
      _short: "LONG",
      _long: "LONG",
      _dec: "DOUBLE",
      _ndate: "STRING",
      _utc: "STRING",
      _binary: "BINARY",
      _str: "STRING",
      _json: "JSON",
    });
    const cols = query<{ name: string }>(dir, "SELECT name FROM pragma_table_info('unspecified')").map((c) => c.name);
    expect(cols).not.toContain("_null");
  });

  it("tracking_tables: keyless tables a, b, c, and the list of synced tables in state.json", async () => {
    const dir = fixtureProject("fivetran/tracking_tables");
    const r = await cli(["debug"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(readState(dir)).toEqual({ synced_tables: ["A", "B", "C"], to_timestamp: "2024-06-01T00:00:00Z" });
    for (const t of ["a", "b", "c"]) {
      expect(logicalTypes(dir, t)).toEqual({ _fivetran_id: "STRING", name: "STRING", loaded_until: "STRING" });
      expect(query(dir, `SELECT count(*) AS n FROM ${t}`)[0]).toEqual({ n: 1 });
    }
    const again = await cli(["debug"], { cwd: dir });
    expect(again.exitCode).toBe(0);
    expect(query(dir, "SELECT count(*) AS n FROM a")[0]).toEqual({ n: 1 });
  });
});
