import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../util/errors.js";
import type { StateSource } from "../state/state.js";

export const CONNECTOR_FILES = ["connector.ts", "connector.mts", "connector.js", "connector.mjs"] as const;

export interface Project {
  dir: string;
  filesDir: string;
  warehouse: string;
  defaultStateFile: string;
  lockFile: string;
}

export function project(dir: string | undefined): Project {
  const abs = path.resolve(dir ?? ".");
  const filesDir = path.join(abs, "files");
  return {
    dir: abs,
    filesDir,
    warehouse: path.join(filesDir, "warehouse.db"),
    defaultStateFile: path.join(filesDir, "state.json"),
    lockFile: path.join(filesDir, ".connector.lock"),
  };
}

export function requireProjectDir(p: Project): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p.dir);
  } catch {
    throw new UsageError(`Project directory not found: ${p.dir}`);
  }
  if (!stat.isDirectory()) throw new UsageError(`Not a directory: ${p.dir}. ${notAFileHint(p.dir)}`);
}

/** A file given where the project folder goes (`connector debug proj/connector.ts`): the same command with the folder. */
function notAFileHint(file: string): string {
  const folder = path.relative(process.cwd(), path.dirname(file)) || ".";
  const args = process.argv.slice(2);
  const i = args.findIndex((a) => path.resolve(a) === file);
  const shown = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const again = i < 0 ? folder : ["connector", ...args.map((a, j) => shown(j === i ? folder : a))].join(" ");
  return `The argument is the project folder, the one that holds connector.ts, not a file in it: ${again}`;
}

/** files/ (or a folder above it) is a regular file: say so, rather than EEXIST or ENOTDIR from deep inside. */
export function notAFolder(dir: string): string {
  let blocker = dir;
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    try {
      if (!fs.statSync(d).isDirectory()) blocker = d;
      break;
    } catch {
      // Missing, or under a file: look further up.
    }
  }
  const where = blocker === dir ? "there" : `at ${dir}`;
  return `${blocker} is a file, but connector needs a folder ${where}: it keeps the warehouse, the state and its lock in it. Move or rename that file, then run again.`;
}

/** The read-only commands check this up front; the others meet it when they take the lock. */
export function requireFilesDir(p: Project): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p.filesDir);
  } catch {
    return;
  }
  if (!stat.isDirectory()) throw new UsageError(notAFolder(p.filesDir));
}

/** The first of connector.ts, .mts, .js, .mjs in the project. */
export function findConnectorFile(p: Project): string {
  requireProjectDir(p);
  for (const name of CONNECTOR_FILES) {
    const file = path.join(p.dir, name);
    if (fs.existsSync(file)) return file;
  }
  throw new UsageError(`No connector in ${p.dir}: expected one of ${CONNECTOR_FILES.join(", ")}.${nearMiss(p.dir) || " Run `connector init` to start one."}`);
}

/** The file a newcomer may have meant: another case (which macOS finds and Linux does not), another extension, or one in src/. */
function nearMiss(dir: string): string {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return "";
  }
  const cased = names.find((n) => (CONNECTOR_FILES as readonly string[]).includes(n.toLowerCase()));
  if (cased) return ` ${cased} is there, but file names are case-sensitive here: rename it ${cased.toLowerCase()}.`;
  if (names.includes("connector.py")) return " connector.py is there: that is a connector for Fivetran's Python SDK; port it to connector.ts (docs/porting-from-python.md).";
  const other = names.find((n) => /^connector\.[A-Za-z]+$/.test(n));
  if (other) return ` ${other} is there, but only those extensions are loaded: rename it.`;
  for (const sub of ["src", "lib"]) {
    const inside = CONNECTOR_FILES.find((n) => fs.existsSync(path.join(dir, sub, n)));
    if (inside) return ` ${sub}/${inside} is there: the connector file goes in the project's folder itself.`;
  }
  return "";
}

/** Whether a folder holds a connector file: how a positional argument is told to be a project folder. */
export function holdsConnector(dir: string): boolean {
  return CONNECTOR_FILES.some((name) => fs.existsSync(path.join(path.resolve(dir), name)));
}

/** A path given by the user: relative to the working directory, or else to the project (as fivetran does), whichever exists. */
function userPath(p: Project, given: string): string {
  const fromCwd = path.resolve(given);
  if (path.isAbsolute(given) || fs.existsSync(fromCwd)) return fromCwd;
  const fromProject = path.resolve(p.dir, given);
  return fs.existsSync(fromProject) ? fromProject : fromCwd;
}

/** --state, else CONNECTOR_STATE, else files/state.json. Only the default may be missing. */
export function stateSource(p: Project, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): StateSource {
  const given = flag ?? (env.CONNECTOR_STATE || undefined);
  if (given !== undefined) return { file: userPath(p, given), explicit: true };
  return { file: p.defaultStateFile, explicit: false };
}

/** --configuration, else CONNECTOR_CONFIGURATION, else configuration.json in the project, else none. */
export function configurationFile(p: Project, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = flag ?? (env.CONNECTOR_CONFIGURATION || undefined);
  if (given !== undefined) return userPath(p, given);
  const inProject = path.join(p.dir, "configuration.json");
  return fs.existsSync(inProject) ? inProject : undefined;
}
