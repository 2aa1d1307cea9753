import fs from "node:fs";
import path from "node:path";
import { UsageError } from "./errors.js";

interface LockInfo {
  pid: number;
  command: string;
  started: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the project lock, so that only one sync (or reset, or state edit) touches a
 * project at a time. A lock left by a process that no longer exists is taken over.
 */
export function acquireLock(file: string, command: string): () => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const info: LockInfo = { pid: process.pid, command, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(info), { flag: "wx" });
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        process.off("exit", release);
        try {
          fs.unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
      process.on("exit", release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new UsageError(`Cannot create the lock file ${file}: ${(e as Error).message}`);
      }
    }
    const holder = readLock(file);
    if (holder && holder.pid !== process.pid && alive(holder.pid)) {
      throw new UsageError(
        `Another \`connector ${holder.command}\` (pid ${holder.pid}, started ${holder.started}) is using this project; its lock is ${file}. Wait for it to finish or stop it.`,
      );
    }
    try {
      fs.unlinkSync(file);
    } catch {
      // Someone else removed the stale lock first; the next attempt decides.
    }
  }
  throw new UsageError(`Could not take the lock ${file}; another process keeps creating it.`);
}

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, "utf8")) as LockInfo;
    return typeof v.pid === "number" ? v : undefined;
  } catch {
    return undefined;
  }
}
