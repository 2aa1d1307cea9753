/**
 * Values that SQLite, DuckDB and PostgreSQL would each store differently, as scenarios for
 * every destination. Every case runs with all its operations in one checkpoint and with a
 * checkpoint after each, so a destination's batching cannot hide a difference, nor a commit
 * between two writes. Each ends the same way everywhere: the same rows, or the same error
 * with nothing written after the last checkpoint.
 */
import { expect } from "vitest";
import type { Row, Warehouse } from "../support/warehouse.js";
import type { Scenario } from "./scenario.js";

type Split = "one batch" | "a checkpoint after each";
interface Case {
  name: string;
  schema?: string;
  /** Operations, one statement each. */
  ops: string[];
  /** The error every destination stops with, after the baseline checkpoint; or undefined when the sync succeeds. */
  fails?: string;
  /** The index of the operation that fails (default 0): a checkpoint after each commits the ones before it. */
  failsAt?: number;
  /** The case's tables and their rows (without _fivetran_synced); a table left out must not exist. */
  tables: Record<string, Row[]> | ((split: Split) => Record<string, Row[]>);
}

const KEY = `[{ table: "s", primary_key: ["k"], columns: { k: "STRING", v: "LONG" } }]`;
const SURROGATE = "holds a lone UTF-16 surrogate";
const UNTOLD = "which UTF-8 cannot encode, so DuckDB and PostgreSQL cannot store it";

