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
import { lines } from "../engines/engines.js";

const read = (dir: string, file: string): string => fs.readFileSync(path.join(dir, file), "utf8");

/** The project as `COPY package*.json`, `npm install … connector-sdk` and `COPY . .` leave it in WORKDIR, minus the .dockerignore entries. */
function imageLayout(project: string, dockerignore: string): string {
  const workdir = path.join(tempDir(), "connector");
  const ignored = dockerignore.split("\n").filter(Boolean);
  fs.cpSync(project, workdir, { recursive: true, filter: (src) => !ignored.includes(path.relative(project, src).split(path.sep)[0]!) });
  fs.mkdirSync(path.join(workdir, "node_modules", ".bin"), { recursive: true });
  fs.symlinkSync(ROOT, path.join(workdir, "node_modules", "connector-sdk"));
  fs.symlinkSync("../connector-sdk/bin/connector.js", path.join(workdir, "node_modules", ".bin", "connector"));
  return workdir;
}

/** A Dockerfile instruction's JSON array (ENTRYPOINT, CMD). */
const jsonForm = (dockerfile: string, instruction: string): string[] => JSON.parse(new RegExp(`^${instruction} (\\[.*\\])$`, "m").exec(dockerfile)![1]!) as string[];

describe("connector build", () => {
  it("--target airbyte: a Node 20 Dockerfile whose entrypoint, run as the image lays out the project, is the Airbyte source", async () => {
    const dir = fixtureProject("engines-shop");
    const r = await cli(["build", "--target", "airbyte"], { cwd: dir });
    expect(r.exitCode).toBe(0);
    const out = path.join(dir, "build", "airbyte");
    const dockerfile = read(out, "Dockerfile");
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toMatch(/^WORKDIR \/connector$/m);
    expect(dockerfile).toMatch(/npm install --omit=dev .*\n.*npm install --omit=dev --no-save .*connector-sdk@0\.1\.0/);
    expect(dockerfile).toMatch(/^ENV AIRBYTE_ENTRYPOINT="\/connector\/node_modules\/\.bin\/connector airbyte"$/m);
    expect(jsonForm(dockerfile, "ENTRYPOINT")).toEqual(["/connector/node_modules/.bin/connector", "airbyte"]);
    expect(dockerfile).toMatch(/^LABEL io\.airbyte\.name="airbyte\/source-engines-shop"$/m);
    expect(dockerfile).toMatch(/^LABEL io\.airbyte\.version="1\.2\.3"$/m);
    expect(read(out, "metadata.yaml")).toMatch(/connectorType: source\n[\s\S]*dockerRepository: airbyte\/source-engines-shop\n  dockerImageTag: 1\.2\.3\n/);
    const readme = read(out, "README.md");
    expect(readme).toContain("docker build -f build/airbyte/Dockerfile -t airbyte/source-engines-shop:1.2.3 .");
    expect(readme).toContain("Add a new Docker connector");

    const workdir = imageLayout(dir, read(out, "Dockerfile.dockerignore"));
    expect(fs.existsSync(path.join(workdir, "build"))).toBe(false);
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

  it("--target airbyte, a connector without a configuration schema: the image's spec lists configuration.json's keys, never its values", async () => {
    const dir = path.join(tempDir(), "My Shop");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "connector.ts"), 'export default { update() {} };\n');
    fs.writeFileSync(path.join(dir, "configuration.json"), JSON.stringify({ api_key: "sk-live-in-the-image", region: "eu" }));
    expect((await cli(["build", "--target", "airbyte"], { cwd: dir })).exitCode).toBe(0);
    const dockerfile = read(path.join(dir, "build", "airbyte"), "Dockerfile");
    expect(dockerfile).not.toContain("sk-live-in-the-image");
    const workdir = imageLayout(dir, read(path.join(dir, "build", "airbyte"), "Dockerfile.dockerignore"));
    // The Dockerfile's RUN that writes the keys, run in the image's layout.
    const run = /^RUN (printf .*)$/m.exec(dockerfile)![1]!;
    execFileSync("sh", ["-c", run], { cwd: workdir });
    const [command, ...args] = jsonForm(dockerfile, "ENTRYPOINT").map((a) => a.replace(/^\/connector/, workdir));
    const out = execFileSync(command!, [...args, "spec"], { cwd: workdir, encoding: "utf8" });
    expect(out).not.toContain("sk-live-in-the-image");
    const spec = lines(out)[0]!.spec.connectionSpecification;
    expect(Object.keys(spec.properties)).toEqual(["api_key", "region"]);
    expect(spec.properties.api_key.airbyte_secret).toBe(true);
    expect(dockerfile).toMatch(/^LABEL io\.airbyte\.name="airbyte\/source-my-shop"$/m);
    // The tap's --about names it as the singer target names its executable and meltano.yml plugin.
    expect((await cli(["build", "--target", "singer"], { cwd: dir })).exitCode).toBe(0);
    expect(read(path.join(dir, "build", "singer"), "meltano.yml")).toContain("- name: tap-my-shop\n");
    expect(JSON.parse((await cli(["singer", "--about", "--format", "json"], { cwd: dir })).stdout).name).toBe("tap-my-shop");
  });

  it("--target singer: an executable tap-<name> that runs connector singer on the project, and a meltano.yml extractor", async () => {
    const dir = fixtureProject("engines-shop");
    expect((await cli(["build", "--target", "singer"], { cwd: dir })).exitCode).toBe(0);
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
    expect((await cli(["build", "--target", "docker"], { cwd: dir })).exitCode).toBe(0);
    const dockerfile = read(path.join(dir, "build", "docker"), "Dockerfile");
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toMatch(/CONNECTOR_CONFIGURATION[\s\S]*CONNECTOR_DESTINATION[\s\S]*PGPASSWORD/);
    const entrypoint = jsonForm(dockerfile, "ENTRYPOINT");
    expect(entrypoint).toEqual(["/connector/node_modules/.bin/connector", "run", "/connector"]);
    const workdir = imageLayout(dir, read(path.join(dir, "build", "docker"), "Dockerfile.dockerignore"));
    const secrets = tempDir();
    fs.writeFileSync(path.join(secrets, "config.json"), read(dir, "configuration.json"));
    const warehouse = path.join(tempDir(), "w.db");
    const [command, ...args] = [...entrypoint, ...jsonForm(dockerfile, "CMD")].map((a) => a.replace(/^\/connector/, workdir));
    execFileSync(command!, args, { cwd: workdir, env: { ...process.env, CONNECTOR_CONFIGURATION: path.join(secrets, "config.json"), CONNECTOR_DESTINATION: `sqlite:${warehouse}`, CONNECTOR_STATE: "" } });
    const db = new Database(warehouse, { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM customers WHERE _fivetran_deleted = 0").get()).toEqual({ n: 20 }); // 23 customers, 3 of them deleted
    db.close();
  });

  it("--target is required and checked", async () => {
    const dir = fixtureProject("engines-shop");
    const r = await cli(["build", "--target", "kubernetes"], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Error: --target must be one of airbyte, singer, docker, got "kubernetes".');
  });
});
