import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cli, ROOT, tempDir } from "../helpers.js";
import { connectorOnPath, linkNodeModules } from "../support/npm-stand-in.js";
import { typecheck } from "../support/typecheck.js";

// A project made by `connector init` can be copied, committed and shipped (issue 20, item 22): no
// file names a path of the machine it was made on, and on another machine, where connector-sdk is
// on no registry, it runs, installs, tests and typechecks, finding the SDK through the CLI.

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

async function npm(dir: string, script: string) {
  const env = { PATH: `${connectorOnPath()}${path.delimiter}${process.env.PATH}`, NO_COLOR: "1", CI: "true", npm_config_update_notifier: "false" };
  return execa("npm", ["run", script], { cwd: dir, env, reject: false, stdin: "ignore", all: true });
}

describe("a project made by connector init, on another machine", () => {
  for (const template of ["cursor", "rest-api"]) {
    it(`${template}: no machine path in any file; copied elsewhere, it runs with no install, then tests and typechecks with connector-sdk from no registry`, async () => {
      const made = path.join(tempDir(), "made-here");
      expect((await cli(["init", made, "--template", template], { cwd: tempDir() })).exitCode).toBe(0);
      for (const file of filesUnder(made)) {
        const text = fs.readFileSync(file, "utf8");
        expect(text, file).not.toContain(ROOT);
        expect(text, file).not.toContain(made);
        expect(text, file).not.toMatch(/"file:/);
      }
      expect(JSON.parse(fs.readFileSync(path.join(made, "package.json"), "utf8")).peerDependencies).toEqual({ "connector-sdk": `^${VERSION}` });

      const copy = path.join(tempDir(), "shipped", "project");
      fs.cpSync(made, copy, { recursive: true });
      fs.rmSync(made, { recursive: true });
      const debug = await cli(["debug"], { cwd: copy });
      expect(debug.exitCode, debug.stderr).toBe(0);

      linkNodeModules(copy);
      expect(fs.existsSync(path.join(copy, "node_modules", "connector-sdk"))).toBe(false);
      const test = await npm(copy, "test");
      expect(test.exitCode, test.all).toBe(0);
      expect(test.all).toContain(`Linked: ${path.join(copy, "node_modules", "connector-sdk")} → connector-sdk ${VERSION}, the copy of this connector CLI.`);
      expect(test.all).toMatch(/Tests\s+\d+ passed/);
      expect(fs.realpathSync(path.join(copy, "node_modules", "connector-sdk"))).toBe(fs.realpathSync(ROOT));
      // `npm run typecheck` as npm runs it: its pre-script (connector link) through npm, then its script, tsc --noEmit,
      // in this process (typecheck(): the project's tsconfig.json and the typescript its node_modules resolves).
      expect(JSON.parse(fs.readFileSync(path.join(copy, "package.json"), "utf8")).scripts.typecheck).toBe("tsc --noEmit");
      const pre = await npm(copy, "pretypecheck");
      expect(pre.exitCode, pre.all).toBe(0);
      expect(pre.all).toContain("Already linked");
      const tsc = typecheck(copy);
      expect(tsc.exitCode, tsc.output).toBe(0);
    });
  }
});

describe("connector link", () => {
  const project = (pkg: Record<string, unknown> = { name: "p", peerDependencies: { "connector-sdk": `^${VERSION}` } }): string => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg));
    return dir;
  };
  const link = (dir: string) => path.join(dir, "node_modules", "connector-sdk");

  it("links node_modules/connector-sdk to the CLI's own copy, takes the folder positionally, and points a stale link here again", async () => {
    const dir = project();
    const r = await cli(["link", dir], { cwd: tempDir() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.realpathSync(link(dir))).toBe(fs.realpathSync(ROOT));
    fs.unlinkSync(link(dir));
    fs.symlinkSync(path.join(tempDir(), "gone"), link(dir));
    const again = await cli(["link"], { cwd: dir });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain("Linked:");
    expect(fs.realpathSync(link(dir))).toBe(fs.realpathSync(ROOT));
  });

  it("leaves an installed copy alone, warns when the project asks for another version, and refuses a file in the way", async () => {
    const installed = project();
    fs.mkdirSync(link(installed), { recursive: true });
    fs.writeFileSync(path.join(link(installed), "package.json"), JSON.stringify({ name: "connector-sdk", version: "7.0.0" }));
    const kept = await cli(["link"], { cwd: installed });
    expect(kept.exitCode).toBe(0);
    expect(kept.stderr).toContain("connector-sdk 7.0.0 is installed in");
    expect(kept.stderr).toContain(`Warning: this project asks for connector-sdk ^${VERSION}, and 7.0.0 is not in that range`);
    expect(fs.lstatSync(link(installed)).isSymbolicLink()).toBe(false);

    const newer = project({ name: "p", peerDependencies: { "connector-sdk": "^99.0.0" } });
    const warned = await cli(["link"], { cwd: newer });
    expect(warned.exitCode).toBe(0);
    expect(warned.stderr).toContain(`Warning: this project asks for connector-sdk ^99.0.0, and ${VERSION} is not in that range`);

    const blocked = project();
    fs.mkdirSync(path.join(blocked, "node_modules"));
    fs.writeFileSync(link(blocked), "");
    const refused = await cli(["link"], { cwd: blocked });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("is in the way");
  });
});
