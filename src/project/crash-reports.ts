/**
 * Crash reports, as Fivetran's SDK writes them since 2.13: when a debug sync fails on an
 * unexpected error, `crash-reports/<time>.json` in the project holds what it takes to report
 * or investigate it. Only the newest KEEP stay; `connector reset` never touches them.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

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

let version: string | undefined;
function packageVersion(): string {
  version ??= (JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  return version;
}

/**
 * Writes a report (readable by its owner only: it holds states) and removes all but the newest KEEP;
 * returns its path. `redact` hides secrets in the whole report before it reaches the disk.
 */
export function writeCrashReport(projectDir: string, details: CrashDetails, redact: <T>(value: T) => T, now = new Date()): string {
  const dir = path.join(projectDir, CRASH_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const report = redact({
    time: now.toISOString(),
    connectorSdk: packageVersion(),
    node: process.version,
    platform: `${process.platform} ${process.arch} (${os.release()})`,
    ...details,
  });
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  let file = path.join(dir, `${stamp}.json`);
  for (let n = 1; fs.existsSync(file); n++) file = path.join(dir, `${stamp}-${n}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n", { mode: 0o600, flag: "wx" });
  prune(dir);
  return file;
}

/** Removes all but the newest KEEP reports; names sort by time. Files that are not reports are left alone. */
function prune(dir: string): void {
  const reports = fs
    .readdirSync(dir)
    .filter((f) => NAME.test(f))
    .sort((a, b) => (a.replace(/\.json$/, "") < b.replace(/\.json$/, "") ? -1 : 1));
  for (const f of reports.slice(0, Math.max(0, reports.length - KEEP))) fs.rmSync(path.join(dir, f), { force: true });
}
