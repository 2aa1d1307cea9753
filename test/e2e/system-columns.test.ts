import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { cli, makeProject, query, type CliResult } from "../helpers.js";
import { freshSchema, usePostgres } from "../support/use-postgres.js";
import { syncHere, syncInto } from "../scenarios/destinations.js";

// Fivetran's warehouse layout: a table has its data columns, `_fivetran_synced`, `_fivetran_deleted`
// and, without a declared key, `_fivetran_id`: nothing else, on every destination, as dbt models and
// `SELECT *` see it. Deferred truncate's bookkeeping column (`_connector_generation`) is added to a
// table only by its first op.truncate, in the same transaction as the truncate point.

const connector = `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "keyed", primary_key: ["id"] }, { table: "reloaded", primary_key: ["id"] }],
  update(configuration: Record<string, string>) {
    const round = Number(configuration.round);
    if (configuration.truncate === "yes") op.truncate("reloaded");
    for (let id = 1; id <= (round === 1 ? 4 : 2); id++) {
      op.upsert("keyed", { id, v: "r" + round });
      op.upsert("reloaded", { id, v: "r" + round });
    }
    op.upsert("keyless", { note: "r" + round });
    op.checkpoint({ round });
  },
};
`;

interface Target {
  name: string;
  run(dir: string): Promise<CliResult>;
  /** The table's column names, sorted. */
  columns(dir: string, table: string): Promise<string[]>;
  sql(dir: string, text: string): Promise<void>;
  live(dir: string, table: string): Promise<[number, string][]>;
}

const pg = usePostgres("system_columns");

async function duck<T>(dir: string, fn: (con: import("@duckdb/node-api").DuckDBConnection) => Promise<T>, readOnly = true): Promise<T> {
  const instance = await DuckDBInstance.create(path.join(dir, "files", "warehouse.duckdb"), readOnly ? { access_mode: "READ_ONLY" } : {});
  const con = await instance.connect();
  try {
    return await fn(con);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

const schemas = new Map<string, string>();
const schemaOf = (dir: string): string => {
  if (!schemas.has(dir)) schemas.set(dir, freshSchema("cols"));
  return schemas.get(dir)!;
};

// SQLite through the spawned CLI; DuckDB and PostgreSQL in this process (runSync), which loads their clients once per file: what is asserted is each warehouse's columns and rows.
const TARGETS: Target[] = [
  {
    name: "SQLite",
    run: (dir) => cli(["debug"], { cwd: dir }),
    columns: async (dir, table) => query<{ name: string }>(dir, "SELECT name FROM pragma_table_info(?) ORDER BY name", table).map((r) => r.name).sort(),
    sql: async (dir, text) => {
      const db = new Database(path.join(dir, "files", "warehouse.db"));
      db.exec(text);
      db.close();
    },
    live: async (dir, table) => query<{ id: number; v: string }>(dir, `SELECT id, v FROM "${table}" WHERE _fivetran_deleted = 0 ORDER BY id`).map((r) => [r.id, r.v]),
  },
  {
    name: "DuckDB",
    run: (dir) => syncHere(dir, "duckdb"),
    columns: (dir, table) =>
      duck(dir, async (con) =>
        (await con.runAndReadAll("SELECT column_name FROM information_schema.columns WHERE table_schema = 'tester' AND table_name = ? ORDER BY column_name", [table]))
          .getRowObjectsJS()
          .map((r) => String(r.column_name))
          .sort(),
      ),
    sql: (dir, text) => duck(dir, (con) => con.run(text.replaceAll("$schema", "tester")).then(() => undefined), false),
    live: (dir, table) =>
      duck(dir, async (con) =>
        (await con.runAndReadAll(`SELECT id::INTEGER AS id, v FROM tester."${table}" WHERE NOT _fivetran_deleted ORDER BY id`)).getRows().map((r) => [Number(r[0]), String(r[1])] as [number, string]),
      ),
  },
  {
    name: "PostgreSQL",
    run: (dir) => syncInto(dir, pg().url(pg().database, schemaOf(dir))),
    columns: async (dir, table) =>
      (await pg().sql<{ c: string }>("SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY column_name", [schemaOf(dir), table])).map((r) => r.c).sort(),
    sql: async (dir, text) => {
      await pg().sql(text.replaceAll("$schema", `"${schemaOf(dir)}"`));
    },
    live: async (dir, table) =>
      (await pg().sql<{ id: number; v: string }>(`SELECT id::int AS id, v FROM "${schemaOf(dir)}"."${table}" WHERE NOT _fivetran_deleted ORDER BY id`)).map((r) => [r.id, r.v]),
  },
];

function configure(dir: string, round: number, truncate: boolean): void {
  fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ round: String(round), truncate: truncate ? "yes" : "no" }));
}

