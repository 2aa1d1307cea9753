/** The SQLite warehouse opened for reading only: the commands that look but never write. */
import fs from "node:fs";
import { Database } from "../../util/sqlite-driver.js";
import { UsageError } from "../../util/errors.js";
import { openForReading, warehouseProblem } from "./file.js";

export interface CheckpointRow {
  seq: number;
  run: number;
  time: string;
  state: string;
  operations: string;
}

/** Opens a warehouse for reading only, for the commands that look but never write (state, inspect). */
export function openReadOnly(file: string): Database.Database {
  if (!fs.existsSync(file)) throw new UsageError(`No warehouse at ${file} yet: run \`connector debug\` first.`);
  let db: Database.Database;
  try {
    db = openForReading(file);
    const ours = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_connector_columns'").get();
    if (!ours) {
      db.close();
      throw new UsageError(`${file} is a SQLite database that connector-sdk did not create (it has no _connector_columns table).`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(warehouseProblem(file, e as Error, "read"));
  }
  return db;
}

const CHECKPOINTS = "SELECT seq, run, time, state, operations FROM _connector_checkpoints";

export function readCheckpoints(db: Database.Database): CheckpointRow[] {
  return db.prepare(`${CHECKPOINTS} ORDER BY seq`).all() as CheckpointRow[];
}

/**
 * The newest checkpoint a run committed after `afterSeq`, read once the worker that committed it has been
 * stopped (host/sync-run.ts); undefined when there is none, or the file cannot be read. It only reads, but
 * opens the file writable, so that closing the last connection removes the -wal and -shm files as usual.
 */
export function lastCheckpointOfRun(file: string, run: number, afterSeq: number): CheckpointRow | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    return db.prepare(`${CHECKPOINTS} WHERE run = ? AND seq > ? ORDER BY seq DESC LIMIT 1`).get(run, afterSeq) as CheckpointRow | undefined;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}
