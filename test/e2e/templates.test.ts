import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cli, ROOT, tempDir } from "../helpers.js";
import { connectorOnPath, linkNodeModules } from "../support/npm-stand-in.js";
import { typecheck } from "../support/typecheck.js";

type Rec = Record<string, unknown>;

function editJson<T>(file: string, edit: (data: T) => void): void {
  const data = JSON.parse(fs.readFileSync(file, "utf8")) as T;
  edit(data);
  fs.writeFileSync(file, JSON.stringify(data, null, 2));
}

/**
 * The edit each README asks for, by its exact words: a README that changes its words
 * fails here until the edit below is made to match.
 */
const EDITS: Record<string, Record<string, (dir: string) => void>> = {
  cursor: {
    "edit data/users.json: change a name and set its updated_at to 2024-04-01T00:00:00Z": (dir) =>
      editJson<Rec[]>(path.join(dir, "data/users.json"), (users) => Object.assign(users.find((u) => u.id === 3)!, { name: "Renamed", updated_at: "2024-04-01T00:00:00Z" })),
  },
  pagination: {
    "append an event with id 24 to data/events.json": (dir) =>
      editJson<Rec[]>(path.join(dir, "data/events.json"), (events) => events.push({ id: 24, kind: "login", user_id: 101, occurred_at: "2024-05-02T00:00:00Z" })),
  },
  "multi-table": {
    "edit data/departments.json: change a globex department and set its updated_at to 2024-09-01T00:00:00Z": (dir) =>
      editJson<Rec[]>(path.join(dir, "data/departments.json"), (ds) => Object.assign(ds.find((d) => d.company_id === "globex")!, { head_count: 99, updated_at: "2024-09-01T00:00:00Z" })),
  },
  "rest-api": {
    // User 3 is not the last one: its id falls back while the timestamp advances.
    "edit fixtures/users.json: change a plan and set that user's updated_at to 2024-07-01T00:00:00Z": (dir) =>
      editJson<Rec[]>(path.join(dir, "fixtures/users.json"), (users) => Object.assign(users.find((u) => u.id === 3)!, { plan: "enterprise", updated_at: "2024-07-01T00:00:00Z" })),
  },
  hello: {},
};

/** The lines of the first ```sh block under a README heading. */
function steps(readme: string, heading: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  const block = section && /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error(`the README has no sh block under "## ${heading}"`);
  return block[1]!.split("\n").map((l) => l.trim()).filter(Boolean);
}

/**
 * Runs every step of the README's "Run it" and "Test it" blocks in order, as a user would
 * type them, and returns the steps without their comments.
 */
