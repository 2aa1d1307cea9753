/**
 * Crash reports, as Fivetran's SDK writes them since 2.13: when a debug sync fails on an
 * unexpected error, `crash-reports/<time>.json` in the project holds what it takes to report
 * or investigate it. Only the newest KEEP stay; `connector reset` never touches them.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { builtin } from "../util/builtin.js";
import { sourceFrames } from "./source-frames.js";

export const CRASH_DIR = "crash-reports";
/** How many reports a project keeps; older ones are removed when a new one is written. */
export const KEEP = 20;
/** How many of the run's last log lines a report holds. */
export const LOG_LINES = 200;

const NAME = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z(-\d+)?\.json$/;

/** The last N lines of a run's log (the connector's log lines and its console output), in a ring: a chatty connector costs nothing more. */
export class LogTail {
  private readonly lines: string[] = [];
  private next = 0;
  constructor(private readonly size = LOG_LINES) {}

  push(line: string): void {
    this.lines[this.next] = line;
    this.next = (this.next + 1) % this.size;
  }

  get all(): string[] {
    return this.lines.length < this.size ? [...this.lines] : [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)];
  }
}

/** What a crash report holds besides the environment, which writeCrashReport adds. */
export interface CrashDetails {
  /** The command line, with secrets hidden by the caller's redactor. */
  command: string[];
  /** The error as the sync worker sent it: name, message, stack with the connector's .ts lines, causes, trace. */
  error: unknown;
  /** The failure as printed after `Sync FAILED:`. */
  reason: string;
  lastCheckpoint: { seq: number | null; time: string | null; state: unknown; committedBy: "this run" | "an earlier run" };
  counts: unknown;
  warnings: string[];
  log: string[];
}

/** What a failed run knows when its report is written (the outcome of host/sync-run.ts). */
export interface FailedRun {
  error?: unknown;
  checkpoint?: { seq: number; time: string };
  state: unknown;
  previousState: unknown;
  counts: unknown;
  warnings: string[];
  log?: string[];
}

/** The report of a failed run, `reason` being its failure as printed. */
export function crashDetails(r: FailedRun, reason: string, command = ["connector", ...process.argv.slice(2)]): CrashDetails {
  return {
    command,
    error: sourceFrames(r.error),
    reason,
    lastCheckpoint: r.checkpoint ? { ...r.checkpoint, state: r.state, committedBy: "this run" } : { seq: null, time: null, state: r.previousState, committedBy: "an earlier run" },
    counts: r.counts,
    warnings: r.warnings,
    log: r.log ?? [],
  };
}

let version: string | undefined;
function packageVersion(): string {
  version ??= (JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  return version;
}

/** Where a report went: the project's crash-reports/, or, when that cannot take it, a folder of the system's temporary folder. */
export type SavedReport =
  | { file: string; /** Why the project's folder could not take it, when the report went elsewhere. */ instead?: string }
  | { file?: undefined; /** Why no report could be written anywhere. */ failed: string };

/**
 * Writes a report (readable by its owner only: it holds states) and removes all but the newest
 * KEEP. A project folder that cannot take it (read-only, as a service's folder often is; a file
 * named crash-reports) sends it to `<tmp>/connector-crash-reports/<project>-<hash>/`, and the
 * result says why. `redact` hides secrets in the whole report before it reaches the disk.
 */
export function writeCrashReport(projectDir: string, details: CrashDetails, redact: <T>(value: T) => T, now = new Date()): SavedReport {
  const report =
    JSON.stringify(
      redact({
        time: now.toISOString(),
        connectorSdk: packageVersion(),
        node: process.version,
        platform: `${process.platform} ${process.arch} (${os.release()})`,
        ...details,
      }),
      null,
      2,
    ) + "\n";
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  const own = path.join(projectDir, CRASH_DIR);
  let instead: string;
  try {
    return { file: writeIn(own, stamp, report) };
  } catch (e) {
    instead = `${own}: ${why(e)}`;
  }
  const resolved = path.resolve(projectDir);
  // Every debug loads this module, and few write a crash report outside their project.
  const { createHash } = builtin("node:crypto");
  const hash = createHash("sha256").update(resolved).digest("hex").slice(0, 8);
  const shared = path.join(os.tmpdir(), "connector-crash-reports");
  const fallback = path.join(shared, `${path.basename(resolved).replace(/[^\w.-]+/g, "_") || "project"}-${hash}`);
  try {
    ownFolder(shared, 0o1777);
    ownFolder(fallback, 0o700);
    return { file: writeIn(fallback, stamp, report), instead };
  } catch (e) {
    return { failed: `${instead}; ${fallback}: ${why(e)}` };
  }
}

function writeIn(dir: string, stamp: string, report: string): string {
  try {
    fs.mkdirSync(dir);
  } catch (e) {
    // Not recursive: the parent exists, and Node's recursive mkdir says ENOENT on a read-only file system.
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  // Two runs failing in the same millisecond take the next free name.
  for (let n = 0; ; n++) {
    const file = path.join(dir, n === 0 ? `${stamp}.json` : `${stamp}-${n}.json`);
    try {
      fs.writeFileSync(file, report, { mode: 0o600, flag: "wx" });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && n < 1000) continue;
      throw e;
    }
    prune(dir);
    return file;
  }
}

/**
 * A folder in the shared temporary folder: made if missing; refused if it is a link or not
 * this user's, as another user could have put it there to read or redirect the report.
 */
function ownFolder(dir: string, mode: number): void {
  try {
    fs.mkdirSync(dir, { mode });
    if (mode & 0o1000) fs.chmodSync(dir, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory()) throw Object.assign(new Error("it is not a folder"), { code: "ENOTDIR" });
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid && (mode & 0o1000) === 0) throw Object.assign(new Error(`it belongs to another user (uid ${stat.uid})`), { code: "EACCES" });
}

const WHY: Record<string, string> = {
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "the operating system does not permit it",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EEXIST: "a file is in the way",
  ENOTDIR: "a file is in the way",
};

/** Why a write failed, in words, with its code. */
function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  // An error of the checks above says it in its own words.
  const words = err.syscall ? WHY[err.code ?? ""] : err.message;
  return words ? `${words} (${err.code})` : err.message;
}

/** Removes all but the newest KEEP reports; names sort by time. Files that are not reports are left alone. */
function prune(dir: string): void {
  const reports = fs
    .readdirSync(dir)
    .filter((f) => NAME.test(f))
    .sort((a, b) => (a.replace(/\.json$/, "") < b.replace(/\.json$/, "") ? -1 : 1));
  for (const f of reports.slice(0, Math.max(0, reports.length - KEEP))) fs.rmSync(path.join(dir, f), { force: true });
}
