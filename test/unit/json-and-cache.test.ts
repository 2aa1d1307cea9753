import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createJiti } from "jiti";
import { describe, expect, it } from "vitest";
import { findDuplicateKey } from "../../src/util/json-duplicates.js";
import { cachedTransform } from "../../src/project/transform-cache.js";

describe("a duplicate key in configuration.json", () => {
  it("is placed inside the object that holds it, not under a key of an earlier sibling", () => {
    const d = findDuplicateKey('{"arr":[{"x":1},{"y":1,"y":2}]}')!;
    expect(d.key).toBe("y");
    expect(d.path).not.toContain("x");
    expect(findDuplicateKey('{"a":{"x":1},"b":{"y":1,"y":2}}')!.path).toEqual(["b"]);
  });
});

describe("the connector compile cache", () => {
  it("does not run a cached file that others can write: it compiles the source again", () => {
    const dir = path.join(os.tmpdir(), `connector-sdk-compiled-${process.getuid!()}`);
    const marker = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const source = `export default { n: ${marker} };\n`;
    const options = { source, filename: "/nowhere/connector.ts", ts: true };
    const before = new Set(fs.existsSync(dir) ? fs.readdirSync(dir) : []);
    const first = cachedTransform(options, createJiti).code;
    // The end-to-end files' CLIs compile into the same folder meanwhile: this source's entry is the new one that holds its marker.
    const holds = (f: string): boolean => {
      try {
        return fs.readFileSync(path.join(dir, f), "utf8").includes(marker);
      } catch {
        return false;
      }
    };
    const added = fs.readdirSync(dir).filter((f) => !before.has(f) && f.endsWith(".js") && holds(f));
    expect(added).toHaveLength(1);
    const file = path.join(dir, added[0]!);
    try {
      expect(cachedTransform(options, createJiti).code).toBe(first);
      fs.writeFileSync(file, "throw new Error('planted')");
      fs.chmodSync(file, 0o666);
      expect(cachedTransform(options, createJiti).code).toBe(first);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
