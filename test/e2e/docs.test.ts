/**
 * The docs check: every relative link in the README and docs/ resolves (file and heading),
 * docs/cli.md and `connector --help` name the same commands and flags, and every example
 * marked runnable (`<!-- runnable: kind -->` before its code block) runs against the built package:
 * - `setup`: the README's set-up commands (their scripts exist; the sync of the bundled example runs);
 * - `sh`: run by bash, with `connector` on the PATH, in an empty folder;
 * - `connector`: saved as connector.ts of a fresh project, typechecked, then synced twice by `connector debug`;
 * - `typecheck`: saved as example.ts (beside the README's connector when it imports ./connector.js), and typechecked.
 */
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, cli, ROOT, tempDir } from "../helpers.js";
import { typecheck as typecheckIn } from "../support/typecheck.js";

const PAGES = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const read = (page: string): string => fs.readFileSync(path.join(ROOT, page), "utf8");

/** The text outside fenced code blocks, where a link is a link. */
const prose = (text: string): string => text.replace(/^```[\s\S]*?^```/gm, "");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

describe("links", () => {
  for (const page of PAGES) {
    it(`every relative link in ${page} points at a file and heading that exist`, () => {
      const broken: string[] = [];
      for (const m of prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue;
        const [file, anchor] = target.split("#") as [string, string | undefined];
        const resolved = file === "" ? path.join(ROOT, page) : path.resolve(path.dirname(path.join(ROOT, page)), file);
        if (!fs.existsSync(resolved)) {
          broken.push(`${target}: no such file`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith(".md") && !anchors(fs.readFileSync(resolved, "utf8")).has(anchor)) broken.push(`${target}: no such heading`);
      }
      expect(broken).toEqual([]);
    });
  }
});

interface HelpCommand {
  path: string[];
  flags: string[];
  subcommands: string[];
}

/** Every command of `connector --help`, recursively, with its flags (long and short). */
async function helpTree(pathTo: string[] = []): Promise<HelpCommand[]> {
  const r = await execa("node", [BIN, ...pathTo, "--help"], { reject: false, env: { NO_COLOR: "1" } });
  const text = String(r.stdout);
  const section = (name: string): string => text.match(new RegExp(`^${name}:\\n((?:  .*\\n?|\\s*\\n)*)`, "m"))?.[1] ?? "";
  const flags = [...section("Options").matchAll(/^ {2}(-[^ ].*?)(?: {2,}|$)/gm)].flatMap((m) => m[1]!.match(/--?[A-Za-z][\w-]*/g) ?? []).filter((f) => f !== "-h" && f !== "--help");
  const subcommands = [...section("Commands").matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
  const here: HelpCommand = { path: pathTo, flags, subcommands };
  const below = await Promise.all(subcommands.map((c) => helpTree([...pathTo, c])));
  return [here, ...below.flat()];
}

/** docs/cli.md's sections `## connector <command>`, each with the flags its tables list and the subcommands its table names. */
function cliSections(): Map<string, { flags: Set<string>; subcommands: Set<string> }> {
  const sections = new Map<string, { flags: Set<string>; subcommands: Set<string> }>();
  let current: { flags: Set<string>; subcommands: Set<string> } | undefined;
  let table = "";
  for (const line of read("docs/cli.md").split("\n")) {
    const header = line.match(/^\| ([a-z ]+) \|/);
    if (header && !line.includes("`")) table = header[1]!;
    const heading = line.match(/^## connector ([a-z-]+)$/);
    if (heading) sections.set(heading[1]!, (current = { flags: new Set(), subcommands: new Set() }));
    else if (/^## /.test(line)) current = undefined;
    const cell = line.match(/^\| `([^`]+)` \|/);
    if (current && cell) {
      const flags = cell[1]!.match(/(?<![\w-])--?[A-Za-z][\w-]*/g);
      if (flags) for (const f of flags) current.flags.add(f);
      else if (table === "subcommand") current.subcommands.add(cell[1]!);
    }
  }
  return sections;
}

describe("docs/cli.md and connector --help", () => {
  it("name the same commands, subcommands and flags", async () => {
    const tree = await helpTree();
    const sections = cliSections();
    const problems: string[] = [];
    const top = tree.find((c) => c.path.length === 0)!;
    for (const name of top.subcommands) if (!sections.has(name)) problems.push(`connector ${name} has no section "## connector ${name}" in docs/cli.md`);
    for (const name of sections.keys()) if (!top.subcommands.includes(name)) problems.push(`docs/cli.md documents "connector ${name}", which connector --help does not list`);
    for (const command of tree.filter((c) => c.path.length > 0)) {
      const section = sections.get(command.path[0]!);
      if (!section) continue;
      const name = `connector ${command.path.join(" ")}`;
      if (command.path.length > 1 && !section.subcommands.has(command.path[1]!)) problems.push(`${name} is missing from the subcommand table of docs/cli.md`);
      for (const flag of command.flags) if (!section.flags.has(flag)) problems.push(`${name} ${flag} is missing from docs/cli.md`);
    }
    for (const [name, section] of sections) {
      const commands = tree.filter((c) => c.path[0] === name);
      const known = new Set(commands.flatMap((c) => c.flags));
      for (const flag of section.flags) if (!known.has(flag)) problems.push(`docs/cli.md lists ${flag} for connector ${name}, which connector ${name} --help does not have`);
      for (const sub of section.subcommands) if (!commands.some((c) => c.path[1] === sub)) problems.push(`docs/cli.md lists subcommand "${sub}" of connector ${name}, which does not exist`);
    }
    expect(problems).toEqual([]);
  });
});

interface Example {
  page: string;
  line: number;
  kind: string;
  code: string;
}

const EXAMPLES: Example[] = PAGES.flatMap((page) =>
  [...read(page).matchAll(/<!-- runnable: (\w+) -->\n```\w*\n([\s\S]*?)^```/gm)].map((m) => ({
    page,
    line: read(page).slice(0, m.index).split("\n").length,
    kind: m[1]!,
    code: m[2]!,
  })),
);
const README_CONNECTOR = EXAMPLES.find((e) => e.page === "README.md" && e.kind === "connector");

/** A folder where `connector-sdk`, zod and Node's types resolve as they would for an installed project. */
function typecheckProject(files: Record<string, string>): string {
  const dir = tempDir("connector-docs-");
  fs.mkdirSync(path.join(dir, "node_modules", "@types"), { recursive: true });
  fs.symlinkSync(ROOT, path.join(dir, "node_modules", "connector-sdk"));
  fs.symlinkSync(path.join(ROOT, "node_modules", "zod"), path.join(dir, "node_modules", "zod"));
  fs.symlinkSync(path.join(ROOT, "node_modules", "vitest"), path.join(dir, "node_modules", "vitest"));
  fs.symlinkSync(path.join(ROOT, "node_modules", "@types", "node"), path.join(dir, "node_modules", "@types", "node"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: ["node"] }, include: ["*.ts"] }),
  );
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** What `tsc -p <dir>` prints, typechecked in this process with connector-sdk's own typescript (test/support/typecheck.ts). */
const typecheck = (dir: string): string => typecheckIn(dir, ROOT).output;

describe("runnable examples", () => {
  it("the README opens with them: its set-up commands, a quick start and a connector", () => {
    expect(EXAMPLES.filter((e) => e.page === "README.md").map((e) => e.kind)).toEqual(["setup", "sh", "connector"]);
    expect(read("README.md").indexOf("<!-- runnable: setup -->")).toBeLessThan(read("README.md").indexOf("\n## "));
  });

  for (const example of EXAMPLES) {
    it(`${example.page}:${example.line} (${example.kind}) runs`, async () => {
      if (example.kind === "setup") {
        const [install, test] = example.code.trim().split("\n").map((l) => l.replace(/\s+#.*$/, "").trim());
        expect(install).toBe("npm ci && npm run build && node bin/connector.js debug examples/hello");
        expect(test).toBe("npm test");
        const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
        expect(scripts.build).toBeDefined();
        expect(scripts.test).toBeDefined();
        // The sync itself, on a copy, so that the repository's examples/hello gets no files/.
        const copy = path.join(tempDir(), "hello");
        fs.cpSync(path.join(ROOT, "examples", "hello"), copy, { recursive: true, filter: (src) => !src.includes(`${path.sep}files`) });
        const r = await cli(["debug", copy], { cwd: ROOT });
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stderr).toContain("Sync SUCCEEDED");
      } else if (example.kind === "sh") {
        const bin = tempDir();
        fs.writeFileSync(path.join(bin, "connector"), `#!/bin/sh\nexec node ${JSON.stringify(BIN)} "$@"\n`, { mode: 0o755 });
        const r = await execa("bash", ["-e", "-c", example.code], {
          cwd: tempDir(),
          reject: false,
          env: { PATH: `${bin}${path.delimiter}${process.env.PATH}`, NO_COLOR: "1", CONNECTOR_STATE: "", CONNECTOR_CONFIGURATION: "", CONNECTOR_DESTINATION: "" },
        });
        expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
      } else if (example.kind === "connector") {
        const dir = typecheckProject({ "connector.ts": example.code });
        expect(typecheck(dir)).toBe("");
        const project = tempDir();
        fs.writeFileSync(path.join(project, "connector.ts"), example.code);
        for (let run = 0; run < 2; run++) {
          const r = await cli(["debug"], { cwd: project });
          expect(r.exitCode, r.stderr).toBe(0);
        }
      } else if (example.kind === "typecheck") {
        const beside: Record<string, string> = example.code.includes(`from "./connector.js"`) ? { "connector.ts": README_CONNECTOR!.code } : {};
        const dir = typecheckProject({ ...beside, "example.ts": example.code });
        expect(typecheck(dir)).toBe("");
      } else {
        throw new Error(`unknown runnable kind "${example.kind}" at ${example.page}:${example.line}`);
      }
    });
  }
});
