/** The overview and the table pages. */
import path from "node:path";
import type { TableSummary } from "../destinations/reader.js";
import { destinationOf } from "../destinations/registry.js";
import { fmt, html, json, notice, raw, table, type Html } from "./html.js";
import { collectRuns, span, totals, type RunSummary } from "./runs.js";
import { crashReports, readState, runRecords, withReader, type ProjectSource } from "./source.js";
import { formatSize } from "../util/size.js";
import { BadRequest, NotFound } from "./errors.js";
import { parseJsonExact } from "../util/exact.js";

const SYSTEM = new Set(["_fivetran_synced", "_fivetran_deleted", "_fivetran_id", "_connector_generation"]);
const SYSTEM_TYPES: Record<string, string> = { _fivetran_synced: "UTC_DATETIME", _fivetran_deleted: "BOOLEAN" };
export const PAGE_ROWS = 50;

export function describeDestination(s: ProjectSource): string {
  return `${destinationOf(s.spec).label} ${s.location}`;
}

export function runStatus(r: RunSummary): Html {
  if (r.record) return r.record.status === "failed" ? html`<span class="status-failed">failed</span>` : html`<span class="status-ok">succeeded</span>`;
  return r.crash ? html`<span class="status-failed">failed</span>` : html`<span class="status-ok">committed</span>`;
}

export function opsLine(r: RunSummary): string {
  const t = r.record ? r.record.counts : totals(r.byTable);
  return `${fmt(t.upserts)} upserts, ${fmt(t.updates)} updates, ${fmt(t.deletes)} deletes, ${fmt(t.truncates)} truncates`;
}

export async function overview(s: ProjectSource): Promise<Html> {
  const crashes = crashReports(s);
  const records = runRecords(s);
  const read = await withReader(s, async (reader) => ({ tables: await reader.tables(), runs: await collectRuns(reader.eachCheckpoint(), crashes, records) }));
  const state = await readState(s);
  const runs = read.ok ? read.value.runs : await collectRuns([], crashes, records);
  const last = runs[0];
  return html`<h1>Overview</h1>
<dl><dt>Connector</dt><dd><code>${path.relative(s.project.dir, s.connectorFile)}</code> in <code>${s.project.dir}</code></dd>
<dt>Destination</dt><dd>${describeDestination(s)}</dd></dl>
${read.ok ? "" : notice("warn", html`The warehouse cannot be read now: ${read.reason} The rest of the page is shown.`)}
<h2>Last run</h2>
${last ? lastRun(last) : html`<p class="muted">No run yet: run <code>connector debug</code>.</p>`}
<h2>Tables</h2>
${read.ok ? tablesTable(read.value.tables) : html`<p class="muted">Not readable now.</p>`}
<h2>State now</h2>
${state.ok ? (state.value === undefined ? html`<p class="muted">No state yet: the next sync starts from {}.</p>` : json(state.value)) : notice("error", state.reason)}`;
}

function lastRun(r: RunSummary): Html {
  return html`<dl><dt>Status</dt><dd>${runStatus(r)}${r.run !== undefined ? html` · run ${r.run}` : ""}</dd>
<dt>Checkpoints</dt><dd>${r.checkpoints ? html`${fmt(r.checkpoints)} (<a href="/checkpoints/${r.firstSeq}">${r.firstSeq}</a> to <a href="/checkpoints/${r.lastSeq}">${r.lastSeq}</a>)` : "none committed"}</dd>
<dt>Operations</dt><dd>${opsLine(r)}${r.record ? byTable(r.record) : ""}</dd>
<dt>Time</dt><dd>${r.start}${r.end !== r.start ? ` to ${r.end}` : ""}</dd>
<dt>Duration</dt><dd id="run-duration">${span(r)}${r.record ? html` <span class="muted">(connector ${r.record.command}${r.record.attempt ? `, attempt ${r.record.attempt}` : ""})</span>` : html` <span class="muted">(first to last checkpoint)</span>`}</dd>
<dt>Peak memory</dt><dd id="run-memory">${peakMemory(r)}</dd>
${r.crash || r.record?.error ? html`<dt>Error</dt><dd>${errorCell(r)}</dd>` : ""}</dl>`;
}

export function peakMemory(r: RunSummary): Html | string {
  const rec = r.record;
  if (rec?.peakRssBytes === undefined) return html`<span class="muted">not recorded (the run has no record in files/runs.jsonl)</span>`;
  return `${formatSize(rec.peakRssBytes)} RSS${rec.peakHeapBytes ? `, ${formatSize(rec.peakHeapBytes)} heap` : ""}`;
}

export function errorCell(r: RunSummary): Html | string {
  if (r.crash) return crashBlock(r);
  const e = r.record?.error;
  return e ? html`<span class="status-failed">${e.name}: ${e.message}</span>` : "";
}

function byTable(rec: NonNullable<RunSummary["record"]>): Html {
  const rows = Object.entries(rec.byTable).map(([t, c]) => [t, fmt(c.upserts), fmt(c.updates), fmt(c.deletes), fmt(c.truncates)]);
  if (rows.length === 0) return html``;
  return html`${table(["Table", "Upserts", "Updates", "Deletes", "Truncates"], rows, { numeric: [1, 2, 3, 4], id: "run-tables" })}${rec.moreTables ? html`<p class="muted">and ${fmt(rec.moreTables)} more tables</p>` : ""}`;
}