const CASES: Case[] = [
  {
    name: 'two keys with different lone surrogates ("a\\ud800", "a\\ud801"), declared STRING',
    schema: KEY,
    ops: [`op.upsert("s", { k: "a\\ud800", v: 1 })`, `op.upsert("s", { k: "a\\ud801", v: 2 })`],
    fails: `table "s", column "k" (STRING): the value ${SURROGATE} (\\ud800) at index 1, ${UNTOLD}`,
    tables: { s: [] },
  },
  {
    name: "the same, in a key whose type is inferred",
    schema: `[{ table: "s", primary_key: ["k"] }]`,
    ops: [`op.upsert("s", { k: "a\\ud800", v: 1 })`, `op.upsert("s", { k: "a\\ud801", v: 2 })`],
    fails: `table "s", column "k" (STRING): the value ${SURROGATE} (\\ud800) at index 1`,
    tables: { s: [] },
  },
  {
    name: "a lone low surrogate in a column that is not a key",
    schema: KEY,
    ops: [`op.upsert("s", { k: "x", v: 1, note: "\\udc00y" })`],
    fails: `table "s", column "note" (STRING): the value ${SURROGATE} (\\udc00) at index 0`,
    tables: { s: [] },
  },
  {
    name: "a lone surrogate in the state of a checkpoint (DuckDB's JSON refused it at commit, the others kept it)",
    schema: KEY,
    ops: [`op.upsert("s", { k: "a", v: 1 })`, `op.checkpoint({ c: "a\\ud800" })`],
    fails: `state.c ${SURROGATE}, which UTF-8 cannot encode`,
    failsAt: 1,
    tables: (split) => ({ s: split === "one batch" ? [] : [{ k: "a", v: 1, _fivetran_deleted: 0 }] }),
  },
  {
    name: "a lone surrogate in the key of an update",
    schema: KEY,
    ops: [`op.upsert("s", { k: "a", v: 1 })`, `op.update("s", { k: "a\\ud800", v: 2 })`],
    fails: `table "s", column "k" (STRING): the value ${SURROGATE} (\\ud800) at index 1`,
    failsAt: 1,
    tables: (split) => ({ s: split === "one batch" ? [] : [{ k: "a", v: 1, _fivetran_deleted: 0 }] }),
  },
  {
    name: "a lone surrogate in the key of a delete",
    schema: KEY,
    ops: [`op.upsert("s", { k: "a", v: 1 })`, `op.delete("s", { k: "a\\udbff" })`],
    fails: `table "s", column "k" (STRING): the value ${SURROGATE} (\\udbff) at index 1`,
    failsAt: 1,
    tables: (split) => ({ s: split === "one batch" ? [] : [{ k: "a", v: 1, _fivetran_deleted: 0 }] }),
  },
  {
    name: "a keyless table, whose row hash would make both rows one",
    ops: [`op.upsert("u", { v: "a\\ud800" })`, `op.upsert("u", { v: "a\\ud801" })`],
    fails: `table "u", column "v" (STRING): the value ${SURROGATE} (\\ud800) at index 1`,
    tables: {},
  },
  {
    name: "a string inside a JSON value",
    schema: `[{ table: "t", primary_key: ["id"], columns: { id: "INT", doc: "JSON" } }]`,
    ops: [`op.upsert("t", { id: 1, doc: { tags: ["ok", "b\\ud800"] } })`],
    fails: `table "t", column "doc" (JSON): value.tags[1] ${SURROGATE} (\\ud800) at index 1`,
    tables: { t: [] },
  },
  {
    name: "a key of a JSON object",
    schema: `[{ table: "t", primary_key: ["id"], columns: { id: "INT", doc: "JSON" } }]`,
    ops: [`op.upsert("t", { id: 1, doc: { list: [{ "k\\udfff": 1 }] } })`],
    fails: `table "t", column "doc" (JSON): the key "k\\udfff" in value.list[0] ${SURROGATE} (\\udfff) at index 1`,
    tables: { t: [] },
  },
  {
    name: "an object stored as text in a STRING column",
    schema: `[{ table: "t", primary_key: ["id"], columns: { id: "INT", s: "STRING" } }]`,
    ops: [`op.upsert("t", { id: 1, s: { a: "\\ud800" } })`],
    fails: `table "t", column "s" (STRING): value.a ${SURROGATE} (\\ud800) at index 0`,
    tables: { t: [] },
  },
  {
    name: "an XML value",
    schema: `[{ table: "t", primary_key: ["id"], columns: { id: "INT", x: "XML" } }]`,
    ops: [`op.upsert("t", { id: 1, x: "<a>\\ud800</a>" })`],
    fails: `table "t", column "x" (XML): the value ${SURROGATE} (\\ud800) at index 3`,
    tables: { t: [] },
  },
  {
    name: "a table name",
    ops: [`op.upsert("t\\ud800", { id: 1 })`, `op.upsert("t\\ud801", { id: 2 })`],
    fails: `op.upsert: table "t\\ud800" contains a lone UTF-16 surrogate (\\ud800) at index 1`,
    tables: {},
  },
  {
    name: "a column name",
    ops: [`op.upsert("n", { id: 1, "c\\ud800": 1 })`, `op.upsert("n", { id: 2, "c\\ud801": 2 })`],
    fails: `op.upsert on table "n": column "c\\ud800" contains a lone UTF-16 surrogate (\\ud800) at index 1`,
    tables: {},
  },
  {
    name: "characters beyond U+FFFF (surrogate pairs) in keys, names and JSON are stored exactly",
    schema: `[{ table: "s", primary_key: ["k"], columns: { k: "STRING", v: "LONG", doc: "JSON" } }]`,
    ops: [`op.upsert("s", { k: "a\\ud83d\\ude00", v: 1, doc: { "\\ud83d\\ude01": "\\ud83d\\ude02" } })`, `op.upsert("s", { k: "a\\ud83d\\ude01", v: 2 })`],
    tables: {
      s: [
        { k: "a\u{1F600}", v: 1, doc: { "\u{1F601}": "\u{1F602}" }, _fivetran_deleted: 0 },
        { k: "a\u{1F601}", v: 2, doc: null, _fivetran_deleted: 0 },
      ],
    },
  },
  {
    name: "a declared JSON primary key",
    schema: `[{ table: "j", primary_key: ["doc"], columns: { doc: "JSON", v: "LONG" } }]`,
    ops: [`op.upsert("j", { doc: { a: 1, b: 2 }, v: 1 })`, `op.upsert("j", { doc: { b: 2, a: 1 }, v: 2 })`],
    fails: `schema() table "j": primary key column "doc" is declared JSON, and JSON cannot be a primary key`,
    tables: {},
  },
  {
    name: "a primary key whose type is inferred, given an object",
    schema: `[{ table: "j", primary_key: ["doc"] }]`,
    ops: [`op.upsert("j", { doc: { a: 1, b: 2 }, v: 1 })`, `op.upsert("j", { doc: { b: 2, a: 1 }, v: 2 })`],
    fails: `table "j", primary key column "doc": the value is an object, which is JSON, and JSON cannot be a primary key`,
    tables: { j: [] },
  },
  {
    name: "a composite key with an inferred part, given an array",
    schema: `[{ table: "j", primary_key: ["id", "doc"], columns: { id: "INT" } }]`,
    ops: [`op.upsert("j", { id: 1, doc: [1, 2], v: 1 })`],
    fails: `table "j", primary key column "doc": the value is an array of 2, which is JSON, and JSON cannot be a primary key`,
    tables: { j: [] },
  },
  {
    name: "JSON values with their keys in another order in a keyless table: a row each, as sent",
    ops: [`op.upsert("k", { doc: { a: 1, b: 2 } })`, `op.upsert("k", { doc: { b: 2, a: 1 } })`],
    tables: { k: [{ doc: { a: 1, b: 2 } }, { doc: { b: 2, a: 1 } }] },
  },
  {
    name: "a JSON column widened to STRING keeps one text for its old rows: keys in jsonb's order (shorter first), compact",
    schema: `[{ table: "w", primary_key: ["id"] }]`,
    ops: [`op.upsert("w", { id: 1, doc: { bb: [1, { y: 1, x: 6.02e23 }], a: "é", 10: null, b: 2 } })`, `op.upsert("w", { id: 2, doc: "plain" })`],
    tables: {
      w: [
        { id: 1, doc: '{"a":"é","b":2,"10":null,"bb":[1,{"x":6.02e+23,"y":1}]}', _fivetran_deleted: 0 },
        { id: 2, doc: "plain", _fivetran_deleted: 0 },
      ],
    },
  },
];

