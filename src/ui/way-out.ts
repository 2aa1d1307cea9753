import type { FollowUp } from "../project/follow-up.js";
import { shellArg } from "../util/shell.js";

/**
 * The way out of a ReloadTableError: drop the table where this sync wrote it, and clear the
 * cursor it resumes from, or the next sync starts after that cursor and the table comes back
 * empty; or start every table over.
 */
export function renderReloadAdvice(table: string, f: FollowUp, stateEmpty: boolean): string {
  const lines = [`To load table "${table}" again from the start, drop it${stateEmpty ? "" : " and clear the cursor it resumes from"}, then sync again:`];
  lines.push(`  connector reset${f.dir}${f.reset} --table ${shellArg(table)}`);
  if (!stateEmpty) {
    lines.push(`  connector state show${f.dir}${f.state}   (find the cursor of that table)`);
    lines.push(`  connector state unset <path>${f.dir}${f.state}   (remove it)`);
  }
  lines.push(`Or start over with every table: connector reset${f.dir}${f.reset}`);
  if (f.note) lines.push(f.note);
  return lines.join("\n");
}
