import path from "node:path";
import type { SavedReport } from "../project/crash-reports.js";
import type { Counts } from "../sync/counts.js";
import type { SchemaChangeNote } from "../normalize/catalog.js";
import { formatSize } from "../util/size.js";

// Whole numbers grouped by hand: the first toLocaleString() of a process sets up ICU (tens of ms), and most commands print a count.
export const num = (n: number): string => (Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ",") : n.toLocaleString("en-US"));

export function elapsed(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + "…";
}

/** Fivetran's SYNC PROGRESS table, with the same labels so scripts that parse it keep working. */
export function renderProgressTable(c: Counts): string {
  const rows: [string, number][] = [
    ["Upserts", c.upserts],
    ["Updates", c.updates],
    ["Deletes", c.deletes],
    ["Truncates", c.truncates],
    ["SchemaChanges", c.schemaChanges],
    ["Checkpoints", c.checkpoints],
  ];
  const table = ["SYNC PROGRESS:", "Operation       | Calls", "----------------+------------", ...rows.map(([k, v]) => `${k.padEnd(16)}| ${num(v)}`)].join("\n");
  return c.http ? `${table}\n\n${renderHttpCounts(c.http)}` : table;
}

/** What connector-sdk/http did: one line under the progress table. */
export function renderHttpCounts(h: NonNullable<Counts["http"]>): string {
  return `HTTP: ${num(h.requests)} request(s), ${num(h.retries)} retried, ${elapsed(h.waited_ms)} waited, ${num(h.bytes)} bytes received`;
}

export function renderAligned(header: string[], rows: string[][], rightAlign: (col: number) => boolean = () => false): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (rightAlign(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * One row per table that saw operations in this run; when truncates were applied (the sync
 * succeeded), a column with the rows they marked deleted, which may include a table whose
 * truncate an earlier, failed run committed.
 */
export function renderTableBreakdown(c: Counts): string {
  const truncated = c.truncatedRows ?? {};
  const marked = Object.keys(truncated).length > 0;
  const names = [...new Set([...Object.keys(c.byTable), ...Object.keys(truncated)])].sort();
  if (names.length === 0) return "";
  const rows = names.map((t) => {
    const b = c.byTable[t] ?? { upserts: 0, updates: 0, deletes: 0, truncates: 0 };
    const row = [t, num(b.upserts), num(b.updates), num(b.deletes), num(b.truncates)];
    if (marked) row.push(t in truncated ? num(truncated[t]!) : "");
    return row;
  });
  const header = ["Table", "Upserts", "Updates", "Deletes", "Truncates"];
  if (marked) header.push("Rows truncated");
  return renderAligned(header, rows, (i) => i > 0);
}

/** The summary shows this many schema changes; -v shows them all, and --json always does. */
export const SCHEMA_CHANGES_SHOWN = 20;

/** What SchemaChanges counted: one row per new table, new column or widened column, in the order they happened. */
export function renderSchemaChanges(changes: SchemaChangeNote[], all: boolean): string {
  if (changes.length === 0) return "";
  const shown = all ? changes : changes.slice(0, SCHEMA_CHANGES_SHOWN);
  const rows = shown.map((c) => (c.column === null ? [c.table, "(new table)", "", ""] : [c.table, c.column, c.oldType ?? "(new column)", c.newType ?? ""]));
  const more = changes.length - shown.length;
  const tail = more > 0 ? `\n… and ${num(more)} more (-v or --json lists them all)` : "";
  return `Schema changes:\n${renderAligned(["Table", "Column", "Old type", "New type"], rows)}${tail}`;
}

/** The last line of a debug run's summary, as Fivetran 2.9.2 ends with its peak memory. */
export function renderPeakMemory(m: { peakHeapBytes: number; peakRssBytes: number; limitBytes: number }): string {
  return `Peak memory: ${formatSize(m.peakHeapBytes)} heap (sync worker), ${formatSize(m.peakRssBytes)} RSS (process); limit ${formatSize(m.limitBytes)} (--memory-limit)`;
}

/** The failure reason and the connector's own stack frames, then each cause with its frames; frames inside connector-sdk and Node are noise to a connector author. */
export function renderFailure(error: FailureInfo, ownCode: (frame: string) => boolean): string {
  // The frames follow the message, which may have lines of its own that look like frames.
  const frames = (e: FailureInfo): string[] =>
    (e.stack ?? "")
      .split("\n")
      .slice(`${e.stack}\n`.startsWith(`${e.name}: ${e.message}\n`) ? e.message.split("\n").length : 1)
      .map((l) => l.trim())
      .filter((l) => l.startsWith("at ") && !ownCode(l) && !/\(node:|^at node:/.test(l) && !l.includes("/node_modules/jiti/"));
  const trace = error.trace === undefined ? [] : error.trace.replace(/\s+$/, "").split(/\r?\n/).map((l) => `    ${l}`);
  const lines = [error.message || error.name, ...trace, ...frames(error).map((f) => `    ${f}`)];
  for (let c = error.cause; c; c = c.cause) {
    lines.push(`  Caused by: ${c.message || c.name}`, ...frames(c).map((f) => `      ${f}`));
  }
  return lines.join("\n");
}

/** What renderFailure needs of an error: the ErrorInfo the sync worker sends. */
export interface FailureInfo {
  name: string;
  message: string;
  stack?: string;
  cause?: FailureInfo;
  /** The trace of op.error(message, trace), shown under the message. */
  trace?: string;
}

/** What the CLI says of a crash report: where it is (`file`, as shown), or the warning that none could be written. */
export interface CrashNotice {
  file?: string;
  line?: string;
  warning?: string;
}

export function crashReportNotice(saved: SavedReport, cwd = process.cwd()): CrashNotice {
  if (saved.file === undefined) return { warning: `could not write a crash report: ${saved.failed}` };
  const relative = path.relative(cwd, saved.file);
  const file = relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : saved.file;
  return { file, line: `Crash report: ${file}${saved.instead ? ` (the project's folder could not take it: ${saved.instead})` : ""}` };
}
