import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, fixtureProject, type CliResult } from "../helpers.js";
import { freshSchema, usePostgres } from "../support/use-postgres.js";

// The Fivetran example ports (fivetran-examples.test.ts), the validation scenarios
// (scenarios.test.ts) and the type tests (exact-data.test.ts), on their fixtures, through
// `connector run` into a real PostgreSQL server. What differs from SQLite is PostgreSQL's
// own types: boolean, bigint, numeric(p,s), timestamptz, bytea, jsonb.

const pg = usePostgres("postgres_examples");

/** One project's runs into one fresh schema, under one connector name. */
function target(dir: string) {
  const schema = freshSchema("ex");
  const url = pg().url(pg().database, schema);
  return {
    schema,
    run: (...args: string[]): Promise<CliResult> => cli(["run", "--destination", url, "--name", "example", ...args], { cwd: dir }),
    sql: <T = Record<string, unknown>>(text: string, params: unknown[] = []) => pg().sql<T>(text.replaceAll("$schema", `"${schema}"`), params),
    logicalTypes: async (table: string) =>
      Object.fromEntries(
        (await pg().sql<{ c: string; t: string }>(`SELECT column_name AS c, type AS t FROM "${schema}"._connector_columns WHERE table_name = $1`, [table])).map((r) => [r.c, r.t]),
      ),
    sqlTypes: async (table: string) =>
      Object.fromEntries(
        (await pg().sql<{ c: string; t: string }>("SELECT column_name AS c, format_type(atttypid, atttypmod) AS t FROM information_schema.columns JOIN pg_attribute ON attrelid = format('%I.%I', table_schema, table_name)::regclass AND attname = column_name WHERE table_schema = $1 AND table_name = $2", [schema, table])).map((r) => [r.c, r.t]),
      ),
    state: async () => (await pg().sql<{ state: unknown }>(`SELECT state FROM "${schema}"._connector_state WHERE connector = 'example'`))[0]?.state,
  };
}

const progress = (stderr: string, label: string): number => {
  const m = new RegExp(`^${label}\\s*\\|\\s*([\\d,]+)$`, "m").exec(stderr);
  if (!m) throw new Error(`no ${label} line in:\n${stderr}`);
  return Number(m[1]!.replace(/,/g, ""));
};

