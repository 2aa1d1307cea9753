import { describe, expect, it } from "vitest";
import { Catalog } from "../../src/normalize/catalog.js";
import { coerce } from "../../src/normalize/coerce.js";
import { loneSurrogateAt } from "../../src/normalize/lone-surrogates.js";
import { Names } from "../../src/normalize/names.js";
import { RowNormalizer } from "../../src/normalize/row-normalizer.js";

// The end-to-end cases, on every destination, are in test/scenarios/same-rows.ts; these are the edges of the scan.

describe("lone UTF-16 surrogates", () => {
  it("finds the first code unit that is not half of a pair", () => {
    expect(loneSurrogateAt("plain")).toBe(-1);
    expect(loneSurrogateAt("")).toBe(-1);
    expect(loneSurrogateAt("é日本\u{1F600}x\u{10FFFF}")).toBe(-1);
    expect(loneSurrogateAt("\ud800")).toBe(0);
    expect(loneSurrogateAt("ab\ud83d")).toBe(2);
    expect(loneSurrogateAt("\ude00\ud83d")).toBe(0);
    expect(loneSurrogateAt("\u{1F600}\ude00")).toBe(2);
    expect(loneSurrogateAt("\ud83d\ud83d\ude00")).toBe(0);
    expect(loneSurrogateAt("\u{1F600}\ud83d")).toBe(2);
  });

  it("refuses them in STRING, XML and JSON values, keys included, and in objects a STRING column stores as text", () => {
    expect(() => coerce({ type: "STRING" }, "a\ud800")).toThrow("the value holds a lone UTF-16 surrogate (\\ud800) at index 1");
    expect(() => coerce({ type: "XML" }, "\udfff")).toThrow("(\\udfff) at index 0");
    expect(() => coerce({ type: "JSON" }, "x\ud800")).toThrow("the value holds a lone UTF-16 surrogate (\\ud800) at index 1");
    expect(() => coerce({ type: "JSON" }, { a: [{ b: "\ud800" }] })).toThrow("value.a[0].b holds a lone UTF-16 surrogate (\\ud800) at index 0");
    expect(() => coerce({ type: "JSON" }, { "k\udc00": 1 })).toThrow('the key "k\\udc00" in the value holds a lone UTF-16 surrogate (\\udc00) at index 1');
    expect(() => coerce({ type: "STRING" }, { a: "\ud800" })).toThrow("value.a holds");
  });

  it("stores pairs, and text that only spells an escape, as sent", () => {
    expect(coerce({ type: "STRING" }, "a\u{1F600}")).toBe("a\u{1F600}");
    expect(coerce({ type: "JSON" }, { "\u{1F600}": "\\ud800" })).toBe('{"\u{1F600}":"\\\\ud800"}');
    expect(coerce({ type: "JSON" }, ["\\\ud83d\ude00"])).toBe('["\\\\\u{1F600}"]');
  });
});

describe("JSON primary keys", () => {
  it("are refused where an earlier version stored one, inferred, in the warehouse", () => {
    const catalog = new Catalog(
      { tables: [{ name: "j", keyless: false, columns: [{ name: "doc", type: { type: "JSON" }, declared: false, pk: true }] }], sources: { j: ["j"] }, lastSeq: 1, run: 2 },
      () => {},
      () => false,
    );
    const names = new Names("fivetran", catalog, () => {});
    const n = new RowNormalizer(catalog, names, { schemaChanged: () => {}, warnOnce: () => {} });
    expect(() => n.upsert(names.table("j", "upsert"), { doc: { a: 1 } })).toThrow('table "j", primary key column "doc": the value is an object, which is JSON, and JSON cannot be a primary key');
    expect(() => n.deleteKey("j", { doc: [1] })).toThrow("the value is an array of 1, which is JSON");
  });
});
