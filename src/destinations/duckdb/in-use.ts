/** Why DuckDB could not open a warehouse file, said the same way by every command (exit 2: nothing was written). */
import fs from "node:fs";
import type { DuckDBInstance as Instance } from "@duckdb/node-api";
import { UsageError } from "../../util/errors.js";
import { duckdb } from "./driver.js";

const LOCKED = /Could not set lock|Conflicting lock/i;

/**
 * DuckDB lets one process open a file for writing, or any number for reading, never both: a
 * sync, `connector inspect` or a DuckDB shell holding it keeps every other process out.
 */
export function cannotOpen(file: string, e: unknown): UsageError {
  const message = e instanceof Error ? e.message : String(e);
  if (LOCKED.test(message)) {
    const holder = /Conflicting lock is held in (.*?) \(PID (\d+)\)/i.exec(message);
    return new UsageError(
      `The warehouse ${file} is in use by another process${holder ? ` (${holder[1]}, pid ${holder[2]})` : ""}: a sync, \`connector inspect\` or a DuckDB shell. ` +
        "DuckDB lets no other process open it meanwhile; try again when that one has finished. (`connector ui` holds it only while it reads a page.)",
    );
  }
  return new UsageError(`Cannot use the warehouse ${file}: ${message.split("\n")[0]!.replace(/[.!]+$/, "")}. If it is damaged, move it away or run \`connector reset\`.`);
}

/**
 * Opens the file read-write and closes it at once: DuckDB's lock refuses that while any other process has it
 * open, for reading or writing. Loads DuckDB only when the file exists. A file DuckDB cannot read is no refusal.
 */
export async function refuseInUse(file: string): Promise<void> {
  if (!fs.existsSync(file)) return;
  const { DuckDBInstance } = duckdb();
  let instance: Awaited<ReturnType<typeof DuckDBInstance.create>>;
  try {
    instance = await DuckDBInstance.create(file);
  } catch (e) {
    if (LOCKED.test(e instanceof Error ? e.message : String(e))) throw cannotOpen(file, e);
    return;
  }
  instance.closeSync();
}

/** How long a sync waits for a reader to let the file go: `connector ui` and `inspect` hold it for one read. */
const WAIT_MS = 3000;
const POLL_MS = 100;

/**
 * Opens the file read-write for a sync. A reader (`connector ui` rendering a page as the user watches
 * a sync, `inspect`) holds DuckDB's lock only for a moment, so the sync waits that long before it
 * refuses. A writer (a DuckDB shell, another sync) holds it for as long as it runs: the sync refuses at once.
 */
export async function openWaiting(file: string): Promise<Instance> {
  const { DuckDBInstance } = duckdb();
  const until = Date.now() + WAIT_MS;
  for (;;) {
    try {
      return await DuckDBInstance.create(file);
    } catch (e) {
      if (!LOCKED.test(e instanceof Error ? e.message : String(e)) || Date.now() >= until || !(await heldForReading(DuckDBInstance, file))) throw cannotOpen(file, e);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Whether the file's holder only reads it: DuckDB's lock then lets another reader in beside it, and a writer's lets in no one. */
async function heldForReading(api: typeof Instance, file: string): Promise<boolean> {
  try {
    (await api.create(file, { access_mode: "READ_ONLY" })).closeSync();
    return true;
  } catch {
    return false;
  }
}
