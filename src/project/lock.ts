import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../util/errors.js";
import { Database } from "../util/sqlite-driver.js";
import { notAFolder } from "./project.js";

/** Who holds the lock: written to the lock file so that a refused run can say who to wait for. */
export interface LockInfo {
  pid: number;
  command: string;
  started: string;
  host: string;
  /** Random, so a holder removes only its own lock file. */
  token: string;
  /** Linux: /proc/sys/kernel/random/boot_id and the process's start time in /proc/<pid>/stat, to tell a live holder from a reused pid. */
  bootId?: string;
  processStart?: string;
  /** The holder's project folder, when the lock is a warehouse's: a refusal names it. */
  project?: string;
}

/** What a lock protects, for the refusal: the project itself, or a warehouse file that any project's sync may write. */
export interface LockSubject {
  /** "this project", or "the warehouse /tmp/shared.db". */
  name: string;
  /** The project folder of the process taking the lock. */
  project?: string;
}

const PROJECT: LockSubject = { name: "this project" };

/**
 * Takes the project lock, so that only one sync, reset or state edit touches a project at a time.
 *
 * The lock itself is an OS lock: a SQLite write lock (an fcntl lock, taken with BEGIN IMMEDIATE)
 * on `<file>.db`. The kernel grants it to exactly one process and drops it when that process
 * ends, however it ends, so there is never a stale lock to take over and no race in taking one
 * over. `<file>` is a note of who holds it, written once the lock is taken and removed before it
 * is released; a note left behind by a killed process means nothing and is overwritten.
 */
export function acquireLock(file: string, command: string, subject: LockSubject = PROJECT): () => void {
  const dir = path.dirname(file);
  makeFolder(dir);
  const guard = guardFile(file);
  let db: Database.Database | undefined;
  try {
    // SQLite would fall back to a read-only file silently, and a read-only file takes no write lock.
    fs.accessSync(fs.existsSync(guard) ? guard : dir, fs.constants.W_OK);
    db = new Database(guard, { timeout: 0 });
    // An empty database gets its first page in the transaction below; in memory, that leaves no -journal file behind a kill.
    db.pragma("journal_mode = MEMORY");
    db.exec("BEGIN IMMEDIATE");
  } catch (e) {
    db?.close();
    if (String((e as { code?: unknown }).code).startsWith("SQLITE_BUSY")) throw refusal(file, subject);
    throw cannotCreate(guard, e as Error, subject);
  }
  const held = db;
  const info: LockInfo = {
    pid: process.pid,
    command,
    started: new Date().toISOString(),
    host: os.hostname(),
    // Tells this holder's note from another's; node:crypto would cost every command that locks a few ms to load.
    token: Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2),
    bootId: bootId(),
    processStart: processStart(process.pid),
    ...(subject.project ? { project: subject.project } : {}),
  };
  try {
    writeNote(file, info);
  } catch (e) {
    held.close();
    throw cannotCreate(file, e as Error, subject);
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off("exit", release);
    // The note goes first, while the lock is still held, so it never removes the next holder's note.
    try {
      if (readLock(file)?.token === info.token) fs.unlinkSync(file);
    } catch {
      // Already gone: nothing to remove.
    }
    held.close();
  };
  process.on("exit", release);
  return release;
}

/** The project lock and the locks of the warehouse files a command writes; a refusal releases what was taken. */
export function lockProjectAndWarehouses(project: { dir: string; lockFile: string }, command: string, warehouses: string[]): () => void {
  const releases = [acquireLock(project.lockFile, command)];
  try {
    for (const file of warehouses) releases.push(lockWarehouse(file, command, project.dir));
  } catch (e) {
    for (const r of [...releases].reverse()) r();
    throw e;
  }
  return () => {
    for (const r of [...releases].reverse()) r();
  };
}

/**
 * Takes the lock of a warehouse file (SQLite or DuckDB) as well as the project's: any project's
 * `connector run` may name the same file, and two syncs into one file would interleave their
 * checkpoints. The lock lies beside the file, as `.<name>.lock`, so every project that names
 * the file, by whatever path or symbolic link, takes the same lock.
 */
