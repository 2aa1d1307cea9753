/** Why DuckDB could not open a warehouse file, said the same way by every command (exit 2: nothing was written). */
import { UsageError } from "../../util/errors.js";

/**
 * DuckDB lets one process open a file for writing, or any number for reading, never both: a
 * sync, `connector inspect` or a DuckDB shell holding it keeps every other process out.
 */
export function cannotOpen(file: string, e: unknown): UsageError {
  const message = e instanceof Error ? e.message : String(e);
  if (/Could not set lock|Conflicting lock/i.test(message)) {
    const holder = /Conflicting lock is held in (.*?) \(PID (\d+)\)/i.exec(message);
    return new UsageError(
      `The warehouse ${file} is in use by another process${holder ? ` (${holder[1]}, pid ${holder[2]})` : ""}: a sync, \`connector inspect\` or a DuckDB shell. ` +
        "DuckDB lets no other process open it meanwhile; try again when that one has finished.",
    );
  }
  return new UsageError(`Cannot use the warehouse ${file}: ${message.split("\n")[0]!.replace(/[.!]+$/, "")}. If it is damaged, move it away or run \`connector reset\`.`);
}
