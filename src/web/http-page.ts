/** The recorded cassettes of fixtures/, exchange by exchange, with every credential shown as ***. */
import path from "node:path";
import { listCassettes, readCassette, type Exchange, type Headers } from "../replay/cassette.js";
import { credentialsOf, responseCredentials } from "../replay/redact.js";
import { MASK } from "../util/redactor.js";
import { fmt, html, json, notice, table, type Html } from "./html.js";
import { hideSecrets, type ProjectSource } from "./source.js";

/** Headers shown as *** whatever their value. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$|api[-_]?key|token|secret|password|signature|session|credential|auth/i;
const PREVIEW_BYTES = 4096;

/** Adds every credential the cassettes carry to the source's redactor, so no page or response ever shows one. */
export function learnCassetteSecrets(s: ProjectSource): void {
  for (const name of listCassettes(s.project.dir)) {
    try {
      const exchanges = readCassette(path.join(s.project.dir, "fixtures", name));
      const found = [...responseCredentials(exchanges), ...exchanges.flatMap((x) => credentialsOf(x.request))];
      hideSecrets(s.redactor, found);
    } catch {
      // An unreadable cassette is reported on the page.
    }
  }
}

export function httpPage(s: ProjectSource): Html {
  learnCassetteSecrets(s);
  const names = listCassettes(s.project.dir);
  if (names.length === 0) return html`<h1>HTTP</h1><p class="muted">No recorded cassettes in fixtures/. Record one with <code>connector debug --record</code>.</p>`;
  return html`<h1>HTTP</h1><p>Recorded exchanges in fixtures/, in the order the connector made them. Credentials show as ${MASK}.</p>${names.map((n) => cassette(s, n))}`;
}

function cassette(s: ProjectSource, name: string): Html {
  let exchanges: Exchange[];
  try {
    exchanges = readCassette(path.join(s.project.dir, "fixtures", name));
  } catch (e) {
    return html`<h2>${name}</h2>${notice("error", (e as Error).message)}`;
  }
  const groups: [string, Exchange[]][] = [
    ["the recorded sync", exchanges.filter((x) => x.run === "sync")],
    ["the incremental re-run from its final state", exchanges.filter((x) => x.run === "incremental")],
  ];
  return html`<h2 id="cassette-${name}">fixtures/${name} <span class="muted">(${fmt(exchanges.length)} exchanges)</span></h2>
${groups.filter(([, xs]) => xs.length).map(([label, xs]) => html`<h3>During ${label}</h3>${byCheckpoint(xs).map(([heading, part]) => html`${heading === undefined ? "" : html`<h4 class="checkpoint-group">${heading}</h4>`}${table(
    ["#", "Method", "URL", "Status", "Time", "Exchange"],
    part.map(({ x, n }) => [n, x.request.method, x.request.url, `${x.response.status}${x.response.statusText ? ` ${x.response.statusText}` : ""}`, x.durationMs === undefined ? "—" : `${fmt(x.durationMs)} ms`, exchange(x)]),
    { numeric: [0, 4] },
  )}`)}`)}`;
}

/**
 * A run's exchanges split by the checkpoint they preceded, in order; one untitled group for a
 * cassette recorded before exchanges kept their place (afterCheckpoints absent).
 */
function byCheckpoint(xs: Exchange[]): [string | undefined, { x: Exchange; n: number }[]][] {
  if (xs.every((x) => x.afterCheckpoints === undefined)) return [[undefined, xs.map((x, i) => ({ x, n: i + 1 }))]];
  const groups: [string | undefined, { x: Exchange; n: number }[]][] = [];
  let current: number | undefined | null = null;
  xs.forEach((x, i) => {
    if (x.afterCheckpoints !== current || groups.length === 0) {
      current = x.afterCheckpoints;
      const k = x.afterCheckpoints;
      groups.push([k === undefined ? "Place not recorded" : k === 0 ? "Before checkpoint 1 of the run" : `After checkpoint ${k}, before checkpoint ${k + 1} (if any)`, []]);
    }
    groups[groups.length - 1]![1].push({ x, n: i + 1 });
  });
  return groups;
}

function exchange(x: Exchange): Html {
  return html`<details><summary>headers and body</summary><h4>Request headers</h4>${headers(x.request.headers)}${body(x.request.body, x.request.headers)}<h4>Response headers</h4>${headers(x.response.headers)}${body(x.response.body, x.response.headers)}</details>`;
}

function headers(h: Headers): Html {
  const rows = Object.entries(h).map(([k, v]) => [k, SECRET_HEADER.test(k) ? MASK : Array.isArray(v) ? v.join(", ") : v]);
  return rows.length ? table(["Header", "Value"], rows, { className: "headers" }) : html`<p class="muted">none</p>`;
}

function body(bytes: Buffer | undefined, h: Headers): Html | string {
  if (!bytes || bytes.length === 0) return "";
  const type = String(Object.entries(h).find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? "");
  const text = bytes.subarray(0, PREVIEW_BYTES).toString("utf8");
  const cut = bytes.length > PREVIEW_BYTES ? ` (first ${fmt(PREVIEW_BYTES)} of ${fmt(bytes.length)} bytes)` : "";
  if (/json/i.test(type) && !cut) {
    try {
      return html`<h4>Body</h4>${json(JSON.parse(text))}`;
    } catch {
      // Not JSON after all: shown as text.
    }
  }
  return html`<h4>Body${cut}</h4><pre>${text}</pre>`;
}