export function lockWarehouse(file: string, command: string, project: string): () => void {
  return acquireLock(warehouseLockFile(file), command, { name: `the warehouse ${file}`, project });
}

function warehouseLockFile(file: string): string {
  const real = realPath(file) ?? path.join(realPath(path.dirname(file)) ?? path.dirname(path.resolve(file)), path.basename(file));
  return path.join(path.dirname(real), `.${path.basename(real)}.lock`);
}

function realPath(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

/** The file that carries the OS lock. It stays in files/ between runs; deleting it by hand clears a lock. */
function guardFile(file: string): string {
  return `${file}.db`;
}

/** The holder named in a lock file, or undefined if there is none or it cannot be read. */
function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, "utf8")) as LockInfo;
    return typeof v.pid === "number" ? v : undefined;
  } catch {
    return undefined;
  }
}

function writeNote(file: string, info: LockInfo): void {
  const tmp = `${file}.${info.token}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(info) + "\n");
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function makeFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTDIR") throw new UsageError(notAFolder(dir));
    throw new UsageError(`Cannot create the folder ${dir}: ${(e as Error).message}`);
  }
}

function cannotCreate(file: string, e: Error, subject: LockSubject): UsageError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOSPC" || code === "SQLITE_FULL") return new UsageError(`Cannot create the lock file ${file}: the disk is full (${e.message}). Free some space, then run again.`);
  if (typeof code === "string" && code.startsWith("E")) return new UsageError(`Cannot create the lock file ${file}: ${e.message}`);
  const running = subject === PROJECT ? "is running on this project" : `is writing to ${subject.name}`;
  return new UsageError(`Cannot use the lock file ${file}: ${e.message}. If no connector ${running}, delete that file, then run again.`);
}

/** The refusal: who holds the lock, when the lock file says so, and otherwise how to clear it by hand. */
function refusal(file: string, subject: LockSubject): UsageError {
  const guard = guardFile(file);
  const holder = waitForNote(file);
  const uses = subject === PROJECT ? "is using this project" : `is writing to ${subject.name}`;
  const from = holder?.project && holder.project !== subject.project ? ` from the project ${holder.project}` : "";
  if (holder && holder.host !== os.hostname()) {
    return new UsageError(
      `Another \`connector ${holder.command}\`${from} on ${holder.host} (pid ${holder.pid}, started ${holder.started}) ${uses}; its lock is ${file}. Wait for it to finish, or stop it there.`,
    );
  }
  if (holder && isRunning(holder)) {
    return new UsageError(
      `Another \`connector ${holder.command}\`${from} (pid ${holder.pid}, started ${holder.started}) ${uses}; its lock is ${file}. Wait for it to finish, or stop it (kill ${holder.pid}).`,
    );
  }
  const named = holder ? `${file} names pid ${holder.pid}, which is no longer running` : `${file} does not say which`;
  const running = subject === PROJECT ? "is running on this project" : `is writing to ${subject.name}`;
  return new UsageError(
    `Another process holds the lock on ${subject.name} (${guard}), but ${named}. ` +
      `If no connector ${running} (look in other terminals, and in containers or machines that share this folder), delete ${guard} and ${file}, then run again.`,
  );
}

/** The holder writes its note just after taking the lock; give it a moment before calling the note stale. */
function waitForNote(file: string): LockInfo | undefined {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let holder: LockInfo | undefined;
  for (let i = 0; i < 200; i++) {
    holder = readLock(file);
    if (holder && (holder.host !== os.hostname() || isRunning(holder))) return holder;
    Atomics.wait(pause, 0, 0, 10);
  }
  return holder;
}

/** Whether the process a lock file names is still that process: alive, same boot, same start time. */
function isRunning(info: LockInfo): boolean {
  if (info.bootId && bootId() && info.bootId !== bootId()) return false;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const start = processStart(info.pid);
  return !(info.processStart && start && info.processStart !== start);
}

function bootId(): string | undefined {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot. The name before it may hold spaces. */
function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
