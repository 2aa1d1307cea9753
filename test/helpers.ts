import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { execFileSync, spawn } from "node:child_process";
import { execa, type Options } from "execa";

export const ROOT = path.resolve(fileURLToPath(import.meta.url), "../..");
export const BIN = path.join(ROOT, "bin", "connector.js");
export const FIXTURES = path.join(ROOT, "test", "fixtures");

const VT = /\u001b\[[0-9;?]*[A-Za-z]/g;
export const stripVT = (s: string): string => s.replace(VT, "");

const created: string[] = [];

/** A fresh folder under the system temp dir; test/setup.ts removes it after the test file. */
export function tempDir(prefix = "connector-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every folder tempDir() made in this test file. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** A project folder with the given files, outside this repository, so it has no node_modules. */
export function makeProject(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/**
 * A new project from a bundled template, written as `connector init <dir> --template <name>` writes it
 * (dist's copyTemplate, the package's name from the folder's), in this process: for tests whose subject is
 * what the project does next. init.test.ts runs `connector init` itself.
 */
export async function initHere(dir: string, template: string): Promise<string> {
  const { copyTemplate, packageName, sdkRange } = await import("../dist/project/templates.js");
  fs.mkdirSync(dir, { recursive: true });
  copyTemplate(template, dir, { name: packageName(dir), sdk: sdkRange() });
  return dir;
}

/** Copies a fixture folder (test/fixtures/<name>) into a fresh temporary project. */
export function fixtureProject(name: string): string {
  const dir = tempDir();
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function cli(args: string[], options: Options & { cwd: string }): Promise<CliResult> {
  const r = await execa("node", [BIN, ...args], {
    reject: false,
    stdin: "ignore",
    ...options,
    env: { NO_COLOR: "1", CONNECTOR_STATE: "", CONNECTOR_CONFIGURATION: "", CONNECTOR_NAMING: "", ...(options.env ?? {}) },
  });
  return { exitCode: r.exitCode ?? -1, stdout: stripVT(String(r.stdout)), stderr: stripVT(String(r.stderr)) };
}

export function readState(dir: string, file = "files/state.json"): unknown {
  return JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
}

export function query<T = Record<string, unknown>>(dir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dir, "files", "warehouse.db"), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** The CREATE TABLE columns of a table as SQLite reports them. */
export function sqliteColumns(dir: string, table: string): Record<string, string> {
  const rows = query<{ name: string; type: string }>(dir, `SELECT name, type FROM pragma_table_info(?)`, table);
  return Object.fromEntries(rows.map((r) => [r.name, r.type]));
}

export function logicalTypes(dir: string, table: string): Record<string, string | null> {
  const rows = query<{ column_name: string; type: string | null }>(dir, "SELECT column_name, type FROM _connector_columns WHERE table_name = ?", table);
  return Object.fromEntries(rows.map((r) => [r.column_name, r.type]));
}

/** Starts `connector debug` in the background, for tests that signal, kill or race it. */
export function startDebug(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  const child = spawn("node", [BIN, "debug", ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1", ...env } });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, exited, stderr: () => stripVT(stderr) };
}

export async function waitFor(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts `connector <args>` in the background with pipes, for tests that signal it once its output says so. */
export function startCli(dir: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn("node", [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1", CONNECTOR_STATE: "", CONNECTOR_CONFIGURATION: "", CONNECTOR_NAMING: "", ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, exited, stdout: () => stripVT(stdout), stderr: () => stripVT(stderr) };
}

/**
 * Runs `connector <args>` on a pseudo-terminal 120 columns wide (util-linux script), where
 * it shows its spinner; `type("\x03")` is Ctrl-C, which the terminal turns into SIGINT.
 */
export function onTerminal(dir: string, args: string[], env: Record<string, string> = {}) {
  const { NO_COLOR: _n, FORCE_COLOR: _f, CI: _ci, ...inherited } = process.env;
  const command = `stty cols 120 rows 40; exec node ${BIN} ${args.join(" ")}`;
  const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: dir, env: { ...inherited, TERM: "xterm", NO_COLOR: "1", CONNECTOR_STATE: "", ...env } });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, exited, output: () => stripVT(output).replace(/\r\n/g, "\n"), type: (keys: string) => child.stdin.write(keys) };
}

/** Whether process `pid` has a child process named `name` (pgrep), such as a command its connector runs synchronously. */
export function hasChild(pid: number, name: string): boolean {
  try {
    execFileSync("pgrep", ["-P", String(pid), "-x", name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Lets a process blocked reading a FIFO finish: open it for writing (if anyone still reads it) and close it. */
export function releaseFifo(fifo: string): void {
  try {
    fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
  } catch {
    // Nobody reads it any more.
  }
}

/** Runs `f` with `env` set in this process (the crash fixture reads its sizes from the environment), then puts the environment back. */
export async function withEnv<T>(env: Record<string, string>, f: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await f();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