async function followReadme(template: string, dir: string, tmp: string): Promise<string[]> {
  const readme = fs.readFileSync(path.join(dir, "README.md"), "utf8");
  const env = {
    PATH: `${connectorOnPath()}${path.delimiter}${process.env.PATH}`,
    TMPDIR: tmp,
    NO_COLOR: "1",
    CI: "true",
    CONNECTOR_STATE: "",
    CONNECTOR_CONFIGURATION: "",
    CONNECTOR_NAMING: "",
    npm_config_update_notifier: "false",
  };
  const done: string[] = [];
  for (const line of [...steps(readme, "Run it"), ...steps(readme, "Test it")]) {
    if (line.startsWith("#")) {
      const edit = EDITS[template]![line.replace(/^#\s*/, "")];
      if (!edit) throw new Error(`${template}: no edit in this test for the README step "${line}"`);
      edit(dir);
      done.push(line);
    } else {
      const command = line.replace(/\s+#\s.*$/, "");
      if (command === "npm install") linkNodeModules(dir);
      else if (command === "npm run typecheck") {
        // As npm runs it: its pre-script through npm, then its script, which is tsc --noEmit, typechecked in this process (typecheck()).
        const script = (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
        expect(script.typecheck, `${template}: the typecheck script`).toBe("tsc --noEmit");
        const pre = await execa("bash", ["-c", "npm run pretypecheck"], { cwd: dir, env, extendEnv: true, reject: false, stdin: "ignore", all: true });
        expect(pre.exitCode, `${template}: \`npm run pretypecheck\` failed:\n${pre.all}`).toBe(0);
        const tsc = typecheck(dir);
        expect(tsc.exitCode, `${template}: \`tsc --noEmit\` failed:\n${tsc.output}`).toBe(0);
      } else {
        const before = fs.readdirSync(tmp);
        const r = await execa("bash", ["-c", command], { cwd: dir, env, extendEnv: true, reject: false, stdin: "ignore", all: true });
        expect(r.exitCode, `${template}: \`${command}\` failed:\n${r.all}`).toBe(0);
        // No lint, no warning of any kind, on a template used as its README says.
        if (command.startsWith("connector ")) expect(String(r.stderr), `${template}: \`${command}\``).not.toMatch(/warning/i);
        if (command === "npm test") {
          expect(String(r.stdout)).toMatch(/Tests\s+\d+ passed/);
          // The template's test removed the folders it made.
          expect(fs.readdirSync(tmp).filter((f) => !before.includes(f) && !f.startsWith("vitest"))).toEqual([]);
        }
      }
      done.push(command);
    }
  }
  return done;
}

describe("each template, following its README literally", () => {
  for (const template of Object.keys(EDITS)) {
    it(`${template}: every README step succeeds, with no warning, and the template's own npm test and typecheck pass after the edit`, async () => {
      const dir = path.join(tempDir(), template);
      expect((await cli(["init", dir, "--template", template], { cwd: tempDir() })).exitCode).toBe(0);
      const tmp = tempDir("template-tmp-");
      const done = await followReadme(template, dir, tmp);
      expect(done).toEqual(expect.arrayContaining(["npm install", "connector reset --yes"]));
      expect(done.indexOf("npm test")).toBeGreaterThan(done.indexOf("npm install"));
      expect(done.indexOf("npm run typecheck")).toBeGreaterThan(done.indexOf("npm install"));
      // Every README edit step was done, before the tests ran; hello has none.
      const edits = done.filter((l) => l.startsWith("#"));
      expect(edits).toHaveLength(Object.keys(EDITS[template]!).length);
      for (const e of edits) expect(done.indexOf(e)).toBeLessThan(done.indexOf("npm test"));
    });
  }

  it("multi-table with 10 companies and their departments: no warning, however many cursors the state holds", async () => {
    const dir = path.join(tempDir(), "many");
    expect((await cli(["init", dir, "--template", "multi-table"], { cwd: tempDir() })).exitCode).toBe(0);
    const companies = Array.from({ length: 10 }, (_, i) => ({ id: `co${i}`, name: `Company ${i}`, updated_at: new Date(Date.UTC(2024, 7, 1, i)).toISOString() }));
    const departments = companies.flatMap((c, i) =>
      ["eng", "ops", "sales"].map((id, j) => ({ company_id: c.id, id, name: id, head_count: j, updated_at: new Date(Date.UTC(2024, 7, 2 + j, i)).toISOString() })),
    );
    fs.writeFileSync(path.join(dir, "data/companies.json"), JSON.stringify(companies));
    fs.writeFileSync(path.join(dir, "data/departments.json"), JSON.stringify(departments));
    const first = await cli(["debug"], { cwd: dir });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^Checkpoints\s+\| 11$/m);
    expect(first.stderr).not.toMatch(/warning/i);
  });

  it("the bundled examples run twice with no warning", async () => {
    for (const name of fs.readdirSync(path.join(ROOT, "examples"))) {
      const dir = path.join(tempDir(), name);
      fs.cpSync(path.join(ROOT, "examples", name), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}files`) });
      for (let run = 1; run <= 2; run++) {
        const r = await cli(["debug"], { cwd: dir });
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stderr, `${name}, run ${run}`).not.toMatch(/warning/i);
      }
    }
  });
});
