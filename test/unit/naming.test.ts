import { describe, expect, it } from "vitest";
import { normalizeName, parseNaming } from "../../src/core/naming.js";

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
  ] as const)("%s (%s) becomes %s", (input, kind, expected) => {
    expect(normalizeName(input, kind)).toBe(expected);
  });

  it("is idempotent", () => {
    for (const n of ["userData", "abc123", "Montréal report", "HTTPServer"]) {
      const once = normalizeName(n, "column");
      expect(normalizeName(once, "column")).toBe(once);
    }
  });

  it("parses --naming case-insensitively and rejects anything else", () => {
    expect(parseNaming("FIVETRAN")).toBe("fivetran");
    expect(parseNaming("Source")).toBe("source");
    expect(() => parseNaming("snake")).toThrow(/fivetran" or "source/);
  });
});
