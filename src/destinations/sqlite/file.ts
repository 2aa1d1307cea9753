import fs from "node:fs";
import path from "node:path";
import { Database } from "../../util/sqlite-driver.js";
import { UsageError } from "../../util/errors.js";
import { DestinationError, type DestinationCapabilities } from "../destination.js";

/** SQLite's default SQLITE_MAX_COLUMN, which better-sqlite3 keeps. */
export const MAX_COLUMNS = 2000;

/** What SQLite holds: declared once, for the module (index.ts) and the destination. Names have no practical length limit. */
export const CAPABILITIES: DestinationCapabilities = { label: "SQLite", maxIdentifierLength: 1_000_000, maxColumns: MAX_COLUMNS };

/** A table that would pass SQLite's column limit, counting the system column a truncate adds (ddl.ts SYSTEM_COLUMNS). */
export const tooManyColumns = (what: string): Error =>
  new Error(
    `${what}: SQLite allows at most ${MAX_COLUMNS.toLocaleString("en-US")} columns in a table, counting _fivetran_synced, _fivetran_deleted and _connector_generation (which op.truncate adds). Split the data over several tables, or keep rarely used fields together in one JSON column.`,
  );

export const notOurs = (file: string): string =>
  `${file} is a SQLite database that connector-sdk did not create (it has no _connector_columns table). Move it away, or run \`connector reset\` to replace it.`;

/**
 * Refuses someone else's database before anything writes to it: opening read-write and switching
 * to WAL would change the file on disk, so the check runs on a read-only connection first.
 */
export function checkOursReadOnly(file: string): void {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return; // A new warehouse.
  }
  if (size === 0) return;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    if (names.length > 0 && !names.includes("_connector_columns")) throw new UsageError(notOurs(file));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // A read-only folder cannot hold the -shm file this connection needs; the read-write open that follows says what is wrong.
    if ((e as { code?: unknown }).code === "SQLITE_CANTOPEN") return;
    throw new UsageError(warehouseProblem(file, e as Error, "use"));
  } finally {
    db?.close();
  }
}

/**
 * A read-only connection to a warehouse, also in a read-only folder. There SQLite cannot create the
 * -shm file that WAL mode needs, so, when no -wal file holds newer commits, the main file is read
 * into memory (which needs as much memory as the file is large) and opened from there.
 */
export function openForReading(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.prepare("SELECT 1 FROM sqlite_master LIMIT 1").get();
    return db;
  } catch (e) {
    db?.close();
    if (writable(path.dirname(file))) throw e;
    const wal = `${file}-wal`;
    if (fs.existsSync(wal) && fs.statSync(wal).size > 0) {
      throw new UsageError(
        `Cannot read the warehouse ${file}: its folder is read-only, and its latest commits are in ${wal}, which SQLite reads only with a ${path.basename(file)}-shm file beside it. Copy the project somewhere writable and run the command there.`,
      );
    }
    const image = fs.readFileSync(file);
    // Bytes 18 and 19 mark a WAL database; an in-memory copy reads as a plain one, and with no -wal file the main file holds every commit.
    if (image[18] === 2 && image[19] === 2) image[18] = image[19] = 1;
    return new Database(image, { readonly: true });
  }
}

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** better-sqlite3's error (its code SQLITE_…) as the destination's own, naming the warehouse; any other error as it is. */
export function sqliteFailure(file: string, e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return e;
  return new DestinationError(`${(e as Error).message} (${code})`, { subject: `the warehouse ${file}`, code });
}

export const isBusy = (e: unknown): boolean => /^SQLITE_(BUSY|LOCKED)/.test(String((e as { code?: unknown }).code));

/** Never advises `connector reset`: the data is fine, another program is only writing to it. */
export const lockedBy = (file: string): string =>
  `the warehouse ${file} is locked: another program holds a write transaction on it (a sqlite3 shell, a database browser or a script, say). End that transaction or close the program, then run again.`;

/**
 * What went wrong opening a warehouse, and what to do. Only a damaged file is worth moving away or
 * resetting; a locked file, a full disk or a read-only folder are not.
 */
export function warehouseProblem(file: string, e: Error, verb: "open" | "use" | "read"): string {
  const code = String((e as { code?: unknown }).code ?? "");
  if (isBusy(e)) return capitalise(lockedBy(file));
  const free = code === "SQLITE_FULL" || code.startsWith("SQLITE_IOERR") ? freeBytes(path.dirname(file)) : undefined;
  if (code === "SQLITE_FULL" || (free !== undefined && free < 1024 * 1024)) {
    return `Cannot ${verb} the warehouse ${file}: the disk is full${free === undefined ? "" : ` (${Math.floor(free / 1024)} KB free)`}. Free some space, then run again.`;
  }
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) {
    return `Cannot ${verb} the warehouse ${file}: ${e.message}. If it is damaged, move it away or run \`connector reset\`.`;
  }
  return `Cannot ${verb} the warehouse ${file}: ${e.message}${code ? ` (${code})` : ""}.`;
}

function freeBytes(dir: string): number | undefined {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

const capitalise = (s: string): string => s[0]!.toUpperCase() + s.slice(1);
