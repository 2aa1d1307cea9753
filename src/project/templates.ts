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
  return fs.readdirSync(dir).every((e) => IGNORED_ENTRIES.has(e));
}

/** A package name npm accepts, from a folder name. */
export function packageName(dir: string): string {
  const base = path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "");
  return base || "my-connector";
}

/** How a new project depends on connector-sdk: this very copy, since the package is not on a registry yet. */
export function sdkDependency(): string {
  return `file:${PACKAGE_ROOT}`;
}

/** Copies a template into dir, renaming _gitignore and filling in the project's name. Returns the files written. */
export function copyTemplate(name: string, dir: string, vars: Record<string, string>): string[] {
  const src = path.join(TEMPLATES_DIR, name);
  if (!/^[\w-]+$/.test(name) || !fs.existsSync(path.join(src, "package.json"))) {
    const names = listTemplates().map((t) => t.name);
    throw new UsageError(`Unknown template "${name}". Templates: ${names.join(", ")}. See \`connector init --list\`.`);
  }
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
      fs.mkdirSync(path.dirname(path.join(dir, out)), { recursive: true });
      fs.writeFileSync(path.join(dir, out), text);
      written.push(out);
    }
  };
  walk(src, "");
  return written.sort();
}
