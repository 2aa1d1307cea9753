import { describe, expect, it } from "vitest";
import { normalizeName, parseNaming, sqliteNameKey } from "../../src/normalize/naming.js";

describe("Fivetran name normalisation", () => {
  it.each([
    ["userData", "table", "user_data"],
    ["user.data", "table", "user_data"],
    ["user-data", "table", "user_data"],
    ["Montréal report", "table", "montreal_report"],
    ["updatedAt", "column", "updated_at"],
    ["abc123", "column", "abc_123"],
    ["HELLO", "table", "hello"],
    ["_foo", "table", "foo"],
    ["_foo", "column", "_foo"],
    ["user__name", "column", "user_name"],
    ["user_1", "column", "user_1"],
    ["$price", "column", "_price"],
    ["日本", "table", "ri_ben"],
    ["中国", "table", "zhong_guo"],
    ["名前", "column", "ming_qian"],
    ["年齢", "column", "nian_ling"],
    ["Привет мир", "table", "privet_mir"],
    ["Ωmega", "column", "omega"],
    ["ＡＢＣ", "column", "abc"],
    ["", "column", "_"],
    [" ", "column", "_"],
  ] as const)("%s (%s) becomes %s", (input, kind, expected) => {
    expect(normalizeName(input, kind)).toBe(expected);
  });

  it("is idempotent", () => {
    for (const n of ["userData", "abc123", "Montréal report", "HTTPServer", "日本語のテーブル", "Привет", "😀 emoji", "__日本", "\uD800x"]) {
      for (const kind of ["table", "column"] as const) {
        const once = normalizeName(n, kind);
        expect(once).toMatch(/^[a-z0-9_$]+$/);
        expect(normalizeName(once, kind)).toBe(once);
      }
    }
  });

  it("keeps non-Latin names apart by transliterating them, where Fivetran's 1.x rule turned them all into _", () => {
    const names = ["日本", "中国", "한국", "Россия", "Ελλάδα", "ישראל", "مصر", "ไทย"].map((n) => normalizeName(n, "table"));
    expect(new Set(names).size).toBe(names.length);
    expect(names).not.toContain("_");
  });

  it("compares names as SQLite does: ASCII letters only ignore case", () => {
    expect(sqliteNameKey("UserID")).toBe("userid");
    expect(sqliteNameKey("ÉTÉ")).toBe("ÉtÉ");
  });

  it("parses --naming case-insensitively and rejects anything else", () => {
    expect(parseNaming("FIVETRAN")).toBe("fivetran");
    expect(parseNaming("Source")).toBe("source");
    expect(() => parseNaming("snake")).toThrow(/fivetran" or "source/);
  });
});
