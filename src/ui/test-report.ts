import type { Regression, Row } from "../replay/outcome.js";
import { keyOf, SHOWN_ROWS } from "../replay/outcome.js";
import { num, truncate } from "./format.js";

/** The `connector test --json` report, and what the text report renders. */
export interface TestReport {
  passed: boolean;
  cassette: string;
  requests: { recorded: number; served: number };
  /** The replay itself failed: an unmatched request, or the connector threw. */
  error?: string;
  /** --update wrote the replayed outcome as the new expectation. */
  updated?: boolean;
  regression?: Regression;
  /** What the replay produced, for the summary line. */
  totals?: { rows: number; tables: number; checkpoints: number };
}

const show = (v: unknown): string => truncate(typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v ?? null), 60);

function rowLine(kind: string, row: Row, pk: string[]): string {
  const rest = Object.fromEntries(Object.entries(row).filter(([k]) => !pk.includes(k)));
  return `  ${kind.padEnd(8)} ${keyOf(row, pk)}  ${truncate(JSON.stringify(rest), 100)}`;
}

/** The regression report: per table the rows added, removed and changed (up to 10 of each), then the state. */
export function renderTestReport(r: TestReport, pkOf: (table: string) => string[], mark: (s: string) => string = (s) => s): string {
  const out: string[] = [];
  const outcomeFile = `${r.cassette}/outcome.json`;
  const totals = r.totals ? `${num(r.totals.rows)} row(s) in ${r.totals.tables} table(s), ${r.totals.checkpoints} checkpoint(s)` : "";
  if (r.error) {
    out.push(`The replay of ${r.cassette} failed: ${r.error}`, "", mark("TEST FAILED"));
    return out.join("\n");
  }
  if (r.updated) {
    out.push(`Wrote ${outcomeFile}: ${totals}.`);
    return out.join("\n");
  }
  const g = r.regression;
  if (!g || g.passed) {
    out.push(`${mark("TEST PASSED")}: the replay of ${r.cassette} (${r.requests.served} of ${r.requests.recorded} recorded response(s) served) matches ${outcomeFile}: ${totals}.`);
    return out.join("\n");
  }
  for (const t of g.tables) {
    const pk = pkOf(t.table);
    if (t.hashOnly) {
      out.push(`${t.table}: the rows differ (${num(t.expectedCount)} expected, ${num(t.gotCount)} got); ${outcomeFile} keeps only a count and a hash of a table this large, so the rows cannot be named.`);
      continue;
    }
    const parts = [t.added ? `${num(t.added)} added` : "", t.removed ? `${num(t.removed)} removed` : "", t.changed ? `${num(t.changed)} changed` : ""].filter(Boolean);
    out.push(`${t.table}: ${parts.join(", ") || "row count differs"} (${num(t.expectedCount)} row(s) expected, ${num(t.gotCount)} got)`);
    for (const row of t.addedRows) out.push(rowLine("added", row, pk));
    for (const row of t.removedRows) out.push(rowLine("removed", row, pk));
    for (const c of t.changedRows) {
      const cells = Object.entries(c.columns).map(([col, v]) => `${col}: ${show(v.expected)} → ${show(v.got)}`);
      out.push(`  ${"changed".padEnd(8)} ${c.key}  ${cells.join("; ")}`);
    }
    const hidden = Math.max(0, t.added - SHOWN_ROWS) + Math.max(0, t.removed - SHOWN_ROWS) + Math.max(0, t.changed - SHOWN_ROWS);
    if (hidden) out.push(`  … and ${num(hidden)} more row(s)`);
  }
  if (g.state.length) {
    out.push("state:");
    for (const d of g.state) out.push(`  ${d.path}: expected ${show(d.expected)}, got ${show(d.got)}`);
  }
  if (g.checkpoints) {
    const c = g.checkpoints;
    out.push(`checkpoints: ${c.expected} expected, ${c.got} got; checkpoint ${c.firstDifferent} differs: expected ${show(c.expectedState ?? "(none)")}, got ${show(c.gotState ?? "(none)")}`);
  }
  out.push("", `${mark("TEST FAILED")}: the replay of ${r.cassette} differs from ${outcomeFile}. If the change is intended, accept it with \`connector test${r.cassette.endsWith("/default") || r.cassette === "default" ? "" : " " + r.cassette.split("/").pop()} --update\`.`);
  return out.join("\n");
}
