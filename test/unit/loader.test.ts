import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/util/errors.js";
import { loadConnector } from "../../src/project/loader.js";
import { findConnectorFile, project } from "../../src/project/project.js";
import { makeProject } from "../helpers.js";

const load = async (files: Record<string, string>) => {
  const dir = makeProject(files);
  return loadConnector(findConnectorFile(project(dir)));
};

const rejection = async (files: Record<string, string>): Promise<UsageError> => {
  try {
    await load(files);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error("expected loading to fail");
};

describe("loadConnector", () => {
  it("loads a TypeScript connector with types and top-level await, importing connector-sdk with no node_modules", async () => {
    const def = await load({
      "connector.ts": `import { Connector } from "connector-sdk";\nconst n: number = await Promise.resolve(1);\nexport default new Connector({ update: (c: Record<string, string>) => { void n; } });\n`,
    });
    expect(typeof def.update).toBe("function");
  });

  it("accepts the export named connector, and plain objects", async () => {
    expect(typeof (await load({ "connector.mjs": `export const connector = { update() {}, schema() { return []; } };` })).schema).toBe("function");
  });

  it("reports a syntax error with file, line and column", async () => {
    const e = await rejection({ "connector.ts": `export default {\n  update() {\n    const x = ;\n  }\n};\n` });
    expect(e.message).toMatch(/connector\.ts:3:\d+/);
  });

  it("reports a missing import by name", async () => {
    const e = await rejection({ "connector.ts": `import { x } from "no-such-package-here";\nexport default { update() { x(); } };\n` });
    expect(e.message).toContain("Cannot find module 'no-such-package-here'");
  });

  it("reports an export that is not a connector, and a missing update", async () => {
    expect((await rejection({ "connector.ts": `export default 42;` })).message).toContain("found default (42)");
    expect((await rejection({ "connector.ts": `export default { schema() { return []; } };` })).message).toContain("does not export a connector");
  });
});

describe("a connector in the compile cache", () => {
  const cacheDir = path.join(os.tmpdir(), `connector-sdk-compiled-${process.getuid!()}`);
  const loadedBy = (): unknown => (globalThis as { __loadedBy?: unknown }).__loadedBy;

  it("runs without jiti, from the code jiti compiled and cached; a JITI_ setting sends it through jiti again", async () => {
    const nonce = `n${Date.now()}${Math.floor(Math.random() * 1e9)}`;
    const dir = makeProject({ "connector.ts": `import path from "node:path";\n// ${nonce}\nexport default { update() { void path.sep; } };\n` });
    const file = findConnectorFile(project(dir));
    await loadConnector(file);
    const cached = fs.readdirSync(cacheDir).map((f) => path.join(cacheDir, f)).filter((f) => fs.readFileSync(f, "utf8").includes(nonce));
    expect(cached).toHaveLength(1);
    // Whether jiti's evalModule calls the compiled code shows in the stack of its first, synchronous step.
    fs.writeFileSync(cached[0]!, `"use strict";globalThis.__loadedBy = /jiti\\.cjs/.test(new Error().stack) ? "jiti" : "cache";exports.default = { update() {} }; // ${nonce}\n`);
    try {
      expect(typeof (await loadConnector(file)).update).toBe("function");
      expect(loadedBy()).toBe("cache");
      vi.stubEnv("JITI_SOURCE_MAPS", "false");
      expect(typeof (await loadConnector(file)).update).toBe("function");
      expect(loadedBy()).toBe("jiti");
    } finally {
      vi.unstubAllEnvs();
      fs.rmSync(cached[0]!, { force: true });
    }
  });
});

describe("a connector.ts that is a symbolic link", () => {
  it("is named by the link's path, as jiti names it, when its compiled code comes from the cache too", async () => {
    const nonce = `n${Date.now()}${Math.floor(Math.random() * 1e9)}`;
    const real = makeProject({ "shared.ts": `import path from "node:path";\n// ${nonce}\nthrow new Error("no configuration yet");\nexport default { update() { void path.sep; } };\n` });
    const dir = makeProject({});
    fs.symlinkSync(path.join(real, "shared.ts"), path.join(dir, "connector.ts"));
    const file = findConnectorFile(project(dir));
    const frame = `at ${path.join(dir, "connector.ts")}:3:7`;
    // The first load compiles through jiti and fills the cache; the second runs the cached code without jiti.
    for (const run of ["jiti", "cached"]) {
      const e = await loadConnector(file).then(() => undefined, (e: unknown) => e as Error);
      expect(e?.message, run).toContain(`no configuration yet\n    ${frame}`);
    }
  });
});

describe("a cached connector that reaches jiti's functions without naming them", () => {
  it("gets jiti's, as through jiti: module.require, and the wrapper's import and resolve, reach a TypeScript file beside it", async () => {
    const nonce = `n${Date.now()}${Math.floor(Math.random() * 1e9)}`;
    const dir = makeProject({
      "helper.ts": `export const answer: number = 42;\n`,
      "connector.ts": `import path from "node:path";\n// ${nonce}\nconst { answer } = (module as any)["req" + "uire"]("./helper.ts");\nconst imported = (await arguments[5]("./hel" + "per.ts")).answer;\nconst resolved = String(arguments[6]("./hel" + "per.ts"));\nexport default { update() { void path.sep; }, answer, imported, resolved };\n`,
    });
    const file = findConnectorFile(project(dir));
    // The first load compiles through jiti and fills the cache; the second runs the cached code without jiti.
    const resolved = pathToFileURL(path.join(fs.realpathSync(dir), "helper.ts")).href;
    for (const run of ["jiti", "cached"]) expect((await loadConnector(file)) as unknown, run).toMatchObject({ answer: 42, imported: 42, resolved });
  });
});
