import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { jsonErrorLocation } from "../../src/core/json.js";
import { readStateFile, serializeState, writeStateFile } from "../../src/core/state.js";
import { tempDir } from "../helpers.js";

describe("serializeState", () => {
  it("accepts plain JSON", () => {
    expect(serializeState({ a: 1, b: [true, null, "x"], c: { d: 1.5 } })).toBe('{"a":1,"b":[true,null,"x"],"c":{"d":1.5}}');
  });
  it.each([
    [{ a: undefined }, "state.a is undefined"],
    [{ a: { b: [1, 2n] } }, "state.a.b[1] is a BigInt"],
    [{ f: () => 1 }, "state.f is a function"],
    [{ n: NaN }, "state.n is NaN"],
    [{ n: Infinity }, "state.n is Infinity"],
    [{ d: new Date(0) }, "state.d is Date(1970-01-01T00:00:00.000Z), not plain JSON; store value.toISOString()"],
    [{ "odd key": undefined }, 'state["odd key"] is undefined'],
  ])("rejects %o naming the path", (state, message) => {
    expect(() => serializeState(state)).toThrow(message);
  });
  it("rejects cycles, non-objects and states over 10 MB", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => serializeState(a)).toThrow("state.self refers back to one of its parents");
    expect(() => serializeState([1])).toThrow("plain JSON object");
    expect(() => serializeState({ big: "x".repeat(10 * 1024 * 1024 + 1) })).toThrow(/over the 10 MB limit/);
  });
  it("allows the same object twice when it is not a cycle", () => {
    const shared = { x: 1 };
    expect(serializeState({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe("state files", () => {
  it("a missing default file is a first run; a missing explicit file is an error", () => {
    const dir = tempDir();
    expect(readStateFile({ file: path.join(dir, "state.json"), explicit: false }, "connector reset")).toEqual({});
    expect(() => readStateFile({ file: path.join(dir, "state.json"), explicit: true }, "connector reset")).toThrow(UsageError);
  });
  it("names the file and the reset command for empty, corrupt and non-object files", () => {
    const dir = tempDir();
    const cases: [string, RegExp][] = [
      ["", /is empty/],
      ["{ nope", /not valid JSON \(line 1, column 3/],
      ["[1, 2]", /must hold a JSON object, found an array/],
    ];
    for (const [text, msg] of cases) {
      const file = path.join(dir, "s.json");
      fs.writeFileSync(file, text);
      expect(() => readStateFile({ file, explicit: true }, "connector reset --yes")).toThrow(msg);
      expect(() => readStateFile({ file, explicit: true }, "connector reset --yes")).toThrow(/connector reset --yes/);
    }
  });
  it("writes atomically, leaving no temp file behind", () => {
    const dir = tempDir();
    const file = path.join(dir, "nested", "state.json");
    writeStateFile(file, { cursor: 1 });
    writeStateFile(file, { cursor: 2 });
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({ cursor: 2 });
    expect(fs.readdirSync(path.dirname(file))).toEqual(["state.json"]);
  });
});

describe("jsonErrorLocation", () => {
  it("gives line and column even when V8 gives no position", () => {
    const text = '{\n  "a": \n}';
    let err: Error | undefined;
    try {
      JSON.parse(text);
    } catch (e) {
      err = e as Error;
    }
    expect(jsonErrorLocation(text, err!)).toMatch(/^line 3, column 1: Unexpected token/);
  });
});
