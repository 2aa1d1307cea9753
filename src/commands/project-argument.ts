/**
 * Where a command's positional arguments name the project folder. Every command that works on a
 * project takes its folder as `[project-dir]`, after the command's own arguments, and `--project
 * <dir>` as an alias: `connector debug dir`, `connector inspect [table] dir`, `connector state
 * unset <path> dir`. A command whose own arguments are optional (inspect's table, test's
 * cassette, state diff's checkpoints) reads its last argument as the folder only when that
 * names a folder holding a connector, so `connector inspect users` still shows table users.
 */
import fs from "node:fs";
import path from "node:path";
import { holdsConnector } from "../project/project.js";
import { UsageError } from "../util/errors.js";

export interface Split {
  own: (string | undefined)[];
  dir?: string;
}

/** The project of a command with `fixed` own arguments (all given, or required): the argument after them. */
export function afterFixed(args: (string | undefined)[], fixed: number, flag: string | undefined): Split {
  return { own: args.slice(0, fixed), dir: either(args[fixed], flag) };
}

/** The project of a command whose own arguments are optional: the last argument, when it names a folder holding a connector. */
export function lastIfProject(args: (string | undefined)[], max: number, flag: string | undefined): Split {
  const given = args.filter((a): a is string => a !== undefined);
  const last = given.length > max || (given.length > 0 && holdsConnector(given[given.length - 1]!)) ? given.pop() : undefined;
  return { own: [...given, ...Array<undefined>(max - given.length).fill(undefined)], dir: either(last, flag) };
}

function either(positional: string | undefined, flag: string | undefined): string | undefined {
  if (positional !== undefined && flag !== undefined && path.resolve(positional) !== path.resolve(flag)) {
    throw new UsageError(`The project folder is given twice, as ${JSON.stringify(positional)} and as --project ${JSON.stringify(flag)}; give it once.`);
  }
  return positional ?? flag;
}

export function isFolder(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Where each `connector state` subcommand's arguments hold the folder. */
export const STATE_ARGUMENTS: Record<string, (args: (string | undefined)[], opts: { project?: string; file?: string }) => Split> = {
  show: (a, o) => afterFixed(a, 0, o.project),
  history: (a, o) => afterFixed(a, 0, o.project),
  diff: (a, o) => lastIfProject(a, 2, o.project),
  // With --file, the only argument is the folder (a path that is no folder is left for set to refuse).
  set: (a, o) => (o.file !== undefined && a[1] === undefined && (a[0] === undefined || isFolder(a[0])) ? afterFixed(a, 0, o.project) : afterFixed(a, 2, o.project)),
  unset: (a, o) => afterFixed(a, 1, o.project),
  rewind: (a, o) => afterFixed(a, 1, o.project),
};
