/**
 * How a project made by `connector init` finds connector-sdk without naming a path of any
 * machine: its package.json asks for a version range, as an optional peer dependency (npm
 * installs nothing for it, so `npm install` works where connector-sdk is not on the registry),
 * and `connector link` points node_modules/connector-sdk at the copy of the `connector` that
 * runs, for the project's tests, type checks and editor. The templates' `npm test` and `npm run
 * typecheck` run it first, since `npm install` removes a link it did not make. `connector debug`
 * and the other commands need none of this: the loader resolves connector-sdk to the CLI's own copy.
 */
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../util/errors.js";
import { PACKAGE_ROOT } from "./templates.js";
import type { Project } from "./project.js";

export const SDK = "connector-sdk";

export interface LinkResult {
  /** linked: the link was made (or pointed here again); kept: it already led here; installed: a real copy is there, left alone. */
  status: "linked" | "kept" | "installed";
  link: string;
  /** The version of the copy the project now imports. */
  version: string;
  /** The range the project's package.json asks for, when this version is not in it. */
  outOfRange?: string;
}

const versionOf = (dir: string): string => (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;

/** The range the project's package.json asks connector-sdk in, from any of its dependency lists. */
function wantedRange(p: Project): string | undefined {
  let pkg: Record<string, Record<string, unknown> | undefined>;
  try {
    pkg = JSON.parse(fs.readFileSync(path.join(p.dir, "package.json"), "utf8")) as typeof pkg;
  } catch {
    return undefined;
  }
  for (const list of ["peerDependencies", "dependencies", "devDependencies"]) {
    const range = pkg[list]?.[SDK];
    if (typeof range === "string") return range;
  }
  return undefined;
}

export function linkSdk(p: Project): LinkResult {
  const modules = path.join(p.dir, "node_modules");
  const link = path.join(modules, SDK);
  const own = fs.realpathSync(PACKAGE_ROOT);
  const result = (status: LinkResult["status"], version: string): LinkResult => {
    const wanted = wantedRange(p);
    return { status, link, version, ...(wanted !== undefined && satisfies(version, wanted) === false ? { outOfRange: wanted } : {}) };
  };
  let stat: fs.Stats | undefined;
  try {
    stat = fs.lstatSync(link);
  } catch {
    // Not there yet.
  }
  if (stat && !stat.isSymbolicLink()) {
    if (stat.isDirectory() && fs.existsSync(path.join(link, "package.json"))) return result("installed", versionOf(link));
    throw new UsageError(`${link} is in the way: it is not a link, nor an installed connector-sdk. Move it away, then run \`connector link\` again.`);
  }
  if (stat) {
    let target: string | undefined;
    try {
      target = fs.realpathSync(link);
    } catch {
      // A link to nothing: replaced below.
    }
    if (target === own) return result("kept", versionOf(own));
    fs.unlinkSync(link);
  }
  try {
    fs.mkdirSync(modules, { recursive: true });
    // A junction on Windows needs no special rights; elsewhere the type is ignored.
    fs.symlinkSync(own, link, "junction");
  } catch (e) {
    throw new UsageError(`Cannot link ${link} to ${own}: ${(e as Error).message}`);
  }
  return result("linked", versionOf(own));
}

/**
 * Whether a version is in a range of the forms npm writes (1.2.3, ^1.2.3, ~1.2.3, >=1.2.3);
 * undefined for any other form, which is not checked.
 */
export function satisfies(version: string, range: string): boolean | undefined {
  const m = /^\s*(\^|~|>=|=)?\s*v?(\d+)\.(\d+)\.(\d+)\s*$/.exec(range);
  const v = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m || !v) return undefined;
  const want = [Number(m[2]), Number(m[3]), Number(m[4])] as const;
  const have = [Number(v[1]), Number(v[2]), Number(v[3])] as const;
  const cmp = have[0] - want[0] || have[1] - want[1] || have[2] - want[2];
  switch (m[1]) {
    case ">=":
      return cmp >= 0;
    case "~":
      return cmp >= 0 && have[0] === want[0] && have[1] === want[1];
    case "^":
      // ^0.2.3 means 0.2.x, ^0.0.3 means 0.0.3 only, as npm reads it.
      if (want[0] > 0) return cmp >= 0 && have[0] === want[0];
      if (want[1] > 0) return cmp >= 0 && have[0] === 0 && have[1] === want[1];
      return cmp === 0;
    default:
      return cmp === 0;
  }
}
