/** HTML building blocks: escaping, the page frame with its navigation, tables and JSON. */
import { stringifyExact } from "../util/exact.js";

export const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Marks a string as HTML already escaped. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}
export const raw = (text: string): Html => new Html(text);

/** A tagged template that escapes every interpolated value but Html and arrays of Html. */
export function html(parts: TemplateStringsArray, ...values: unknown[]): Html {
  let out = parts[0]!;
  values.forEach((v, i) => {
    out += (Array.isArray(v) ? v : [v]).map((x) => (x instanceof Html ? x.text : x === undefined || x === null || x === false ? "" : esc(x))).join("");
    out += parts[i + 1]!;
  });
  return new Html(out);
}

const NAV: [string, string, string][] = [
  ["/", "Overview", "o"],
  ["/checkpoints", "Checkpoints", "c"],
  ["/runs", "Runs", "r"],
  ["/http", "HTTP", "h"],
];

export interface Frame {
  title: string;
  /** The navigation entry this page belongs to. */
  section: string;
  connector: string;
  /** Pages that follow a running sync reload their main part on each change. */
  live?: boolean;
  body: Html;
}

export function page(f: Frame): string {
  const nav = NAV.map(([href, label, key]) => html`<a href="${href}" accesskey="${key}"${raw(f.section === href ? ' aria-current="page"' : "")}><kbd>${key}</kbd> ${label}</a>`);
  return (
    "<!doctype html>\n" +
    html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${f.title} · ${f.connector}</title><link rel="stylesheet" href="/assets/app.css"><script src="/assets/app.js" defer></script></head>
<body${raw(f.live ? ' data-live="1"' : "")}><header><strong class="brand">connector ui</strong> <span class="muted">${f.connector}</span><nav>${nav}</nav><span id="live" class="muted" aria-live="polite"></span></header>
<main id="main">${f.body}</main><footer class="muted">read-only view · keys: o c r h, j/k to move between rows, / to filter</footer></body></html>`.text
  );
}

/** A semantic table; `numeric` columns are right-aligned. */
export function table(head: (string | Html)[], rows: (string | number | Html | null | undefined)[][], options: { numeric?: number[]; caption?: string; rowClass?: (i: number) => string; id?: string; className?: string } = {}): Html {
  const num = new Set(options.numeric ?? []);
  const th = head.map((h, i) => html`<th scope="col"${raw(num.has(i) ? ' class="n"' : "")}>${h}</th>`);
  const tr = rows.map((r, ri) => {
    const cls = options.rowClass?.(ri);
    return html`<tr${raw(cls ? ` class="${esc(cls)}"` : "")} tabindex="-1">${r.map((c, i) => html`<td${raw(num.has(i) ? ' class="n"' : "")}>${c}</td>`)}</tr>`;
  });
  return html`<table${raw(options.id ? ` id="${esc(options.id)}"` : "")}${raw(options.className ? ` class="${esc(options.className)}"` : "")}>${options.caption ? html`<caption>${options.caption}</caption>` : ""}<thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

/** A JSON value, pretty-printed (integers beyond 2^53 exact). */
export const json = (value: unknown): Html => html`<pre class="json">${stringifyExact(value, 2)}</pre>`;

export const fmt = (n: number): string => n.toLocaleString("en-US");

export function notice(kind: "error" | "warn" | "info", text: string | Html): Html {
  return html`<p class="notice ${kind}" role="${kind === "error" ? "alert" : "status"}">${text}</p>`;
}