export function crashBlock(r: RunSummary): Html {
  const c = r.crash!;
  return html`<span class="status-failed">${c.reason}</span><details><summary>crash report <code>${c.file}</code></summary>${json({ command: c.command, error: c.error, counts: c.counts, lastCheckpoint: c.lastCheckpoint })}<h3>Last log lines</h3><pre>${c.log.join("\n")}</pre></details>`;
}

function tablesTable(tables: TableSummary[]): Html {
  if (tables.length === 0) return html`<p class="muted">No tables yet.</p>`;
  return table(
    ["Table", "Primary key", "Rows", "Live", "Deleted", "Last synced"],
    tables.map((t) => [html`<a href="/tables/${encodeURIComponent(t.table)}">${t.table}</a>`, t.primaryKey.join(", "), fmt(t.rows), fmt(t.rows - t.deleted), fmt(t.deleted), t.lastSynced ?? "never"]),
    { numeric: [2, 3, 4] },
  );
}

export async function tablePage(s: ProjectSource, name: string, query: URLSearchParams): Promise<Html> {
  const after = query.get("after") ?? undefined;
  const key = query.get("key") || undefined;
  const stale = new BadRequest(`This page's link (?after=…) was not made by this server, or was cut: open the first page of ${name} again.`);
  if (after !== undefined && !isCursor(after)) throw stale;
  const read = await withReader(s, async (reader) => {
    try {
      const page = await reader.rowPage(name, { limit: PAGE_ROWS, after, key });
      return { page, summary: page.summary };
    } catch (e) {
      if (/^No table /.test((e as Error).message)) throw new NotFound(`No table "${name}" in ${describeDestination(s)}.`);
      // A cursor of the right shape whose values this destination cannot compare (a PostgreSQL timestamp that is no timestamp).
      if (after !== undefined) throw stale;
      throw e;
    }
  });
  if (!read.ok) return html`<h1>${name}</h1>${notice("warn", html`The warehouse cannot be read now: ${read.reason}`)}`;
  const { summary, page } = read.value;
  const types = new Map(summary.columns.map((c) => [c.name, c]));
  const primaryKey = summary.columns.filter((c) => c.primaryKey).map((c) => c.name);
  const columns = table(
    ["Column", "Type", ""],
    page.columns.map((c) => [c, types.get(c)?.type ?? SYSTEM_TYPES[c] ?? "(untyped)", raw([types.get(c)?.primaryKey ? '<span class="tag pk">primary key</span>' : "", SYSTEM.has(c) ? '<span class="tag">system</span>' : "", types.get(c) && !types.get(c)!.declared ? '<span class="tag">inferred</span>' : ""].join(""))]),
  );
  const isJson = (c: string): boolean => /^JSON/i.test(types.get(c)?.type ?? "");
  const head = page.columns.map((c) => (types.get(c)?.primaryKey ? html`${c} <span class="tag pk">PK</span>` : SYSTEM.has(c) ? html`<span class="muted">${c}</span>` : html`${c}`));
  const deleted = (r: Record<string, unknown>): boolean => r._fivetran_deleted === 1 || r._fivetran_deleted === true || r._fivetran_deleted === 1n;
  const rows = page.rows.map((r) => page.columns.map((c) => cell(r[c], isJson(c))));
  const marks = page.rows.map((r) => (deleted(r) ? "deleted" : ""));
  const self = `/tables/${encodeURIComponent(name)}`;
  const keep = key ? `&key=${encodeURIComponent(key)}` : "";
  return html`<h1>${name}</h1>
<p>${summary.counts ? html`<span id="counts">${fmt(summary.counts.rows)} rows: ${fmt(summary.counts.rows - summary.counts.deleted)} live, ${fmt(summary.counts.deleted)} deleted</span> · ` : ""}primary key ${primaryKey.join(", ")}</p>
<h2>Columns</h2>${columns}
<h2>Rows <span class="muted">(newest synced first, ${PAGE_ROWS} a page; deleted rows struck through)</span></h2>
<form class="filter" method="get" action="${self}"><label>${primaryKey[0] ?? "key"} = <input name="key" value="${key ?? ""}" aria-label="filter on the primary key"></label><button>Filter</button>${key ? html`<a href="${self}">clear</a>` : ""}</form>
${page.rows.length ? table(head, rows, { rowClass: (i) => marks[i]!, id: "rows" }) : html`<p class="muted">${key ? "No row with that key." : "No rows."}</p>`}
<div class="pager">${after ? html`<a href="${self}${key ? `?key=${encodeURIComponent(key)}` : ""}">← first page</a>` : ""}${page.next ? html`<a href="${self}?after=${page.next}${raw(keep)}" rel="next" id="next-page">next page →</a>` : html`<span class="muted">last page</span>`}</div>`;
}

/** A row page's cursor as every reader makes it: base64url of a JSON pair of strings and numbers. */
function isCursor(after: string): boolean {
  try {
    const pair = JSON.parse(Buffer.from(after, "base64url").toString("utf8")) as unknown;
    return Array.isArray(pair) && pair.length === 2 && pair.every((v) => typeof v === "string" || (typeof v === "number" && Number.isFinite(v)));
  } catch {
    return false;
  }
}

function cell(v: unknown, isJson: boolean): Html | string {
  if (v === null || v === undefined) return html`<span class="muted">NULL</span>`;
  if (Buffer.isBuffer(v)) return html`<span class="muted">&lt;${v.length} bytes&gt;</span>`;
  if (isJson && typeof v === "string") {
    try {
      return json(parseJsonExact(v));
    } catch {
      return v;
    }
  }
  return typeof v === "string" ? v : String(v);
}