async function round(t: Target, dir: string, n: number, truncate: boolean): Promise<void> {
  configure(dir, n, truncate);
  const r = await t.run(dir);
  expect(r.exitCode, r.stderr).toBe(0);
}

// Sorted: a column a later row brings is added after the system columns.
const KEYED = ["_fivetran_deleted", "_fivetran_synced", "id", "v"];
const KEYLESS = ["_fivetran_deleted", "_fivetran_id", "_fivetran_synced", "note"];
const WITH_GENERATION = (columns: string[]): string[] => ["_connector_generation", ...columns];

describe.each(TARGETS)("system columns on $name", (t) => {
  it("a table never truncated has exactly Fivetran's columns; a truncated one gains _connector_generation, and its truncates stay exact", async () => {
    const dir = makeProject({ "connector.ts": connector });
    await round(t, dir, 1, false);
    expect(await t.columns(dir, "keyed")).toEqual(KEYED);
    expect(await t.columns(dir, "reloaded")).toEqual(KEYED);
    expect(await t.columns(dir, "keyless")).toEqual(KEYLESS);

    // A full reload: the truncate adds the column; ids 3 and 4, not written again, end deleted.
    await round(t, dir, 2, true);
    expect(await t.columns(dir, "reloaded")).toEqual(WITH_GENERATION(KEYED));
    expect(await t.columns(dir, "keyed")).toEqual(KEYED);
    expect(await t.columns(dir, "keyless")).toEqual(KEYLESS);
    expect(await t.live(dir, "reloaded")).toEqual([
      [1, "r2"],
      [2, "r2"],
    ]);
    expect(await t.live(dir, "keyed")).toEqual([
      [1, "r2"],
      [2, "r2"],
      [3, "r1"],
      [4, "r1"],
    ]);

    // Later syncs keep writing the column: a sync without a truncate changes nothing more, the next truncate is exact again.
    await round(t, dir, 3, false);
    await round(t, dir, 4, true);
    expect(await t.columns(dir, "reloaded")).toEqual(WITH_GENERATION(KEYED));
    expect(await t.columns(dir, "keyed")).toEqual(KEYED);
    expect(await t.live(dir, "reloaded")).toEqual([
      [1, "r4"],
      [2, "r4"],
    ]);
  });

  it("a table an earlier version gave _connector_generation keeps it, and its writes and truncates work", async () => {
    const dir = makeProject({ "connector.ts": connector });
    await round(t, dir, 1, false);
    // As the previous version left every table: the column, stamped with run 1's generation (1 × 2^20).
    for (const table of ["keyed", "reloaded", "keyless"]) {
      const ref = t.name === "SQLite" ? `"${table}"` : `$schema."${table}"`;
      // DuckDB cannot add a column with a constraint.
      const type = t.name === "DuckDB" ? "BIGINT DEFAULT 0" : "BIGINT NOT NULL DEFAULT 0";
      await t.sql(dir, `ALTER TABLE ${ref} ADD COLUMN _connector_generation ${type}; UPDATE ${ref} SET _connector_generation = 1048576;`);
    }
    await round(t, dir, 2, true);
    await round(t, dir, 3, false);
    expect(await t.columns(dir, "keyed")).toEqual(WITH_GENERATION(KEYED));
    expect(await t.columns(dir, "reloaded")).toEqual(WITH_GENERATION(KEYED));
    expect(await t.columns(dir, "keyless")).toEqual(WITH_GENERATION(KEYLESS));
    expect(await t.live(dir, "reloaded")).toEqual([
      [1, "r3"],
      [2, "r3"],
    ]);
    // The column is kept up to date: a later truncate marks exactly the rows written before it.
    await round(t, dir, 4, true);
    expect(await t.live(dir, "reloaded")).toEqual([
      [1, "r4"],
      [2, "r4"],
    ]);
    expect(await t.live(dir, "keyed")).toEqual([
      [1, "r4"],
      [2, "r4"],
      [3, "r1"],
      [4, "r1"],
    ]);
  });
});

