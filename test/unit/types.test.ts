import { describe, expect, it } from "vitest";
import { parseJsonExact, stringifyExact } from "../../src/util/exact.js";
import { coerce, sourceText } from "../../src/normalize/coerce.js";
import { CoercionError, isWidening, parseType } from "../../src/normalize/types.js";
import { convertStored } from "../../src/normalize/convert.js";
import { fitsInferred, inferType, widen } from "../../src/normalize/infer.js";

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
    expect(coerce(parseType("FLOAT"), Math.fround(0.1))).toBe(Math.fround(0.1));
    expect(coerce(parseType("FLOAT"), 0.1)).toBe(Math.fround(0.1));
    bad("FLOAT", 1e39, /32-bit float and would store 1e\+39 as Infinity/);
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

describe("inference at the edges", () => {
  it("infers unsafe-integer numbers as DOUBLE and sizes bigints", () => {
    expect(inferType(2 ** 53)).toEqual({ type: "DOUBLE" });
    expect(inferType(1e21)).toEqual({ type: "DOUBLE" });
    expect(inferType(Number.MAX_SAFE_INTEGER)).toEqual({ type: "LONG" });
    expect(inferType(2n ** 63n - 1n)).toEqual({ type: "LONG" });
    expect(inferType(-(2n ** 63n) - 1n)).toEqual({ type: "DECIMAL", precision: 38, scale: 0 });
    expect(inferType(10n ** 38n)).toEqual({ type: "STRING" });
    expect(inferType(new Int16Array([1]))).toEqual({ type: "BINARY" });
    expect(inferType(Object.create(null))).toEqual({ type: "JSON" });
  });
  it("refuses values with no faithful form", () => {
    expect(() => inferType(new Map())).toThrow(/a Map/);
    expect(() => inferType(new (class Point {})())).toThrow(/a Point instance/);
    expect(() => inferType(() => 1)).toThrow(/a function/);
    expect(() => inferType({ toJSON: 1 })).not.toThrow();
  });
  it("widens LONG and DECIMAL to DECIMAL, and keeps integers beyond 2^53 out of DOUBLE", () => {
    const dec = { type: "DECIMAL", precision: 38, scale: 0 } as const;
    expect(widen({ type: "LONG" }, dec)).toEqual(dec);
    expect(widen(dec, { type: "LONG" })).toEqual(dec);
    expect(widen(dec, { type: "DOUBLE" })).toEqual({ type: "STRING" });
    expect(fitsInferred({ type: "LONG" }, { type: "DOUBLE" }, 2n ** 53n)).toBe(false);
    expect(fitsInferred({ type: "LONG" }, { type: "DOUBLE" }, 2n ** 53n - 1n)).toBe(true);
  });
});

describe("convertStored: a stored value as the new type would have stored it", () => {
  const t = (s: string) => parseType(s);
  it.each([
    [1n, "LONG", "STRING", "1"],
    [1n, "BOOLEAN", "STRING", "true"],
    [0n, "BOOLEAN", "STRING", "false"],
    [1, "DOUBLE", "STRING", "1"],
    [1e21, "DOUBLE", "STRING", "1e+21"],
    [Buffer.from("hi"), "BINARY", "STRING", "aGk="],
    ["2024-01-01T00:00:00.000Z", "UTC_DATETIME", "STRING", "2024-01-01T00:00:00.000Z"],
    [5n, "LONG", "DOUBLE", 5],
    [5n, "LONG", "DECIMAL(38,0)", "5"],
    ["1.50", "DECIMAL(10,2)", "DECIMAL(12,4)", "1.5000"],
    [7n, "SHORT", "LONG", 7],
  ])("%s stored as %s becomes %j as %s", (value, from, to, expected) => {
    expect(convertStored(value, t(from), t(to as string))).toEqual(expected);
  });
  it("agrees with storing the value as the wider type from the start", () => {
    for (const [value, from] of [
      [true, "BOOLEAN"],
      [42, "LONG"],
      [2.5, "DOUBLE"],
      [Buffer.from([0, 255]), "BINARY"],
      [{ a: [1, "x"] }, "JSON"],
      [new Date(0), "UTC_DATETIME"],
      [2n ** 70n, "DECIMAL(38,0)"],
    ] as const) {
      const stored = coerce(t(from), value);
      const asRead = typeof stored === "number" && Number.isInteger(stored) && from !== "DOUBLE" ? BigInt(stored) : stored;
      expect(convertStored(asRead, t(from), t("STRING")), from).toBe(coerce(t("STRING"), value));
      expect(sourceText(value)).toBe(coerce(t("STRING"), value));
    }
  });
  it("refuses what would lose digits", () => {
    expect(() => convertStored(2n ** 53n + 1n, t("LONG"), t("DOUBLE"))).toThrow(/beyond ±2\^53/);
  });
});

describe("exact JSON for 64-bit integers", () => {
  it("parses integers beyond 2^53 as bigints and prints them back digit for digit", () => {
    const text = '{"a": 9007199254740993, "b": [-12345678901234567890, 1.5, 2e400], "s": "9007199254740993", "q": "\\"", "n": 5}';
    const v = parseJsonExact(text) as Record<string, unknown>;
    expect(v).toEqual({ a: 9007199254740993n, b: [-12345678901234567890n, 1.5, Infinity], s: "9007199254740993", q: '"', n: 5 });
    expect(stringifyExact(v)).toBe('{"a":9007199254740993,"b":[-12345678901234567890,1.5,null],"s":"9007199254740993","q":"\\"","n":5}');
    expect(parseJsonExact('{"a": 1}')).toEqual({ a: 1 });
    expect(() => parseJsonExact('{"a": 9007199254740993,}')).toThrow(SyntaxError);
  });
});
