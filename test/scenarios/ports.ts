/**
 * The ports of Fivetran's self-contained examples (test/fixtures/fivetran), the validation
 * scenarios of the state-management document (test/fixtures/source-cursor), and the bundled
 * examples (examples/), as scenarios for every destination.
 */
import { expect } from "vitest";
import { cli } from "../helpers.js";
import type { Scenario } from "./scenario.js";

const T = (minute: number): string => `2024-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`;
const source = (records: object[]) => ({ "source.json": JSON.stringify(records) });
const user = (id: number, name: string, minute: number, deleted: 0 | 1 = 0) => ({ id, name, updated_at: T(minute), _fivetran_deleted: deleted });
const AFTER_INCREMENTAL = [user(1, "ada", 1, 1), user(2, "bobby", 3), user(3, "cy", 2), user(4, "dee", 4)];

const SPECIFIED_TYPES = {
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
};

export const PORTS: Scenario[] = [
  {
    name: "hello: a keyless table with _fivetran_id as its primary key, one upsert, one schema change, one checkpoint",
    project: { fixture: "fivetran/hello" },
    steps: [
      {
        stderr: ["Sync SUCCEEDED"],
        cliStderr: [/INFO\s+Hello from connector-sdk/],
        counts: { Upserts: 1, SchemaChanges: 1, Checkpoints: 1 },
        rows: { hello: [{ _fivetran_id: expect.stringMatching(/^[0-9a-f]{32}$/), message: "hello, world!", _fivetran_deleted: 0 }] },
        types: { hello: { _fivetran_id: "STRING", message: "STRING" } },
        primaryKeys: { hello: ["_fivetran_id"] },
        native: { postgres: async ({ warehouse }) => expect(await warehouse.nativeTypes("hello")).toMatchObject({ _fivetran_deleted: "boolean" }) },
      },
    ],
  },
  {
    name: "simple_three_step_cursor: three runs add ids 10, 20, 30; the failing fourth run changes nothing",
    project: { fixture: "fivetran/simple_three_step_cursor" },
    steps: [
      ...[1, 2, 3].map((n) => ({ previousState: n === 1 ? {} : { cursor: n - 1 }, state: { cursor: n } })),
      {
        exit: 1,
        stderr: ["Sync FAILED: simulated failure on the fourth run"],
        cliStderr: [/connector\.ts:9:\d+/],
        state: { cursor: 3 },
        unchanged: ["hello_world"],
        check: async ({ warehouse }) => expect((await warehouse.rows("hello_world")).map((r) => r.id)).toEqual([10, 20, 30]),
      },
    ],
  },
  {
    name: "three_operations: three upserts, a partial update that keeps val2, a soft delete",
    project: { fixture: "fivetran/three_operations" },
    steps: [
      {
        counts: { Upserts: 3, Updates: 1, Deletes: 1 },
        check: async ({ warehouse }) => {
          // Fivetran naming splits digits off: val1 becomes val_1.
          const rows = (await warehouse.rows("three")).sort((a, b) => Number(a.val_2) - Number(b.val_2));
          expect(rows).toHaveLength(3);
          expect(rows[1]).toMatchObject({ val_1: "abc", val_2: 2, _fivetran_deleted: 0 });
          expect(rows.map((r) => [r.val_2, r._fivetran_deleted])).toEqual([
            [1, 0],
            [2, 0],
            [3, 1],
          ]);
        },
        native: { postgres: async ({ warehouse }) => expect(await warehouse.nativeTypes("three")).toMatchObject({ _fivetran_deleted: "boolean" }) },
      },
    ],
  },
  {
    name: "truncate_operation (3.1, deferred): at success, truncate deletes what was there; later upserts stay live and revive",
    project: { fixture: "fivetran/truncate_operation" },
    steps: [
      {
        counts: { Truncates: 1, Checkpoints: 5 },
        // Ids 2 and 3 were marked when the sync succeeded; id 1 was upserted after the truncate.
        cliStderr: [/^items\s+6\s+1\s+1\s+1\s+2$/m],
        rows: {
          items: [
            { id: 1, name: "apple v2", qty: 10, _fivetran_deleted: 0 },
            { id: 2, name: "banana", qty: 20, _fivetran_deleted: 1 },
            { id: 3, name: "cherry", qty: 3, _fivetran_deleted: 1 },
            { id: 4, name: "date", qty: 4, _fivetran_deleted: 0 },
            { id: 5, name: "elderberry", qty: 5, _fivetran_deleted: 1 },
          ],
        },
        state: { stage: "done" },
        check: async ({ warehouse }) => {
          // The checkpoint right after the truncate committed it as pending, not as deleted rows.
          expect((await warehouse.checkpoints()).find((c) => c.seq === 3)?.operations).toEqual({ items: { upserts: 0, updates: 0, deletes: 0, truncates: 1 } });
          expect(await warehouse.pendingTruncates()).toBe(0);
        },
      },
    ],
  },
  {
    name: "specified_types: every declared type is stored exactly, and read back in the canonical stored form",
    project: { fixture: "fivetran/specified_types" },
    steps: [
      {
        types: { specified: SPECIFIED_TYPES },
        rows: {
          specified: [
            {
              _bool: 1,
              _short: 15,
              _int: 42,
              _long: 9007199254740993n,
              _dec: "105.34",
              _float: 10.5,
              _double: 1e-7,
              _ndate: "2007-12-03",
              _ndatetime: "2007-12-03T10:15:30",
              _utc: "2007-12-03T10:15:30.123Z",
              _binary: Buffer.from("000102ff", "hex"),
              _xml: "<tag>This is XML</tag>",
              _str: "This is a string",
              _json: { a: 10, nested: [1, "two"] },
              _null: null,
              _fivetran_deleted: 0,
            },
          ],
        },
        check: async ({ dir, target }) => {
          const inspect = await cli(["inspect", "specified", ...target.inspect, "--json"], { cwd: dir });
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
        },
        native: {
          sqlite: async ({ warehouse }) =>
            expect(await warehouse.sql((t) => `SELECT typeof(_dec) AS dec_class, typeof(_binary) AS bin_class, json_extract(_json, '$.nested[1]') AS j FROM ${t("specified")}`)).toEqual([
              { dec_class: "text", bin_class: "blob", j: "two" },
            ]),
          postgres: async ({ warehouse }) => {
            expect(await warehouse.nativeTypes("specified")).toEqual({
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
            expect(await warehouse.sql((t) => `SELECT _utc = '2007-12-03T10:15:30.123Z'::timestamptz AS same, _json->'nested'->>1 AS j FROM ${t("specified")}`)).toEqual([{ same: true, j: "two" }]);
          },
        },
      },
    ],
  },
  {
    name: "unspecified_types: undeclared columns are inferred; strings are never sniffed; null makes no column",
    project: { fixture: "fivetran/unspecified_types" },
    steps: [
      {
        types: {
          unspecified: { _bool: "BOOLEAN", _short: "LONG", _long: "LONG", _dec: "DOUBLE", _ndate: "STRING", _utc: "STRING", _binary: "BINARY", _str: "STRING", _json: "JSON" },
        },
        check: async ({ warehouse }) => expect(await warehouse.columns("unspecified")).not.toContain("_null"),
        native: {
          postgres: async ({ warehouse }) =>
            expect(await warehouse.nativeTypes("unspecified")).toMatchObject({ _short: "bigint", _dec: "double precision", _ndate: "text", _binary: "bytea", _json: "jsonb" }),
        },
      },
    ],
  },
  {
    name: "tracking_tables: keyless tables a, b, c, the list of synced tables in the state; a second run duplicates nothing",
    project: { fixture: "fivetran/tracking_tables" },
    steps: [
      {
        state: { synced_tables: ["A", "B", "C"], to_timestamp: "2024-06-01T00:00:00Z" },
        types: Object.fromEntries(["a", "b", "c"].map((t) => [t, { _fivetran_id: "STRING", name: "STRING", loaded_until: "STRING" }])),
        check: async ({ warehouse }) => {
          for (const t of ["a", "b", "c"]) expect(await warehouse.rows(t), t).toHaveLength(1);
        },
      },
      {
        check: async ({ warehouse }) => {
          for (const t of ["a", "b", "c"]) expect(await warehouse.rows(t), t).toHaveLength(1);
        },
      },
    ],
  },
  {
    name: "state validation: initial sync, incremental sync of only the new and changed records, an idle run, and a re-sync after reset that reproduces the data",
    project: { fixture: "source-cursor" },
    steps: [
      {
        write: source([
          { id: 1, name: "ada", updated_at: T(1) },
          { id: 2, name: "bob", updated_at: T(2) },
          { id: 3, name: "cy", updated_at: T(2) },
        ]),
        previousState: {},
        counts: { Upserts: 3 },
        state: { cursor: { updated_at: T(2), id: 3 } },
        rows: { users: [user(1, "ada", 1), user(2, "bob", 2), user(3, "cy", 2)] },
      },
      {
        // The source changes: bob is renamed, dee arrives, ada is deleted.
        write: source([
          { id: 1, name: "ada", updated_at: T(5), deleted: true },
          { id: 2, name: "bobby", updated_at: T(3) },
          { id: 3, name: "cy", updated_at: T(2) },
          { id: 4, name: "dee", updated_at: T(4) },
        ]),
        counts: { Upserts: 2, Deletes: 1 },
        state: { cursor: { updated_at: T(5), id: 1 } },
        rows: { users: AFTER_INCREMENTAL },
      },
      // A run with nothing new changes nothing and keeps the cursor.
      { counts: { Upserts: 0 }, state: { cursor: { updated_at: T(5), id: 1 } }, rows: { users: AFTER_INCREMENTAL } },
      { command: "reset" },
      // A historical sync never saw ada before her deletion, so her row is a soft-delete of nothing.
      { previousState: {}, state: { cursor: { updated_at: T(5), id: 1 } }, rows: { users: AFTER_INCREMENTAL.filter((r) => r.id !== 1) } },
    ],
  },
  {
    name: "examples/hello (the README quickstart) syncs one row",
    project: { example: "hello" },
    steps: [{ stderr: ["Sync SUCCEEDED"], check: async ({ warehouse }) => expect((await warehouse.rows("hello")).map((r) => ({ message: r.message }))).toEqual([{ message: "hello, world!" }]) }],
  },
  {
    name: "examples/multi-table-cursors (the porting guide's example) keeps one cursor per table and syncs incrementally",
    project: { example: "multi-table-cursors" },
    steps: [
      {
        counts: { Checkpoints: 2 },
        state: { users_cursor: "2024-02-07T08:00:00Z", orders_cursor: "2024-02-10T12:00:00Z" },
        check: async ({ warehouse }) => {
          expect(await warehouse.rows("users")).toHaveLength(7);
          expect((await warehouse.rows("orders")).filter((r) => r.id === 101).map((r) => ({ total: r.total }))).toEqual([{ total: "10.50" }]);
        },
      },
      { counts: { Upserts: 0 } },
      {
        // The Python original's state shape: keys the schema does not know are called out.
        setState: { users: "2024-02-07T08:00:00Z", orders: "2024-02-10T12:00:00Z" },
        stderr: [/saved state key "users" is not in the connector's state schema/],
        counts: { Upserts: 17 },
      },
    ],
  },
];
