/**
 * The arguments that point `connector reset` and `connector state` at what a sync used: its
 * project folder, its destination (with --name) and its state file. A message that says
 * "run this next" appends them, so the command it names acts on the same warehouse and state,
 * not on the project's files/ by default. A password is never among them.
 */
import path from "node:path";
import type { StateSource } from "../state/state.js";
import { shellArg } from "../util/shell.js";
import type { RunTarget } from "./destination.js";
import { destinationOf } from "../destinations/registry.js";

export interface FollowUp {
  /** The project folder, as an argument with its leading space; empty for the working directory. */
  dir: string;
  /** The options of `connector reset` (after the folder: --table takes several names, so nothing may follow it). */
  reset: string;
  /** The options of `connector state <subcommand>`. */
  state: string;
  /** Said under the commands when a password in them is shown as ***. */
  note?: string;
}

export interface FollowUpSource {
  /** The project folder as the command was given it; none for the working directory. */
  dir?: string;
  state?: StateSource;
  /** `connector run`'s destination; none for debug, whose warehouse is the project's own. */
  target?: RunTarget;
  name?: string;
}

/** A file as the user can type it from here: relative below the working directory, else absolute. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

export function followUp(s: FollowUpSource, env: NodeJS.ProcessEnv = process.env): FollowUp {
  const dir = s.dir !== undefined ? ` ${shellArg(s.dir)}` : "";
  const state = s.state?.explicit ? ` --state ${shellArg(shown(s.state.file))}` : "";
  const t = s.target;
  if (!t) return { dir, reset: state, state };
  const fromFile = t.from !== "--destination" && t.from !== "CONNECTOR_DESTINATION";
  const urlOf = destinationOf(t.spec).url;
  if (urlOf) {
    const destination = fromFile ? shown(t.from) : urlOf(t.spec, shown);
    return { dir, reset: ` --destination ${shellArg(destination)}${state}`, state };
  }
  // A password from PGPASSWORD stays there; one that was in the URL is shown as *** in its place.
  const hidden = !fromFile && t.password !== undefined && t.password !== env.PGPASSWORD;
  const url = hidden ? t.location.replace(/^(postgres:\/\/[^@/]*)@/, "$1:***@") : t.location;
  const args = ` --destination ${shellArg(fromFile ? shown(t.from) : url)}${s.name !== undefined ? ` --name ${shellArg(s.name)}` : ""}`;
  return { dir, reset: args, state: args, ...(hidden ? { note: "(*** stands for the password: type it in its place, or set PGPASSWORD and leave it out.)" } : {}) };
}
