import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, makeProject, type CliResult } from "../helpers.js";

/** A PostgreSQL password in any form of destination, from any source, is never printed (issue 20, item 5). */

const PW = "Zx9pa55w0rdLeak42";
const SPACED = "Qv7 s3cr3tPhrase Wn8k";

/** Whether any 8 characters of the secret (raw, percent-encoded or JSON-escaped) appear in the text. */
function leak(text: string, secret: string): string | undefined {
  for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
    for (let i = 0; i + 8 <= form.length; i++) if (text.includes(form.slice(i, i + 8))) return form.slice(i, i + 8);
  }
  return undefined;
}

/** Destinations whose password the CLI cannot use, so each is refused with exit 2, quoting the destination. */
const FORMS: { name: string; url: string; secret: string; says: RegExp }[] = [
  { name: "?password= in a URL", url: `postgres://etl@127.0.0.1:9/db?password=${PW}&schema=s`, secret: PW, says: /unknown parameter "password" in postgres:\/\/etl@127\.0\.0\.1:9\/db\?password=\*\*\*&schema=s; .*The password goes in the URL/ },
  { name: "?password= after a bad sslmode", url: `postgresql://etl@db/app?sslmode=bogus&password=${encodeURIComponent(PW + "/@")}`, secret: PW + "/@", says: /unknown parameter "password"|sslmode must be one of/ },
  { name: "a libpq keyword string", url: `host=127.0.0.1 port=9 dbname=db user=etl password=${PW}`, secret: PW, says: /got "host=127\.0\.0\.1 port=9 dbname=db user=etl password=\*\*\*"; libpq's keyword form/ },
  { name: "a libpq keyword string with a quoted password", url: `host=db password='${SPACED}' dbname=app`, secret: SPACED, says: /got "host=db password=\*\*\* dbname=app"/ },
  { name: "a keyword string with semicolons", url: `Host=db;Password=${SPACED};Database=app`, secret: SPACED, says: /Password=\*\*\*;Database=app/ },
];

const CONNECTOR = `import { op } from "connector-sdk";
export default { update() { op.upsert("t", { id: 1 }); op.checkpoint({ n: 1 }); } };
`;

type Source = "--destination" | "CONNECTOR_DESTINATION" | "destination.json" | "--destination file.json";
const SOURCES: Source[] = ["--destination", "CONNECTOR_DESTINATION", "destination.json", "--destination file.json"];

/** The arguments and environment that give `url` to a command through `source`. */
function given(dir: string, source: Source, url: string): { args: string[]; env: Record<string, string> } {
  if (source === "--destination") return { args: ["--destination", url], env: {} };
  if (source === "CONNECTOR_DESTINATION") return { args: [], env: { CONNECTOR_DESTINATION: url } };
  if (source === "destination.json") {
    fs.writeFileSync(path.join(dir, "destination.json"), JSON.stringify({ url }));
    return { args: [], env: {} };
  }
  fs.writeFileSync(path.join(dir, "prod.json"), JSON.stringify({ url, password_env: "WAREHOUSE_PASSWORD" }));
  return { args: ["--destination", "prod.json"], env: { WAREHOUSE_PASSWORD: "unused-here" } };
}

describe("a destination's password in a refusal", () => {
  for (const form of FORMS) {
    for (const source of SOURCES) {
      it(`${form.name}, from ${source}: hidden in plain and JSON output of every command that reads it`, async () => {
        const dir = makeProject({ "connector.ts": CONNECTOR });
        const { args, env } = given(dir, source, form.url);
        const commands: [string, string[]][] = [
          ["run", ["run", ...args]],
          ["run --log-format json", ["run", ...args, "--log-format", "json"]],
          ["run --log-format json --json", ["run", ...args, "--log-format", "json", "--json"]],
        ];
        // The maintenance commands read --destination and CONNECTOR_DESTINATION, not destination.json.
        if (source !== "destination.json") {
          commands.push(
            ["inspect --json", ["inspect", ...args, "--json"]],
            ["state show --json", ["state", "show", ...args, "--json"]],
            ["reset --yes", ["reset", ...args, "--yes"]],
            ["verify --json", ["verify", ...args, "--json"]],
            ["debug --json", ["debug", ...args, "--json"]],
          );
        }
        const results: [string, CliResult][] = [];
        for (const [name, argv] of commands) results.push([name, await cli(argv, { cwd: dir, env })]);
        for (const [name, r] of results) {
          const where = `${name}:\n--- stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
          // CONNECTOR_DESTINATION that is not a URL is only debug's kind, which the maintenance commands ignore.
          const ignored = source === "CONNECTOR_DESTINATION" && !form.url.includes("://") && !/^(run|debug)/.test(name);
          if (!ignored) expect(r.exitCode, where).toBe(2);
          for (const text of [r.stdout, r.stderr]) expect(leak(text, form.secret), where).toBeUndefined();
          if (name.startsWith("run --log-format json")) {
            // Every line is JSON, on stdout: the refusal is the message of its error line.
            expect(r.stderr, where).toBe("");
            const lines = r.stdout.trim().split("\n").map((line) => JSON.parse(line) as { message?: string });
            expect(lines.map((l) => l.message ?? "").join("\n"), where).toMatch(form.says);
          } else if (name.startsWith("run")) expect(r.stdout + r.stderr, where).toMatch(form.says);
        }
      });
    }
  }
});

describe("a destination typed where the CLI does not expect one", () => {
  it("without --destination (taken for the project folder or a command), with # or a space in ?password=, or ; in libpq's form: still hidden", async () => {
    const dir = makeProject({ "connector.ts": CONNECTOR });
    const cases: [string[], string][] = [
      [["run", `postgres://etl:${PW}@db/app`], PW],
      [["run", `postgres://etl@db/app?password=${PW}`, "--log-format", "json"], PW],
      [[`postgres://etl:${PW}@db/app`], PW],
      [["inspect", "--project", `postgres://etl:${PW}@db/app`], PW],
      [["test", `postgres://etl:${PW}@db/app`], PW],
      [["run", "--destination", `postgres://etl@db/app?password=${SPACED}#x`], SPACED],
      [["run", "--destination", `host=db password=${PW};x dbname=app`], `${PW};x`],
    ];
    for (const [args, secret] of cases) {
      const r = await cli(args, { cwd: dir });
      const where = `${args.join(" ")}:\n${r.stdout}\n${r.stderr}`;
      expect(r.exitCode, where).toBe(2);
      for (const text of [r.stdout, r.stderr]) expect(leak(text, secret), where).toBeUndefined();
    }
  });
});