describe("ports of Fivetran's self-contained examples, into PostgreSQL", () => {
  it("hello: a keyless table with _fivetran_id as its primary key", async () => {
    const t = target(fixtureProject("fivetran/hello"));
    const r = await t.run();
    expect(r.exitCode, r.stderr).toBe(0);
    expect([progress(r.stderr, "Upserts"), progress(r.stderr, "SchemaChanges"), progress(r.stderr, "Checkpoints")]).toEqual([1, 1, 1]);
    expect(r.stderr).toMatch(/INFO\s+Hello from connector-sdk/);
    const rows = await t.sql("SELECT * FROM $schema.hello");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ message: "hello, world!", _fivetran_deleted: false });
    expect(rows[0]!._fivetran_id).toMatch(/^[0-9a-f]{32}$/);
    expect(await t.logicalTypes("hello")).toEqual({ _fivetran_id: "STRING", message: "STRING" });
    const pk = await t.sql(`SELECT a.attname AS c FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::regclass AND i.indisprimary`, [`"${t.schema}".hello`]);
    expect(pk).toEqual([{ c: "_fivetran_id" }]);
  });

  it("simple_three_step_cursor: three runs add ids 10, 20, 30; the failing fourth run changes nothing", async () => {
    const t = target(fixtureProject("fivetran/simple_three_step_cursor"));
    for (const n of [1, 2, 3]) {
      const r = await t.run();
      expect(r.exitCode, r.stderr).toBe(0);
      expect(await t.state()).toEqual({ cursor: n });
      expect(r.stderr).toContain(`Previous state: ${n === 1 ? "{}" : JSON.stringify({ cursor: n - 1 })}`);
    }
    const before = await t.sql("SELECT * FROM $schema.hello_world ORDER BY id");
    expect(before.map((r) => Number(r.id))).toEqual([10, 20, 30]);
    const fourth = await t.run();
    expect(fourth.exitCode).toBe(1);
    expect(fourth.stderr).toContain("Sync FAILED: simulated failure on the fourth run");
    expect(fourth.stderr).toMatch(/connector\.ts:9:\d+/);
    expect(await t.state()).toEqual({ cursor: 3 });
    expect(await t.sql("SELECT * FROM $schema.hello_world ORDER BY id")).toEqual(before);
  });

  it("three_operations: three upserts, a partial update that keeps val2, a soft delete", async () => {
    const t = target(fixtureProject("fivetran/three_operations"));
    const r = await t.run();
    expect(r.exitCode, r.stderr).toBe(0);
    expect([progress(r.stderr, "Upserts"), progress(r.stderr, "Updates"), progress(r.stderr, "Deletes")]).toEqual([3, 1, 1]);
    const rows = await t.sql<{ val_1: string; val_2: number; _fivetran_deleted: boolean }>("SELECT * FROM $schema.three ORDER BY val_2");
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatchObject({ val_1: "abc", val_2: 2, _fivetran_deleted: false });
    expect(rows[0]!._fivetran_deleted).toBe(false);
    expect(rows[2]!._fivetran_deleted).toBe(true);
  });

  it("truncate_operation: truncate deletes what was there (once the sync succeeds); later upserts stay live and revive", async () => {
    const t = target(fixtureProject("fivetran/truncate_operation"));
    const r = await t.run();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(progress(r.stderr, "Truncates")).toBe(1);
    expect(progress(r.stderr, "Checkpoints")).toBe(5);
    expect(await t.sql("SELECT id::int, name, qty::int, _fivetran_deleted AS deleted FROM $schema.items ORDER BY id")).toEqual([
      { id: 1, name: "apple v2", qty: 10, deleted: false },
      { id: 2, name: "banana", qty: 20, deleted: true },
      { id: 3, name: "cherry", qty: 3, deleted: true },
      { id: 4, name: "date", qty: 4, deleted: false },
      { id: 5, name: "elderberry", qty: 5, deleted: true },
    ]);
    expect(await t.state()).toEqual({ stage: "done" });
  });

  it("specified_types: every declared type has its PostgreSQL type and is stored exactly", async () => {
    const t = target(fixtureProject("fivetran/specified_types"));
    const r = await t.run();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await t.logicalTypes("specified")).toMatchObject({ _bool: "BOOLEAN", _dec: "DECIMAL(15,2)", _xml: "XML", _json: "JSON", _null: "STRING" });
    expect(await t.sqlTypes("specified")).toEqual({
      _bool: "boolean",
      _short: "smallint",
      _int: "integer",
      _long: "bigint",
      _dec: "numeric(15,2)",
      _float: "real",
      _double: "double precision",
      _ndate: "date",
      _ndatetime: "timestamp without time zone",
      _utc: "timestamp with time zone",
      _binary: "bytea",
      _xml: "text",
      _str: "text",
      _json: "jsonb",
      _null: "text",
      _fivetran_synced: "timestamp with time zone",
      _fivetran_deleted: "boolean",
    });
    const [row] = await t.sql(
      `SELECT _bool, _short, _int, _long::text AS _long, _dec::text AS _dec, _float, _double, _ndate::text AS _ndate, _ndatetime::text AS _ndatetime,
        _utc::text AS _utc, encode(_binary, 'hex') AS _binary, _xml, _str, _json->'nested'->>1 AS j, _null FROM $schema.specified`,
    );
    expect(row).toMatchObject({
      _bool: true,
      _short: 15,
      _int: 42,
      _long: "9007199254740993",
      _dec: "105.34",
      _float: 10.5,
      _double: 1e-7,
      _ndate: "2007-12-03",
      _ndatetime: "2007-12-03 10:15:30",
      _binary: "000102ff",
      _xml: "<tag>This is XML</tag>",
      _str: "This is a string",
      j: "two",
      _null: null,
    });
    const [utc] = await t.sql("SELECT _utc = '2007-12-03T10:15:30.123Z'::timestamptz AS same FROM $schema.specified");
    expect(utc).toEqual({ same: true });
    // Read back through the reader, every value is the canonical stored form the other destinations give.
    const inspect = await cli(["inspect", "specified", "--destination", pg().url(pg().database, t.schema), "--name", "example", "--json"], { cwd: process.cwd() });
    expect(inspect.exitCode, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout)[0]).toMatchObject({
      _bool: 1,
      _long: 9007199254740993,
      _dec: "105.34",
      _float: 10.5,
      _ndatetime: "2007-12-03T10:15:30",
      _utc: "2007-12-03T10:15:30.123Z",
      _binary: { base64: "AAEC/w==" },
      _json: '{"a":10,"nested":[1,"two"]}',
      _fivetran_deleted: 0,
    });
  });

  it("unspecified_types: undeclared columns are inferred; strings are never sniffed; null makes no column", async () => {
    const t = target(fixtureProject("fivetran/unspecified_types"));
    const r = await t.run();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await t.logicalTypes("unspecified")).toEqual({
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
    const types = await t.sqlTypes("unspecified");
    expect(types).toMatchObject({ _short: "bigint", _dec: "double precision", _ndate: "text", _binary: "bytea", _json: "jsonb" });
    expect(types).not.toHaveProperty("_null");
  });

  it("tracking_tables: keyless tables a, b, c, and the list of synced tables in the stored state", async () => {
    const t = target(fixtureProject("fivetran/tracking_tables"));
    const r = await t.run();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await t.state()).toEqual({ synced_tables: ["A", "B", "C"], to_timestamp: "2024-06-01T00:00:00Z" });
    for (const table of ["a", "b", "c"]) {
      expect(await t.logicalTypes(table)).toEqual({ _fivetran_id: "STRING", name: "STRING", loaded_until: "STRING" });
      expect(await t.sql(`SELECT count(*)::int AS n FROM $schema.${table}`)).toEqual([{ n: 1 }]);
    }
    const again = await t.run();
    expect(again.exitCode).toBe(0);
    expect(await t.sql("SELECT count(*)::int AS n FROM $schema.a")).toEqual([{ n: 1 }]);
  });
});

