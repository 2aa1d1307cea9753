import { describe, expect, it } from "vitest";
import { coerce, CoercionError, fitsInferred, inferType, isWidening, parseType, widen } from "../../src/core/types.js";

describe("parseType", () => {
  it("accepts the 14 types in any case and both DECIMAL forms", () => {
    expect(parseType("long")).toEqual({ type: "LONG" });
    expect(parseType("DECIMAL(15, 2)")).toEqual({ type: "DECIMAL", precision: 15, scale: 2 });
    expect(parseType({ type: "decimal", precision: 10, scale: 0 })).toEqual({ type: "DECIMAL", precision: 10, scale: 0 });
  });
  it("rejects unknown types and DECIMAL without precision", () => {
    expect(() => parseType("VARCHAR")).toThrow(/unknown type "VARCHAR"/);
    expect(() => parseType("DECIMAL")).toThrow(/precision and a scale/);
    expect(() => parseType({ type: "DECIMAL", precision: 2, scale: 5 })).toThrow(/scale/);
  });
});

describe("inferType", () => {
  it("follows the design's inference table", () => {
    expect(inferType(true)).toEqual({ type: "BOOLEAN" });
    expect(inferType(3)).toEqual({ type: "LONG" });
    expect(inferType(3.5)).toEqual({ type: "DOUBLE" });
    expect(inferType(5n)).toEqual({ type: "LONG" });
    expect(inferType(2n ** 70n)).toEqual({ type: "DECIMAL", precision: 38, scale: 0 });
    expect(inferType("2024-01-01")).toEqual({ type: "STRING" });
    expect(inferType(new Date())).toEqual({ type: "UTC_DATETIME" });
    expect(inferType(Buffer.from("x"))).toEqual({ type: "BINARY" });
    expect(inferType([1])).toEqual({ type: "JSON" });
    expect(inferType({ a: 1 })).toEqual({ type: "JSON" });
    expect(inferType(null)).toBeUndefined();
    expect(inferType(undefined)).toBeUndefined();
  });
  it("widens LONG to DOUBLE and anything else to STRING", () => {
    expect(widen({ type: "LONG" }, { type: "DOUBLE" })).toEqual({ type: "DOUBLE" });
    expect(widen({ type: "DOUBLE" }, { type: "STRING" })).toEqual({ type: "STRING" });
    expect(widen({ type: "BOOLEAN" }, { type: "LONG" })).toEqual({ type: "STRING" });
    expect(fitsInferred({ type: "LONG" }, { type: "DOUBLE" })).toBe(true);
    expect(fitsInferred({ type: "DOUBLE" }, { type: "LONG" })).toBe(false);
    expect(fitsInferred({ type: "JSON" }, { type: "STRING" })).toBe(true);
    expect(isWidening({ type: "INT" }, { type: "LONG" })).toBe(true);
    expect(isWidening({ type: "LONG" }, { type: "INT" })).toBe(false);
  });
});

describe("coerce", () => {
  const bad = (t: string, v: unknown, msg: RegExp) => expect(() => coerce(parseType(t), v)).toThrow(msg);

  it("stores booleans as 0/1", () => {
    expect(coerce(parseType("BOOLEAN"), true)).toBe(1);
    expect(coerce(parseType("BOOLEAN"), "false")).toBe(0);
    bad("BOOLEAN", "yes", /BOOLEAN needs/);
  });
  it("checks integer ranges and keeps int64 exact", () => {
    expect(coerce(parseType("SHORT"), 32767)).toBe(32767);
    bad("SHORT", 40000, /SHORT holds -32768 to 32767/);
    bad("INT", 1.5, /needs an integer/);
    expect(coerce(parseType("LONG"), 9007199254740993n)).toBe(9007199254740993n);
    expect(coerce(parseType("LONG"), "42")).toBe(42);
    bad("LONG", 2n ** 63n, /LONG holds/);
    bad("LONG", 2 ** 60, /safe integers/);
  });
  it("writes DECIMAL as exact canonical text and refuses to lose digits", () => {
    const d = parseType("DECIMAL(15,2)");
    expect(coerce(d, "105.34")).toBe("105.34");
    expect(coerce(d, "0105.3")).toBe("105.30");
    expect(coerce(d, 7)).toBe("7.00");
    expect(coerce(d, "-0.00")).toBe("0.00");
    expect(coerce(d, "1.5e2")).toBe("150.00");
    bad("DECIMAL(15,2)", "1.234", /would lose digits/);
    bad("DECIMAL(4,2)", "123.4", /at most 2 digits before the point/);
    bad("DECIMAL(4,2)", "abc", /needs a number/);
  });
  it("rejects NaN, which SQLite would turn into NULL", () => {
    bad("DOUBLE", NaN, /NaN/);
    expect(coerce(parseType("DOUBLE"), 1.25)).toBe(1.25);
    expect(coerce(parseType("FLOAT"), 0.1)).toBe(Math.fround(0.1));
  });
  it("normalises dates and keeps their precision", () => {
    expect(coerce(parseType("NAIVE_DATE"), "2024-02-29")).toBe("2024-02-29");
    bad("NAIVE_DATE", "2023-02-29", /NAIVE_DATE needs/);
    expect(coerce(parseType("NAIVE_DATETIME"), "2024-01-02 03:04:05")).toBe("2024-01-02T03:04:05");
    expect(coerce(parseType("NAIVE_DATETIME"), "2024-01-02T03:04:05.5")).toBe("2024-01-02T03:04:05.500");
    expect(coerce(parseType("UTC_DATETIME"), "2024-01-02T03:04:05+02:00")).toBe("2024-01-02T01:04:05.000Z");
    expect(coerce(parseType("UTC_DATETIME"), "2024-01-02T03:04:05.123456Z")).toBe("2024-01-02T03:04:05.123456Z");
    expect(coerce(parseType("UTC_DATETIME"), new Date(Date.UTC(2024, 0, 2)))).toBe("2024-01-02T00:00:00.000Z");
    expect(coerce(parseType("UTC_DATETIME"), "2024-01-02")).toBe("2024-01-02T00:00:00.000Z");
    bad("UTC_DATETIME", "2024-01-02T03:04:05", /needs a zone/);
    bad("NAIVE_DATETIME", "2024-01-02T25:00:00", /impossible time/);
  });
  it("handles BINARY, XML, STRING and JSON", () => {
    expect(coerce(parseType("BINARY"), new Uint8Array([1, 2]))).toEqual(Buffer.from([1, 2]));
    bad("BINARY", "AQI=", /BINARY needs a Uint8Array/);
    bad("XML", 5, /XML needs a string/);
    expect(coerce(parseType("STRING"), 5)).toBe("5");
    expect(coerce(parseType("STRING"), { a: 1 })).toBe('{"a":1}');
    expect(coerce(parseType("JSON"), { a: [1, 2n] })).toBe('{"a":[1,"2"]}');
    expect(coerce(parseType("JSON"), "plain")).toBe('"plain"');
    bad("JSON", () => 1, /is a function, which has no faithful form/);
  });
  it("passes null through for every type", () => {
    expect(coerce(parseType("LONG"), null)).toBeNull();
    expect(coerce(parseType("JSON"), undefined)).toBeNull();
  });
  it("raises CoercionError, so the engine can name table and column", () => {
    expect(() => coerce(parseType("INT"), "x")).toThrow(CoercionError);
  });
});
