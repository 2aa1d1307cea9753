import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/util/errors.js";
import { parseDuration } from "../../src/util/duration.js";
import { jsonErrorLocation } from "../../src/util/json.js";
import { readStateFile, serializeState, writeStateFile } from "../../src/state/state.js";
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

describe("limits on a state's shape, a duration and a symlinked state file", () => {
  const nested = (levels: number): Record<string, unknown> => {
    let v: Record<string, unknown> = {};
    for (let i = 1; i < levels; i++) v = { a: v };
    return v;
  };

  it("a state may nest 1,000 levels, not 1,001, in a checkpoint or in a file", () => {
    expect(() => serializeState(nested(1000))).not.toThrow();
    expect(() => serializeState(nested(1001))).toThrow(/^the state is nested more than 1,000 levels deep; a state holds cursors, not trees \(at state\.a\.a/);
    expect(() => serializeState({ list: [[[nested(998)]]] })).toThrow(/not trees \(at state\.list\[0\]\[0\]\[0\]\.a/);
    const dir = tempDir();
    const file = path.join(dir, "state.json");
    fs.writeFileSync(file, JSON.stringify(nested(1000)));
    expect(() => readStateFile({ file, explicit: true }, "connector reset")).not.toThrow();
    fs.writeFileSync(file, "\uFEFF" + JSON.stringify(nested(1001)));
    expect(() => readStateFile({ file, explicit: true }, "connector reset")).toThrow(`State file ${file}: the state is nested more than 1,000 levels deep`);
  });

  it("a duration holds at most 2^31 - 1 ms, what Node's timers can wait", () => {
    expect(parseDuration("596h")).toBe(596 * 3_600_000);
    expect(parseDuration(`${2 ** 31 - 1}ms`)).toBe(2 ** 31 - 1);
    expect(() => parseDuration(`${2 ** 31}ms`)).toThrow('the duration "2147483648ms" is too long: the longest is 596h');
    expect(() => parseDuration("597h")).toThrow(/too long/);
  });

  it("writes through a chain of symlinks to the last target, and refuses a loop", () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, "real"));
    fs.symlinkSync(path.join("real", "state.json"), path.join(dir, "middle.json"));
    fs.symlinkSync("middle.json", path.join(dir, "state.json"));
    writeStateFile(path.join(dir, "state.json"), { cursor: 1 });
    expect(fs.lstatSync(path.join(dir, "state.json")).isSymbolicLink()).toBe(true);
    expect(fs.lstatSync(path.join(dir, "middle.json")).isSymbolicLink()).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "real", "state.json"), "utf8"))).toEqual({ cursor: 1 });
    expect(fs.readdirSync(path.join(dir, "real"))).toEqual(["state.json"]);
    fs.symlinkSync("loop-b", path.join(dir, "loop-a"));
    fs.symlinkSync("loop-a", path.join(dir, "loop-b"));
    expect(() => writeStateFile(path.join(dir, "loop-a"), { cursor: 1 })).toThrow(/loop of symbolic links/);
  });
});
