/** The checkpoint timeline, one checkpoint with its state diff, and the runs. */
import type { CheckpointSummary } from "../destinations/reader.js";
import { diffStates, type StateChange } from "../state/edit.js";
import type { JsonValue } from "../state/state.js";
import { parseJsonExact } from "../util/exact.js";
import { NotFound } from "./errors.js";
import { fmt, html, json, notice, table, type Html } from "./html.js";
import { describeDestination, errorCell, opsLine, peakMemory, runStatus } from "./pages.js";
import { addOps, collectRuns, span, type OpCounts } from "./runs.js";
import { crashReports, runRecords, withReader, type ProjectSource } from "./source.js";

/** Checkpoints a timeline page shows. */
export const TIMELINE_PAGE = 200;

function opsCell(operations: string): string {
  const by: Record<string, OpCounts> = {};
  addOps(by, operations);
  const parts = Object.entries(by).map(([t, c]) => {
    const bits = (["upserts", "updates", "deletes", "truncates"] as const).filter((k) => c[k] > 0).map((k) => `${fmt(c[k])} ${c[k] === 1 ? k.slice(0, -1) : k}`);
    return `${t}: ${bits.join(", ") || "nothing"}`;
  });
  return parts.join("; ") || "no operations";
}

export async function timeline(s: ProjectSource, query: URLSearchParams): Promise<Html> {
  const before = Number(query.get("before") ?? NaN);
  const read = await withReader(s, async (reader) => {
    const range = await reader.checkpointRange();
    if (!range) return { range, list: [] as CheckpointSummary[] };
    const until = Number.isInteger(before) ? before : range.last + 1;
    const list: CheckpointSummary[] = [];
    for await (const c of reader.eachCheckpoint({ after: until - TIMELINE_PAGE - 1 })) {
      if (c.seq >= until) break;
      list.push(c);
    }
    return { range, list: list.slice(-TIMELINE_PAGE).reverse() };
  });
  if (!read.ok) return html`<h1>Checkpoints</h1>${notice("warn", html`The warehouse cannot be read now: ${read.reason}`)}`;
  const { range, list } = read.value;
  if (!range) return html`<h1>Checkpoints</h1><p class="muted">No checkpoints yet in ${describeDestination(s)}.</p>`;
  const oldest = list[list.length - 1]?.seq;
  return html`<h1>Checkpoints</h1>
<p>${fmt(range.last - range.first + 1)} checkpoints (${range.first} to ${range.last}) in ${describeDestination(s)}, newest first.</p>
${table(
  ["Seq", "Time", "Run", "Operations since the previous checkpoint", "State size"],
  list.map((c) => [html`<a href="/checkpoints/${c.seq}">${c.seq}</a>`, c.time, c.run, opsCell(c.operations), `${fmt(c.stateBytes)} B`]),
  { numeric: [0, 2, 4], caption: "Each row: one checkpoint; open it for its state and what changed." },
)}
${oldest !== undefined && oldest > range.first ? html`<div class="pager"><a href="/checkpoints?before=${oldest}">older →</a></div>` : ""}`;
}

