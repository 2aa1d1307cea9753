/**
 * Caches under the system's temporary folder that only this user may write: what they hold is run (a compiled
 * connector) or shipped (a packed SDK), so a file someone else could have written is never used.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** `<tmp>/<name>-<uid>`, made if missing, when it is a folder of this user's alone; else undefined (no uid on Windows). */
export function ownTempFolder(name: string): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  try {
    const dir = path.join(os.tmpdir(), `${name}-${uid}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The file's bytes, checked on the open file itself (not only its folder): a regular file of this user's that no one else can write, not a link; else undefined. */
export function readOwnFile(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) return undefined;
    return fs.readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