// The three validation scenarios of the state-management document (scenarios.test.ts), into PostgreSQL.
const T = (minute: number): string => `2024-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`;

describe("state validation scenarios, into PostgreSQL", () => {
  it("initial sync, incremental sync of only the new and changed records, and a re-sync after reset that reproduces the data", async () => {
    const dir = fixtureProject("source-cursor");
    const t = target(dir);
    const writeSource = (records: object[]) => fs.writeFileSync(path.join(dir, "source.json"), JSON.stringify(records));
    const contents = () => t.sql("SELECT id::int, name, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS updated_at, _fivetran_deleted AS deleted FROM $schema.users ORDER BY id");
    writeSource([
      { id: 1, name: "ada", updated_at: T(1) },
      { id: 2, name: "bob", updated_at: T(2) },
      { id: 3, name: "cy", updated_at: T(2) },
    ]);
    const initial = await t.run();
    expect(initial.exitCode, initial.stderr).toBe(0);
    expect(initial.stderr).toContain("Previous state: {}");
    expect(progress(initial.stderr, "Upserts")).toBe(3);
    expect(await t.state()).toEqual({ cursor: { updated_at: T(2), id: 3 } });
    expect(await contents()).toHaveLength(3);

    writeSource([
      { id: 1, name: "ada", updated_at: T(5), deleted: true },
      { id: 2, name: "bobby", updated_at: T(3) },
      { id: 3, name: "cy", updated_at: T(2) },
      { id: 4, name: "dee", updated_at: T(4) },
    ]);
    const incremental = await t.run();
    expect(incremental.exitCode).toBe(0);
    expect([progress(incremental.stderr, "Upserts"), progress(incremental.stderr, "Deletes")]).toEqual([2, 1]);
    expect(await t.state()).toEqual({ cursor: { updated_at: T(5), id: 1 } });
    const afterIncremental = await contents();
    expect(afterIncremental).toEqual([
      { id: 1, name: "ada", updated_at: T(1), deleted: true },
      { id: 2, name: "bobby", updated_at: T(3), deleted: false },
      { id: 3, name: "cy", updated_at: T(2), deleted: false },
      { id: 4, name: "dee", updated_at: T(4), deleted: false },
    ]);

    const idle = await t.run();
    expect(idle.exitCode).toBe(0);
    expect(progress(idle.stderr, "Upserts")).toBe(0);
    expect(await contents()).toEqual(afterIncremental);

    const reset = await cli(["reset", "--destination", pg().url(pg().database, t.schema), "--name", "example", "--yes"], { cwd: dir });
    expect(reset.exitCode, reset.stderr).toBe(0);
    const resync = await t.run();
    expect(resync.exitCode).toBe(0);
    expect(resync.stderr).toContain("Previous state: {}");
    expect(await contents()).toEqual(afterIncremental.filter((r) => r.id !== 1));
    expect(await t.state()).toEqual({ cursor: { updated_at: T(5), id: 1 } });
  });
});