export async function checkpointPage(s: ProjectSource, seqText: string): Promise<Html> {
  const seq = /^\d{1,15}$/.test(seqText) ? Number(seqText) : NaN;
  const read = await withReader(s, async (reader) => {
    const cp = Number.isInteger(seq) ? await reader.checkpoint(seq) : undefined;
    if (!cp) {
      const range = await reader.checkpointRange();
      throw new NotFound(`No checkpoint ${JSON.stringify(seqText)} in ${describeDestination(s)}${range ? `: its checkpoints are ${range.first} to ${range.last}` : ": it has no checkpoints yet"}.`);
    }
    let previous = seq > 0 ? await reader.checkpoint(seq - 1) : undefined;
    if (!previous) {
      // A gap (a rewind): the newest checkpoint before this one.
      let found: number | undefined;
      for await (const c of reader.eachCheckpoint({ after: seq - 1000 })) {
        if (c.seq >= seq) break;
        found = c.seq;
      }
      if (found !== undefined) previous = await reader.checkpoint(found);
    }
    return { cp, previous };
  });
  if (!read.ok) return html`<h1>Checkpoint ${seqText}</h1>${notice("warn", html`The warehouse cannot be read now: ${read.reason}`)}`;
  const { cp, previous } = read.value;
  const state = parseJsonExact(cp.state) as JsonValue;
  const before = previous ? (parseJsonExact(previous.state) as JsonValue) : {};
  const changes = diffStates(before, state);
  const dir = s.store.inDestination ? ` --destination '${s.location}'` : "";
  return html`<h1>Checkpoint ${cp.seq}</h1>
<dl><dt>Time</dt><dd>${cp.time}</dd><dt>Run</dt><dd>${cp.run}</dd><dt>Operations</dt><dd>${opsCell(cp.operations)}</dd>
<dt>Compared with</dt><dd>${previous ? html`<a href="/checkpoints/${previous.seq}">checkpoint ${previous.seq}</a>` : "{} (the first checkpoint)"}</dd></dl>
<nav class="pager">${previous ? html`<a href="/checkpoints/${previous.seq}" rel="prev">← ${previous.seq}</a>` : ""}<a href="/checkpoints/${cp.seq + 1}" rel="next">${cp.seq + 1} →</a></nav>
<h2>What changed in the state</h2>
${changes.length ? diffTable(changes, previous ? `connector state diff ${previous.seq} ${cp.seq}${dir}` : undefined) : html`<p class="muted">The state did not change.</p>`}
<h2>Return to this checkpoint</h2>
<p>This page changes nothing. To make the next sync start from this checkpoint's state, run in the project folder:</p>
<pre><code>connector state rewind ${cp.seq}${dir}</code></pre>
<h2>State at this checkpoint</h2>${json(state)}`;
}

/** Paths a diff shows: a state that changes in tens of thousands of places would make a page of megabytes. */
export const DIFF_ROWS = 1000;

function diffTable(changes: StateChange[], command: string | undefined): Html {
  const show = (v: JsonValue | undefined): Html | string => (v === undefined ? "" : typeof v === "object" && v !== null ? json(v) : html`<code>${JSON.stringify(v)}</code>`);
  const shown = changes.slice(0, DIFF_ROWS);
  const rest = changes.length - shown.length;
  return html`${table(
    ["Path", "Change", "Before", "After"],
    shown.map((c) => [html`<code>${c.path}</code>`, c.kind, show(c.before), show(c.after)]),
    { rowClass: (i) => shown[i]!.kind, caption: `${fmt(changes.length)} path${changes.length === 1 ? "" : "s"} changed${rest ? `; the first ${fmt(DIFF_ROWS)} are shown` : ""}` },
  )}${rest ? notice("info", command ? html`${fmt(rest)} more paths changed; <code>${command}</code> prints them all.` : html`${fmt(rest)} more paths: the whole state is below.`) : ""}`;
}

export async function runsPage(s: ProjectSource): Promise<Html> {
  const crashes = crashReports(s);
  const records = runRecords(s);
  const read = await withReader(s, async (reader) => collectRuns(reader.eachCheckpoint(), crashes, records));
  const runs = read.ok ? read.value : await collectRuns([], crashes, records);
  return html`<h1>Runs</h1>
${read.ok ? "" : notice("warn", html`The warehouse cannot be read now: ${read.reason} Only the crash reports are listed.`)}
${runs.length === 0 ? html`<p class="muted">No runs yet.</p>` : table(
  ["Run", "Status", "Checkpoints", "From", "To", "Duration", "Peak memory", "Operations", "Error"],
  runs.map((r) => [r.run ?? "—", runStatus(r), r.checkpoints ? html`<a href="/checkpoints/${r.firstSeq}">${r.firstSeq}</a>–<a href="/checkpoints/${r.lastSeq}">${r.lastSeq}</a>` : "none", r.start, r.end, span(r), peakMemory(r), opsLine(r), errorCell(r)]),
  { numeric: [0] },
)}`;
}
