import { describe, expect, it } from "vitest";
import type { SchemaChange } from "../../src/normalize/schema-change.js";
import { Catalog } from "../../src/normalize/catalog.js";
import { Limits } from "../../src/normalize/limits.js";
import { applySchema, parseSchema } from "../../src/normalize/declared.js";
import { Names } from "../../src/normalize/names.js";
import { RowNormalizer } from "../../src/normalize/row-normalizer.js";

/** The normalizer on its own: what it decides is a list of SchemaChange values and rows of stored values; no database. */
function normalizer(unsafe = false, limits?: Limits) {
  const changes: SchemaChange[] = [];
  const warnings: string[] = [];
  let schemaChanges = 0;
  const catalog = new Catalog({ tables: [], sources: {}, lastSeq: 0, run: 1 }, (c) => changes.push(c), () => unsafe, limits);
  const names = new Names("fivetran", catalog, (_k, m) => warnings.push(m));
  const n = new RowNormalizer(catalog, names, { schemaChanged: () => schemaChanges++, warnOnce: (_k, m) => warnings.push(m) });
  const upsert = (table: string, data: Record<string, unknown>) => [...n.upsert(names.table(table, "upsert"), data).row];
  return { changes, warnings, n, names, catalog, upsert, schemaChanges: () => schemaChanges };
}

describe("the row normalizer, without a database", () => {
  it("a new table from its first row: one createTable, keyless, with _fivetran_id first and the row's types", () => {
    const z = normalizer();
    const row = z.upsert("userData", { userId: 7, name: "ada", active: true, empty: null });
    expect(z.changes.filter((c) => c.kind !== "tableSource")).toEqual([
      {
        kind: "createTable",
        table: {
          name: "user_data",
          keyless: true,
          columns: [
            { name: "_fivetran_id", type: { type: "STRING" }, declared: false, pk: true },
            { name: "user_id", type: { type: "LONG" }, declared: false, pk: false },
            { name: "name", type: { type: "STRING" }, declared: false, pk: false },
            { name: "active", type: { type: "BOOLEAN" }, declared: false, pk: false },
          ],
        },
      },
    ]);
    expect(row).toEqual([expect.stringMatching(/^[0-9a-f]{32}$/), 7, "ada", 1]);
    expect(z.schemaChanges()).toBe(1);
  });

  it("a new key adds a column; a wider value widens it; the values come in catalog order", () => {
    const z = normalizer();
    z.upsert("t", { a: 1 });
    z.changes.length = 0;
    expect(z.upsert("t", { a: 2.5, b: "x" }).slice(1)).toEqual([2.5, "x"]);
    expect(z.changes).toEqual([
      { kind: "changeType", table: "t", column: "a", type: { type: "DOUBLE" }, declared: false },
      { kind: "addColumn", table: "t", column: { name: "b", type: { type: "STRING" }, declared: false, pk: false } },
    ]);
  });

  it("a LONG column holding an integer beyond 2^53 widens to STRING, not DOUBLE, when a fraction arrives", () => {
    const z = normalizer(true);
    z.upsert("t", { a: 9007199254740993n });
    z.changes.length = 0;
    z.upsert("t", { a: 1.5 });
    expect(z.changes).toEqual([{ kind: "changeType", table: "t", column: "a", type: { type: "STRING" }, declared: false }]);
  });

  it("the keyless id hashes the values as sent, so it does not move when a column widens", () => {
    const z = normalizer();
    const first = z.upsert("t", { a: 1 })[0];
    z.upsert("t", { a: "x" });
    expect(z.upsert("t", { a: 1 })[0]).toBe(first);
  });

  it("declared schemas become changes: a table with its key and types, then a declared widening", () => {
    const z = normalizer();
    applySchema(z.catalog, parseSchema([{ table: "orders", primary_key: ["id"], columns: { id: "LONG", amount: "DECIMAL(10,2)" } }], "fivetran"));
    expect(z.upsert("orders", { id: 1, amount: "1.5" })).toEqual([1, "1.50"]);
    z.changes.length = 0;
    applySchema(z.catalog, parseSchema([{ table: "orders", primary_key: ["id"], columns: { id: "LONG", amount: "DECIMAL(12,4)" } }], "fivetran"));
    expect(z.changes).toEqual([{ kind: "changeType", table: "orders", column: "amount", type: { type: "DECIMAL", precision: 12, scale: 4 }, declared: true }]);
  });

  it("refuses what it cannot store faithfully, naming the table and the column, and changes nothing", () => {
    const z = normalizer();
    applySchema(z.catalog, parseSchema([{ table: "t", primary_key: ["id"], columns: { id: "LONG", n: "INT" } }], "fivetran"));
    z.changes.length = 0;
    expect(() => z.upsert("t", { id: 1, n: "tok_9f8e" })).toThrow(/table "t", column "n" \(INT\)/);
    expect(() => z.upsert("t", { id: 2, tags: new Map() })).toThrow(/table "t", column "tags": the value is a Map/);
    expect(() => z.upsert("t", { n: 3 })).toThrow(/primary key column "id" is missing or null/);
    expect(z.changes.filter((c) => c.kind !== "tableSource")).toEqual([]);
  });

  it("updates set only the given columns, with the key apart; a table that does not exist gives nothing to update", () => {
    const z = normalizer();
    applySchema(z.catalog, parseSchema([{ table: "t", primary_key: ["id"] }], "fivetran"));
    z.upsert("t", { id: 1, a: "x", b: 2 });
    const u = z.n.update("t", { id: 1, b: 3 })!;
    expect([u.columns, u.values, u.key]).toEqual([["b"], [3], [1]]);
    expect(z.n.update("missing", { id: 1 })).toBeUndefined();
  });

  it("an operation whose new columns would not all fit sends none of them: the refusal comes with no column added before it", () => {
    const z = normalizer(false, new Limits({ label: "SQLite", maxIdentifierLength: 64, maxColumns: 10 }));
    applySchema(z.catalog, parseSchema([{ table: "t", primary_key: ["id"] }], "fivetran"));
    z.upsert("t", { id: 0 });
    z.changes.length = 0;
    const columns = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, i]));
    expect(() => z.upsert("t", { id: 1, ...columns(7) })).toThrow('table "t" has no room for column "c_6": SQLite allows at most 10 columns in a table');
    expect(() => z.n.update("t", { id: 1, ...columns(7) })).toThrow('table "t" has no room for column "c_6"');
    expect(z.changes).toEqual([]);
    // Its sync has failed: the catalog, ahead of the destination, takes no further change.
    expect(() => z.upsert("t", { id: 1, c0: "widened" })).toThrow("a schema change after an operation whose changes were dropped");
    // One that fits, though more of its keys are new when its first column is added ("Id", last, is the column id), sends its columns, in order, before its row.
    const y = normalizer(false, new Limits({ label: "SQLite", maxIdentifierLength: 64, maxColumns: 10 }));
    applySchema(y.catalog, parseSchema([{ table: "t", primary_key: ["id"] }], "fivetran"));
    y.upsert("t", { id: 0 });
    y.changes.length = 0;
    expect(y.upsert("t", { ...columns(6), Id: 1, c9: null })).toEqual([1, 0, 1, 2, 3, 4, 5]);
    expect(y.changes.map((c) => (c.kind === "addColumn" ? c.column.name : c.kind))).toEqual(["c_0", "c_1", "c_2", "c_3", "c_4", "c_5"]);
  });
});
