import { stringifyExact } from "../util/exact.js";
import type { VerifyReport } from "../verify/verify.js";
import { renderAligned, truncate } from "./format.js";

const show = (v: unknown): string => truncate(v === undefined ? "(none)" : typeof v === "string" ? v : stringifyExact(v), 40);

/** The verdict table, then the first differing rows of each failed check, then the verdict (or `verdict`, for a run that was stopped). */
export function renderVerifyReport(r: VerifyReport, mark: (status: string) => string = (s) => s, verdict?: string): string {
  const rows = r.checks.map((c) => [c.check, mark(c.status.toUpperCase()), c.detail]);
  const out = [renderAligned(["Check", "Result", "Details"], rows)];
  for (const c of r.checks) {
    if (c.differences.length === 0 || c.status === "pass") continue;
    const title = c.check === "interrupted" ? `interrupted, trial ${c.trial} (aborted after checkpoint ${c.abortedAfterCheckpoint})` : c.check;
    out.push(`\nFirst differences, ${title}:`);
    out.push(renderAligned(["Table", "Key", "Column", "Expected", "Got"], c.differences.map((d) => [d.table, d.key, d.column, show(d.expected), show(d.got)])));
  }
  out.push("", verdict ?? (r.passed ? `VERIFY PASSED (seed ${r.seed})` : `VERIFY FAILED (seed ${r.seed}; rerun with --seed ${r.seed} to repeat)`));
  return out.join("\n");
}
