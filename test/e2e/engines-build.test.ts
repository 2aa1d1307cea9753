/**
 * `connector build`: the generated files' content, and the exact command each Dockerfile's
 * ENTRYPOINT names, run from a copy of the project laid out as the image lays it out (no
 * Docker engine here): the project in its WORKDIR, connector-sdk in its node_modules.
 */
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { cli, fixtureProject, ROOT, tempDir } from "../helpers.js";
import { lines, type Message } from "../engines/engines.js";

const read = (dir: string, file: string): string => fs.readFileSync(path.join(dir, file), "utf8");

/**
 * The builds' temporary folder, shared by this file's tests: its first build packs connector-sdk with npm and the others
 * take the tarball from the pack cache in it (sdk-pack-cache.ts), as a user's second build does. Never the machine's own
 * /tmp, where an earlier run's tarball would mean no build here ran npm pack at all.
 */
const PACKED = tempDir("connector-packed-");
const build = (target: string, dir: string, env: Record<string, string> = {}) => cli(["build", "--target", target], { cwd: dir, env: { TMPDIR: PACKED, ...env } });

/** Whether a .dockerignore excludes a path (relative, with /): the last pattern that matches it or a folder above it decides. */
function ignoredBy(dockerignore: string): (rel: string) => boolean {
  const rules = dockerignore
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const negated = line.startsWith("!");
      const pattern = negated ? line.slice(1) : line;
      return { negated, re: new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`) };
    });
  return (rel) => {
    const parts = rel.split("/");
    let out = false;
    for (const r of rules) if (parts.some((_, i) => r.re.test(parts.slice(0, i + 1).join("/")))) out = !r.negated;
    return out;
  };
}

/**
 * The project as the Dockerfile leaves it in WORKDIR: `COPY . .` minus the .dockerignore entries, and connector-sdk
 * installed from the tarball the Dockerfile names (its own dependencies, which npm would fetch, are this checkout's).
 */
function imageLayout(project: string, dockerfile: string, dockerignore: string): string {
  const workdir = path.join(tempDir(), "connector");
  const ignored = ignoredBy(dockerignore);
  fs.cpSync(project, workdir, { recursive: true, filter: (src) => src === project || !ignored(path.relative(project, src).split(path.sep).join("/")) });
  const tarball = /^ && npm install --omit=dev --no-save --no-audit --no-fund \.\/(\S+\.tgz)$/m.exec(dockerfile)![1]!;
  expect(dockerfile).toContain(`\nCOPY ${tarball} ${tarball}\n`);
  const sdk = path.join(workdir, "node_modules", "connector-sdk");
  fs.mkdirSync(sdk, { recursive: true });
  execFileSync("tar", ["-xzf", path.join(workdir, tarball), "-C", sdk, "--strip-components=1"]);
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(sdk, "node_modules"));
  fs.mkdirSync(path.join(workdir, "node_modules", ".bin"));
  fs.symlinkSync("../connector-sdk/bin/connector.js", path.join(workdir, "node_modules", ".bin", "connector"));
  return workdir;
}

/** A Dockerfile instruction's JSON array (ENTRYPOINT, CMD). */
const jsonForm = (dockerfile: string, instruction: string): string[] => JSON.parse(new RegExp(`^${instruction} (\\[.*\\])$`, "m").exec(dockerfile)![1]!) as string[];

describe("connector build", () => {
  it("--target airbyte: a Node 20 Dockerfile whose entrypoint, run as the image lays out the project, is the Airbyte source", async () => {
    const dir = fixtureProject("engines-shop");
    // npm writes a log for every command it runs (npm_config_logs_dir): how many times the builds ran npm.
    const firstLogs = tempDir();
    const r = await build("airbyte", dir, { npm_config_logs_dir: firstLogs });
    expect(r.exitCode).toBe(0);
    expect(fs.readdirSync(firstLogs).length).toBeLessThanOrEqual(1);
    const out = path.join(dir, "build", "airbyte");
    const dockerfile = read(out, "Dockerfile");
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toMatch(/^WORKDIR \/connector$/m);
    // connector-sdk from the tarball packed into the build, never from a registry.
    expect(dockerfile).toContain("\nCOPY build/airbyte/connector-sdk-0.1.0.tgz build/airbyte/connector-sdk-0.1.0.tgz\n");
    expect(dockerfile).toContain("\nRUN npm install --omit=dev --no-audit --no-fund \\\n && npm install --omit=dev --no-save --no-audit --no-fund ./build/airbyte/connector-sdk-0.1.0.tgz\nCOPY . .\n");
    expect(dockerfile).not.toContain("connector-sdk@");
    const packed = execFileSync("tar", ["-tzf", path.join(out, "connector-sdk-0.1.0.tgz")], { encoding: "utf8" }).split("\n");
    expect(packed).toEqual(expect.arrayContaining(["package/package.json", "package/bin/connector.js", "package/dist/cli.js"]));
    expect(dockerfile).toMatch(/^ENV AIRBYTE_ENTRYPOINT="\/connector\/node_modules\/\.bin\/connector airbyte"$/m);
    expect(jsonForm(dockerfile, "ENTRYPOINT")).toEqual(["/connector/node_modules/.bin/connector", "airbyte"]);
    expect(dockerfile).toMatch(/^LABEL io\.airbyte\.name="airbyte\/source-engines-shop"$/m);
    expect(dockerfile).toMatch(/^LABEL io\.airbyte\.version="1\.2\.3"$/m);
    expect(read(out, "metadata.yaml")).toMatch(/connectorType: source\n[\s\S]*dockerRepository: airbyte\/source-engines-shop\n  dockerImageTag: 1\.2\.3\n/);
    const readme = read(out, "README.md");
    expect(readme).toContain("docker build -f build/airbyte/Dockerfile -t airbyte/source-engines-shop:1.2.3 .");
    expect(readme).toContain("Add a new Docker connector");
    // Built again, the same connector-sdk comes from the pack cache: not packed by npm again, and the same bytes.
    const againLogs = tempDir();
    expect((await build("docker", dir, { npm_config_logs_dir: againLogs })).exitCode).toBe(0);
    expect(fs.readdirSync(againLogs)).toEqual([]);
    expect(fs.readFileSync(path.join(dir, "build", "docker", "connector-sdk-0.1.0.tgz")).equals(fs.readFileSync(path.join(out, "connector-sdk-0.1.0.tgz")))).toBe(true);

    const workdir = imageLayout(dir, dockerfile, read(out, "Dockerfile.dockerignore"));
    expect(fs.readdirSync(path.join(workdir, "build"))).toEqual(["airbyte"]);
    const [command, ...args] = jsonForm(dockerfile, "ENTRYPOINT").map((a) => a.replace(/^\/connector/, workdir));
    const spec = lines(execFileSync(command!, [...args, "spec"], { cwd: workdir, encoding: "utf8" }));
    expect(spec[0]!.spec.connectionSpecification.properties.api_key.airbyte_secret).toBe(true);
    // The local configuration.json, with its live API key, stays out of the image: Airbyte passes the configuration.
    expect(fs.existsSync(path.join(workdir, "configuration.json"))).toBe(false);
    const secrets = tempDir();
    fs.writeFileSync(path.join(secrets, "config.json"), read(dir, "configuration.json"));
    const check = lines(execFileSync(command!, [...args, "check", "--config", path.join(secrets, "config.json")], { cwd: workdir, encoding: "utf8" }));
    expect(check.at(-1)).toEqual({ type: "CONNECTION_STATUS", connectionStatus: { status: "SUCCEEDED" } });
  });

  it("--target airbyte, a connector without a configuration schema or schema(): the image's spec lists configuration.json's keys, never its values, and it discovers the streams debug saw", async () => {
    const dir = path.join(tempDir(), "My Shop");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "connector.ts"), 'import { op } from "connector-sdk";\nexport default { update() { op.upsert("orders", { id: 1, amount: 2.5 }); op.checkpoint({}); } };\n');
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ api_key: "sk-live-in-the-image", region: "eu" }));
    // No schema() and no warehouse: an image that could discover no stream is refused.
    const refused = await build("airbyte", dir);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("This connector has no schema(), so its streams are the tables `connector debug` wrote, and the project has no warehouse yet, so the image could discover no stream. Declare the tables in schema(), or run `connector debug` first.");
    expect(fs.existsSync(path.join(dir, "build"))).toBe(false);

    expect((await cli(["debug"], { cwd: dir })).exitCode).toBe(0);
    const local = lines((await cli(["airbyte", "discover", "--config", "configuration.json"], { cwd: dir, stripFinalNewline: false })).stdout).at(-1)!;
    expect(local.catalog.streams.map((st: Message) => [st.name, st.source_defined_primary_key, Object.keys(st.json_schema.properties)])).toEqual([["orders", [["_fivetran_id"]], ["_fivetran_id", "id", "amount", "_ab_cdc_deleted_at"]]]);
    expect((await build("airbyte", dir)).exitCode).toBe(0);
    const dockerfile = read(path.join(dir, "build", "airbyte"), "Dockerfile");
    expect(dockerfile).not.toContain("sk-live-in-the-image");
    expect(JSON.parse(read(path.join(dir, "build", "airbyte"), "streams.json")).streams.map((st: Message) => st.name)).toEqual(["orders"]);
    const workdir = imageLayout(dir, dockerfile, read(path.join(dir, "build", "airbyte"), "Dockerfile.dockerignore"));
    expect(fs.existsSync(path.join(workdir, "files"))).toBe(false);
    // The Dockerfile's RUN that writes the keys, run in the image's layout.
    const run = /^RUN (printf .*)$/m.exec(dockerfile)![1]!;
    execFileSync("sh", ["-c", run], { cwd: workdir });
    const [command, ...args] = jsonForm(dockerfile, "ENTRYPOINT").map((a) => a.replace(/^\/connector/, workdir));
    const out = execFileSync(command!, [...args, "spec"], { cwd: workdir, encoding: "utf8" });
    expect(out).not.toContain("sk-live-in-the-image");
    const spec = lines(out)[0]!.spec.connectionSpecification;
    expect(Object.keys(spec.properties)).toEqual(["api_key", "region"]);
    expect(spec.properties.api_key.airbyte_secret).toBe(true);
    // Without the warehouse, the image discovers the streams the build froze: the same catalog.
    const secrets = tempDir();
    fs.writeFileSync(path.join(secrets, "config.json"), read(dir, "configuration.json"));
    const discovered = lines(execFileSync(command!, [...args, "discover", "--config", path.join(secrets, "config.json")], { cwd: workdir, encoding: "utf8" })).at(-1)!;
    expect(discovered).toEqual(local);
    expect(dockerfile).toMatch(/^LABEL io\.airbyte\.name="airbyte\/source-my-shop"$/m);
    // The tap's --about names it as the singer target names its executable and meltano.yml plugin.
    expect((await build("singer", dir)).exitCode).toBe(0);
    expect(read(path.join(dir, "build", "singer"), "meltano.yml")).toContain("- name: tap-my-shop\n");
    expect(fs.existsSync(path.join(dir, "build", "singer", "streams.json"))).toBe(true);
    expect(JSON.parse((await cli(["singer", "--about", "--format", "json"], { cwd: dir })).stdout).name).toBe("tap-my-shop");
  });

  it("--target singer: an executable tap-<name> that runs connector singer on the project, and a meltano.yml extractor", async () => {
    const dir = fixtureProject("engines-shop");
    expect((await build("singer", dir)).exitCode).toBe(0);
    const tap = path.join(dir, "build", "singer", "tap-engines-shop");
    expect(fs.statSync(tap).mode & 0o111).toBe(0o111);
    expect(read(path.dirname(tap), "tap-engines-shop")).toContain('singer "$project" "$@"');
    // Without connector on the PATH, from another folder: the CLI that built it.
    const about = JSON.parse(execFileSync(tap, ["--about", "--format", "json"], { cwd: tempDir(), encoding: "utf8", env: { PATH: path.dirname(process.execPath) + ":/usr/bin:/bin" } }));
    expect(about).toMatchObject({ name: "tap-engines-shop", version: "1.2.3" });
    const run = lines(execFileSync(tap, ["--config", path.join(dir, "configuration.json")], { cwd: tempDir(), encoding: "utf8" }));
    expect(run.filter((m) => m.type === "RECORD")).toHaveLength(40);
    const meltano = read(path.dirname(tap), "meltano.yml");
    expect(meltano).toContain("    - name: tap-engines-shop\n      namespace: tap_engines_shop\n      executable: ./build/singer/tap-engines-shop\n");
    expect(meltano).toContain("      capabilities:\n        - catalog\n        - discover\n        - state\n        - about\n        - activate-version\n");
    expect(meltano).toContain("        - name: api_key\n          sensitive: true\n        - name: until\n");
  });

  it("--target docker: an image for connector run, configuration and destination from the environment", async () => {
    const dir = fixtureProject("engines-shop");
    expect((await build("docker", dir)).exitCode).toBe(0);
    const dockerfile = read(path.join(dir, "build", "docker"), "Dockerfile");
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toMatch(/CONNECTOR_CONFIGURATION[\s\S]*CONNECTOR_DESTINATION[\s\S]*PGPASSWORD/);
    const entrypoint = jsonForm(dockerfile, "ENTRYPOINT");
    expect(entrypoint).toEqual(["/connector/node_modules/.bin/connector", "run", "/connector"]);
    const workdir = imageLayout(dir, dockerfile, read(path.join(dir, "build", "docker"), "Dockerfile.dockerignore"));
    const secrets = tempDir();
    fs.writeFileSync(path.join(secrets, "config.json"), read(dir, "configuration.json"));
    const warehouse = path.join(tempDir(), "w.db");
    const [command, ...args] = [...entrypoint, ...jsonForm(dockerfile, "CMD")].map((a) => a.replace(/^\/connector/, workdir));
    execFileSync(command!, args, { cwd: workdir, env: { ...process.env, CONNECTOR_CONFIGURATION: path.join(secrets, "config.json"), CONNECTOR_DESTINATION: `sqlite:${warehouse}`, CONNECTOR_STATE: "" } });
    const db = new Database(warehouse, { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM customers WHERE _fivetran_deleted = 0").get()).toEqual({ n: 20 }); // 23 customers, 3 of them deleted
    db.close();
  });

  it("an npm pack that fails is a failed build: exit 1 and npm's own words, no stack trace", async () => {
    const dir = fixtureProject("engines-shop");
    // An npm that fails as a full disk makes it fail, first on the PATH.
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, "npm"), `#!/bin/sh\necho "npm error code ENOSPC" >&2\necho "npm error nospc no space left on device, write" >&2\nexit 228\n`, { mode: 0o755 });
    const r = await build("docker", dir, { PATH: `${bin}${path.delimiter}${process.env.PATH}` });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain(`Error: Cannot pack connector-sdk (${ROOT}) into ${path.join(dir, "build", "docker")} for the image: npm pack failed (exit code 228): npm error code ENOSPC npm error nospc no space left on device, write`);
    expect(r.stderr).not.toMatch(/Internal error|\n\s+at /);
  });

  it("--target is required and checked", async () => {
    const dir = fixtureProject("engines-shop");
    const r = await build("kubernetes", dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Error: --target must be one of airbyte, singer, docker, got "kubernetes".');
  });
});