/** A table widened and given a column around its truncates; a sync that fails after a truncate, before its checkpoint. */
const reshaped = `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "t", primary_key: ["id"] }],
  update(configuration: Record<string, string>) {
    const step = configuration.step;
    if (step === "load") for (let id = 1; id <= 5; id++) op.upsert("t", { id, v: id * 10 });
    if (step === "reshape") {
      op.upsert("t", { id: 1, v: 11 });
      op.update("t", { id: 2, v: 21 });
      op.truncate("t");
      op.upsert("t", { id: 2, v: "twenty" });
      op.upsert("t", { id: 3, v: 30, extra: "x" });
      op.delete("t", { id: 4 });
    }
    if (step === "fail") {
      op.truncate("t");
      throw new Error("source failed after the truncate");
    }
    if (step === "again") op.upsert("t", { id: 6, v: "sixty" });
    op.checkpoint({ step });
  },
};
`;

describe.each(TARGETS)("truncates and schema changes on $name", (t) => {
  it("a widening and a new column around a truncate keep its bookkeeping; a failed sync takes back the column its truncate added", async () => {
    const dir = makeProject({ "connector.ts": reshaped });
    const step = async (name: string, code = 0): Promise<void> => {
      fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ step: name }));
      const r = await t.run(dir);
      expect(r.exitCode, r.stderr).toBe(code);
    };
    await step("load");
    await step("fail", 1);
    // The truncate's column went with the rolled-back transaction.
    expect(await t.columns(dir, "t")).toEqual(KEYED);
    // An update before the truncate (on DuckDB a table changed in the transaction is rebuilt to add the column),
    // a widening from LONG to STRING after it (a rebuild on SQLite and DuckDB), a new column.
    await step("reshape");
    expect(await t.columns(dir, "t")).toEqual(WITH_GENERATION([...KEYED, "extra"]).sort());
    expect(await t.live(dir, "t")).toEqual([
      [2, "twenty"],
      [3, "30"],
    ]);
    await step("again");
    expect(await t.live(dir, "t")).toEqual([
      [2, "twenty"],
      [3, "30"],
      [6, "sixty"],
    ]);
  });
});

/** One table `width` data columns wide (its key included): a row, a truncate, then a second row. */
const wide = `import { op } from "connector-sdk";
export default {
  schema: () => [{ table: "wide", primary_key: ["id"] }],
  update(configuration: Record<string, string>) {
    const row: Record<string, unknown> = { id: 1, v: "first" };
    // Booleans: a PostgreSQL row must fit in one 8 KB page.
    for (let i = 2; i < Number(configuration.width); i++) row["c" + i] = true;
    op.upsert("wide", row);
    op.truncate("wide");
    op.upsert("wide", { id: 2, v: "second" });
    op.checkpoint({});
  },
};
`;

describe.each([
  { target: TARGETS[0]!, limit: 2000, says: "SQLite allows at most 2,000 columns in a table" },
  { target: TARGETS[2]!, limit: 1600, says: "PostgreSQL allows at most 1,600 columns in a table" },
])("the column limit on $target.name", ({ target: t, limit, says }) => {
  it("counts _connector_generation before a truncate adds it, so that a full table can still be truncated", async () => {
    const dir = makeProject({ "connector.ts": wide });
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ width: String(limit - 3) }));
    const r = await t.run(dir);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await t.columns(dir, "wide")).toHaveLength(limit);
    expect(await t.live(dir, "wide")).toEqual([[2, "second"]]);

    const over = makeProject({ "connector.ts": wide });
    fs.writeFileSync(path.join(over, "configuration.json"), JSON.stringify({ width: String(limit - 2) }));
    const refused = await t.run(over);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`table "wide" has no room for column "c_${limit - 3}": ${says}, counting _fivetran_synced, _fivetran_deleted and _connector_generation (which op.truncate adds)`);
  });
});
