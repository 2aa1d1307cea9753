import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../util/errors.js";
import { cassetteDir } from "./cassette.js";
import type { HttpSpec } from "./run.js";

/** How messages name a cassette folder: relative to the working directory when it is below it. */
export function cassetteLabel(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : dir;
}

/**
 * The cassette of `--record [name]` or `--replay [name]`. A name that is an existing folder,
 * given without a project folder, is almost surely the project: commander took it as the name.
 */
export function httpSpec(
  command: string,
  projectDir: string,
  projectGiven: boolean,
  record: string | boolean | undefined,
  replay: string | boolean | undefined,
): HttpSpec | undefined {
  if (record && replay) throw new UsageError("--record and --replay cannot be used together: record a cassette first, then replay it.");
  const flag = record ? "--record" : replay ? "--replay" : undefined;
  const value = record || replay;
  if (!flag || !value) return undefined;
  if (typeof value === "string" && !projectGiven && fs.existsSync(value) && fs.statSync(value).isDirectory()) {
    throw new UsageError(`${flag} takes a cassette name, and "${value}" is a folder. To use that project, put it first: \`connector ${command} ${value} ${flag}\`.`);
  }
  const dir = cassetteDir(projectDir, value);
  return { mode: record ? "record" : "replay", dir, label: cassetteLabel(dir) };
}
