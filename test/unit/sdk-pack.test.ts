import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import zlib from "node:zlib";
import { packCache, packKey } from "../../src/engines/sdk-pack-cache.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A package root with `files: ["dist", "bin"]`, a README, and a node_modules npm pack leaves out. */
function pkg(extra: Record<string, unknown> = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "connector-pack-key-"));
  made.push(root);
  const write = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  write("package.json", JSON.stringify({ name: "p", version: "1.0.0", files: ["dist", "bin"], ...extra }));
  write("README.md", "# p\n");
  write("dist/index.js", "export const a = 1;\n");
  write("dist/deep/b.js", "export const b = 2;\n");
  write("bin/p.js", "#!/usr/bin/env node\n");
  write("node_modules/dep/index.js", "module.exports = 1;\n");
  write("src/index.ts", "export const a = 1;\n");
  return root;
}

/** An npm of the given version, as installed: lib/node_modules/npm/{package.json,bin/npm-cli.js}. */
function npm(version: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "connector-pack-npm-"));
  made.push(dir);
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "npm", version }));
  fs.writeFileSync(path.join(dir, "bin", "npm-cli.js"), "");
  return path.join(dir, "bin", "npm-cli.js");
}

describe("the pack cache's key", () => {
  it("changes with anything npm pack reads: a packed file's content, name or mode, package.json, a top-level file, or the npm that packs", () => {
    const NPM = npm("11.0.0");
    const root = pkg();
    const key = packKey(root, NPM)!;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(packKey(root, NPM)).toBe(key);
    const changed = (change: () => void, undo: () => void): string | undefined => {
      change();
      const k = packKey(root, NPM);
      undo();
      expect(packKey(root, NPM)).toBe(key);
      return k;
    };
    const file = path.join(root, "dist/deep/b.js");
    expect(changed(() => fs.writeFileSync(file, "export const b = 3;\n"), () => fs.writeFileSync(file, "export const b = 2;\n"))).not.toBe(key);
    expect(changed(() => fs.chmodSync(file, 0o755), () => fs.chmodSync(file, 0o644))).not.toBe(key);
    expect(changed(() => fs.renameSync(file, `${file}x`), () => fs.renameSync(`${file}x`, file))).not.toBe(key);
    expect(changed(() => fs.writeFileSync(path.join(root, "dist/new.js"), ""), () => fs.rmSync(path.join(root, "dist/new.js")))).not.toBe(key);
    expect(changed(() => fs.writeFileSync(path.join(root, "README.md"), "# q\n"), () => fs.writeFileSync(path.join(root, "README.md"), "# p\n"))).not.toBe(key);
    expect(changed(() => fs.writeFileSync(path.join(root, ".npmignore"), "dist/deep\n"), () => fs.rmSync(path.join(root, ".npmignore")))).not.toBe(key);
    const manifest = fs.readFileSync(path.join(root, "package.json"), "utf8");
    expect(changed(() => fs.writeFileSync(path.join(root, "package.json"), manifest.replace("1.0.0", "1.0.1")), () => fs.writeFileSync(path.join(root, "package.json"), manifest))).not.toBe(key);
    expect(packKey(root, npm("11.0.0"))).not.toBe(key);
    const npmManifest = path.join(path.dirname(NPM), "..", "package.json");
    expect(changed(() => fs.writeFileSync(npmManifest, JSON.stringify({ name: "npm", version: "11.0.1" })), () => fs.writeFileSync(npmManifest, JSON.stringify({ name: "npm", version: "11.0.0" })))).not.toBe(key);
    // What npm pack leaves out, given `files`: the key stays.
    expect(changed(() => fs.writeFileSync(path.join(root, "src/index.ts"), "changed"), () => fs.writeFileSync(path.join(root, "src/index.ts"), "export const a = 1;\n"))).toBe(key);
    expect(changed(() => fs.writeFileSync(path.join(root, "node_modules/dep/index.js"), "changed"), () => fs.writeFileSync(path.join(root, "node_modules/dep/index.js"), "module.exports = 1;\n"))).toBe(key);
  });

  it("is none where npm would choose the files by rules it cannot follow: no `files`, a glob in it, bundled dependencies", () => {
    const NPM = npm("11.0.0");
    expect(packKey(pkg({ files: undefined }), NPM)).toBeUndefined();
    expect(packKey(pkg({ files: ["dist/**/*.js"] }), NPM)).toBeUndefined();
    expect(packKey(pkg({ bundleDependencies: ["dep"] }), NPM)).toBeUndefined();
    expect(packKey(pkg({ bundledDependencies: ["dep"] }), NPM)).toBeUndefined();
  });
});

describe("the pack cache", () => {
  it("hands back the tarball it kept, and packs again rather than ship one truncated or damaged since", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "connector-pack-tmp-"));
    made.push(tmp);
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const root = pkg();
      const out = fs.mkdtempSync(path.join(tmp, "out-"));
      const tarball = zlib.gzipSync(crypto.randomBytes(8192));
      fs.writeFileSync(path.join(out, "p-1.0.0.tgz"), tarball);
      const cache = packCache(root);
      // The cache keys on the npm that packs, so it needs one on the PATH, as connector build does.
      expect(cache, "npm on the PATH").toBeDefined();
      cache!.keep(out, "p-1.0.0.tgz");
      fs.rmSync(path.join(out, "p-1.0.0.tgz"));
      expect(cache!.take(out)).toBe("p-1.0.0.tgz");
      expect(fs.readFileSync(path.join(out, "p-1.0.0.tgz")).equals(tarball)).toBe(true);
      fs.rmSync(path.join(out, "p-1.0.0.tgz"));

      const [entry] = fs.readdirSync(path.join(tmp, `connector-sdk-packed-${process.getuid!()}`)).filter((n) => n.endsWith(".tgz"));
      fs.truncateSync(path.join(tmp, `connector-sdk-packed-${process.getuid!()}`, entry!), tarball.length >> 1);
      expect(cache!.take(out)).toBeUndefined();
      expect(fs.existsSync(path.join(out, "p-1.0.0.tgz"))).toBe(false);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
  });
});
