import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileStateStore, MemoryStateStore } from "../../src/state/store.js";
import { tempDir } from "../helpers.js";

/** state/store.ts: the one answer to "where does the state go" for Sync, the worker host and `connector state`. */
describe("the state stores", () => {
  it("the file store: nothing before the first save, each committed state replaces the file, integers beyond 2^53 read exactly", async () => {
    const file = path.join(tempDir(), "state.json");
    const store = new FileStateStore({ file, explicit: false });
    expect(await store.load()).toBeUndefined();
    expect(store.absent).toBe(`No state file at ${file} yet: the next sync is a first run from {}.`);
    store.committed({ cursor: 1 });
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({ cursor: 1 });
    fs.writeFileSync(file, '{"big": 9007199254740993}');
    expect(await store.load()).toEqual({ big: 9007199254740993n });
    await store.save({ cursor: 2 });
    expect(await store.load()).toEqual({ cursor: 2 });
  });

  it("the file store's lock is the one it was given, released when the edit throws", async () => {
    const taken: string[] = [];
    const store = new FileStateStore({ file: path.join(tempDir(), "state.json"), explicit: false }, (purpose) => {
      taken.push(`take ${purpose}`);
      return () => taken.push("release");
    });
    await expect(store.lock("state", async () => Promise.reject(new Error("no")))).rejects.toThrow("no");
    expect(taken).toEqual(["take state", "release"]);
  });

  it("a missing file named by --state is an error, not a first run", async () => {
    const store = new FileStateStore({ file: path.join(tempDir(), "missing.json"), explicit: true });
    await expect(store.load()).rejects.toThrow("State file not found:");
  });

  it("the memory store keeps the last committed state", async () => {
    const store = new MemoryStateStore();
    expect(await store.load()).toBeUndefined();
    store.committed({ n: 1 });
    store.committed({ n: 2 });
    expect(await store.load()).toEqual({ n: 2 });
    expect(store.withRows).toBe(false);
  });
});