const SPLITS: Split[] = ["one batch", "a checkpoint after each"];

/** The connector: a baseline row committed first, then the case's operations, checkpointed as the split says. */
function connector(c: Case, split: Split): string {
  const body = c.ops.map((o, i) => `    ${o};${split === "one batch" ? "" : ` op.checkpoint({ n: ${i + 2} });`}`).join("\n");
  return `import { op } from "connector-sdk";
export default {
  ${c.schema ? `schema: () => ${c.schema},\n  ` : ""}update() {
    op.upsert("base", { id: 1 });
    op.checkpoint({ n: 1 });
${body}
    op.checkpoint({ n: ${c.ops.length + 2} });
  },
};
`;
}

/** The last checkpoint's state, the rows of base, and every other table with its rows (a keyless table's as its doc). */
async function outcome(w: Warehouse): Promise<{ state: unknown; base: number; tables: Record<string, Row[]> }> {
  const tables: Record<string, Row[]> = {};
  let base = 0;
  for (const t of await w.tables()) {
    const rows = await w.rows(t);
    if (t === "base") base = rows.length;
    else if ((await w.primaryKey(t)).includes("_fivetran_id")) tables[t] = rows.map(({ doc }) => ({ doc }));
    else tables[t] = rows;
  }
  return { state: (await w.checkpoints()).at(-1)?.state, base, tables };
}

export const SAME_ROWS: Scenario[] = CASES.flatMap((c) =>
  SPLITS.map((split) => ({
    name: `the same rows, or the same error: ${c.name} (${split})`,
    project: { files: { "connector.ts": connector(c, split) } },
    steps: [
      {
        exit: c.fails ? 1 : 0,
        stderr: c.fails ? [c.fails] : [],
        check: async ({ warehouse }) => {
          const got = await outcome(warehouse);
          // schema() is refused before anything is written.
          if (c.fails?.startsWith("schema()")) return expect(got.base).toBe(0);
          const committed = c.fails ? (split === "one batch" ? 1 : 1 + (c.failsAt ?? 0)) : c.ops.length + 2;
          expect({ state: got.state, base: got.base }).toEqual({ state: { n: committed }, base: 1 });
          expect(got.tables).toEqual(typeof c.tables === "function" ? c.tables(split) : c.tables);
        },
      },
    ],
  })),
);
