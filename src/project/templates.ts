import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../util/errors.js";

export const PACKAGE_ROOT = path.resolve(fileURLToPath(import.meta.url), "../../..");
export const TEMPLATES_DIR = path.join(PACKAGE_ROOT, "templates");
export const DEFAULT_TEMPLATE = "cursor";

export interface TemplateInfo {
  name: string;
  description: string;
}

/** Every bundled template; its one-line description is its package.json description. */
export function listTemplates(): TemplateInfo[] {
  return fs
    .readdirSync(TEMPLATES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const pkg = JSON.parse(fs.readFileSync(path.join(TEMPLATES_DIR, d.name, "package.json"), "utf8")) as { description?: string };
      return { name: d.name, description: pkg.description ?? "" };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

const IGNORED_ENTRIES = new Set([".git", ".DS_Store"]);

export function isEmptyDir(dir: string): boolean {
  if (!fs.existsSync(dir)) return true;
  try {
    return fs.readdirSync(dir).every((e) => IGNORED_ENTRIES.has(e));
  } catch (e) {
    throw new UsageError(`Cannot read the folder ${dir}: ${(e as Error).message}`);
  }
}

/** Why a folder or file could not be made, in words, with what to do. */
function cannot(what: string, e: NodeJS.ErrnoException): UsageError {
  const why: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "the operating system does not permit it",
    EROFS: "the file system is read-only",
    ENOSPC: "the disk is full",
    ENOENT: "the file system refuses to create it there",
    ENAMETOOLONG: "the name is too long",
  };
  const reason = why[e.code ?? ""];
  return new UsageError(`Cannot create ${what}: ${reason ? `${reason} (${e.code})` : e.message}. Choose a folder you can write to.`);
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Creates a folder and its missing parents one at a time, checking each: Node's recursive mkdir
 * loops forever where the file system says a parent is missing that exists (/proc/x), and its
 * errors name neither the folder nor the reason.
 */
export function makeFolder(dir: string, links = 0): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw cannot(dir, e as NodeJS.ErrnoException);
    }
    if (stat?.isDirectory()) break;
    if (!stat && isLink(at)) {
      // A link to a folder that does not exist yet: create that folder, and the link leads to it.
      if (links >= 40) throw new UsageError(`Cannot create ${path.resolve(dir)}: ${at} is a loop of symbolic links.`);
      makeFolder(path.resolve(path.dirname(at), fs.readlinkSync(at)), links + 1);
      break;
    }
    if (stat) {
      throw new UsageError(
        at === path.resolve(dir)
          ? `${at} is a file, not a folder. Give connector init the name of a new or empty folder for the project.`
          : `Cannot create ${path.resolve(dir)}: ${at} is a file, not a folder.`,
      );
    }
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const folder of missing) {
    try {
      fs.mkdirSync(folder);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && fs.statSync(folder).isDirectory()) continue;
      throw cannot(folder, e as NodeJS.ErrnoException);
    }
  }
}

/** A package name npm accepts, from a folder name. */
export function packageName(dir: string): string {
  const base = path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "");
  return base || "my-connector";
}

/**
 * The connector-sdk versions a new project asks for: a range, never a path, so the project can be
 * copied, committed and shipped. It finds the SDK through the CLI that runs it (sdk-link.ts).
 */
export function sdkRange(): string {
  const { version } = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };
  return `^${version}`;
}

/** Copies a template into dir, renaming _gitignore and filling in the project's name. Returns the files written. */
/** The folder of a bundled template, or a UsageError that lists them. */
export function templateDir(name: string): string {
  const src = path.join(TEMPLATES_DIR, name);
  if (!/^[\w-]+$/.test(name) || !fs.existsSync(path.join(src, "package.json"))) {
    const names = listTemplates().map((t) => t.name);
    throw new UsageError(`Unknown template "${name}". Templates: ${names.join(", ")}. See \`connector init --list\`.`);
  }
  return src;
}

export function copyTemplate(name: string, dir: string, vars: Record<string, string>): string[] {
  const src = templateDir(name);
  const written: string[] = [];
  const walk = (from: string, rel: string): void => {
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === "files") continue;
      const target = rel ? path.join(rel, entry.name) : entry.name;
      if (entry.isDirectory()) {
        walk(path.join(from, entry.name), target);
        continue;
      }
      const out = target === "_gitignore" ? ".gitignore" : target;
      let text = fs.readFileSync(path.join(from, entry.name), "utf8");
      for (const [k, v] of Object.entries(vars)) text = text.split(`{{${k}}}`).join(v);
      makeFolder(path.dirname(path.join(dir, out)));
      try {
        fs.writeFileSync(path.join(dir, out), text);
      } catch (e) {
        throw cannot(path.join(dir, out), e as NodeJS.ErrnoException);
      }
      written.push(out);
    }
  };
  walk(src, "");
  return written.sort();
}
