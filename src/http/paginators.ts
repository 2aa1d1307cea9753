/**
 * The five paginators. Each turns the URL of the page just read and its response into the
 * next page's URL, or null when paging is done, with a JSON `resume` naming that next page.
 */
import { atPath, keysNear } from "./json-path.js";
import { HttpOptionError, type PaginatorOptions, type RestResponse } from "./options.js";
import { HttpBodyError } from "./retry.js";
import { log } from "../sdk/log.js";

export interface Step {
  url: URL;
  resume: Record<string, string | number>;
}

export interface Paginator {
  readonly type: PaginatorOptions["type"];
  /** The first page's URL: from the start, or from a checkpointed `resume`; undefined when `resume` names no page this paginator knows. */
  first(url: URL, resume: Record<string, unknown> | undefined): URL | undefined;
  next(url: URL, response: RestResponse, body: unknown, items: number): Step | null;
}

/** The `next` link of an RFC 8288 Link header. */
export function linkNext(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/s.exec(part);
    if (!m) continue;
    // Each parameter whole, a quoted value with its ; and , inside: a title="…; rel=next" is no rel.
    for (const p of m[2]!.matchAll(/;\s*([^\s=;]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;]*))?/g)) {
      if (p[1]!.toLowerCase() !== "rel") continue;
      const value = (p[2] ?? "").trim().replace(/^"(.*)"$/s, "$1");
      if (value.toLowerCase().split(/\s+/).includes("next")) return m[1];
      // RFC 8288: only a link's first rel counts.
      break;
    }
  }
  return undefined;
}

const urlStep = (from: URL, next: unknown): Step | null => {
  if (typeof next !== "string" || next === "") return null;
  const url = new URL(next, from);
  return { url, resume: { url: url.href } };
};

/** A number, a bigint (a body's large integer) or a string of digits ("300", as a state editor may leave it) as a number; NaN for anything else. */
const asNumber = (v: unknown): number => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN);

/** A count in the body (a total, a page count): a number or a numeric string; undefined when absent, null or not a count. */
function countAt(body: unknown, path: string): number | undefined {
  const n = asNumber(atPath(body, path));
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** A query parameter's name, decoded as a server reads it. */
function paramName(pair: string): string {
  const name = pair.split("=")[0]!.replace(/\+/g, " ");
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** A query parameter's value, decoded as a server reads it. */
function paramValue(pair: string): string {
  const i = pair.indexOf("=");
  const value = i < 0 ? "" : pair.slice(i + 1).replace(/\+/g, " ");
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The query parameters that carry a credential, as a recorded cassette names them. A name that merely holds
 * "token" or "key" is not one: pageToken, NextToken, $skiptoken are where the listing is, and a resume without
 * them starts again at the first page.
 */
const CREDENTIAL_PARAM = /^(api[-_]?key|apikey|access[-_]?token|refresh[-_]?token|id[-_]?token|auth[-_]?token|client[-_]?secret|password|passwd)$/i;

/**
 * A next page's URL as a resume keeps it: without its credential parameters (api_key, access_token…), nor any
 * parameter whose value is one of the client's credentials (an API that echoes the bearer token as ?token=…),
 * since a resume is checkpointed into state, which must hold no credential. The rest of the query is kept as written.
 */
export function resumeHref(url: URL, isCredential: (value: string) => boolean = () => false): string {
  const pairs = url.search.slice(1).split("&");
  const kept = pairs.filter((p) => p === "" || !(CREDENTIAL_PARAM.test(paramName(p)) || isCredential(paramValue(p))));
  if (kept.length === pairs.length) return url.href;
  const u = new URL(url);
  u.search = kept.filter(Boolean).join("&");
  return u.href;
}

/** A resume URL, with the credential parameters resumeHref() left out put back from the listing's own URL (same origin only). */
function resumeUrl(url: URL, resume: Record<string, unknown> | undefined): URL | undefined {
  if (resume === undefined) return url;
  if (typeof resume.url !== "string" || !URL.canParse(resume.url)) return undefined;
  const r = new URL(resume.url);
  if (r.origin !== url.origin) return r;
  const back = [...url.searchParams].filter(([k]) => CREDENTIAL_PARAM.test(k) && !r.searchParams.has(k));
  if (back.length > 0) r.search = [r.search.slice(1), new URLSearchParams(back).toString()].filter(Boolean).join("&");
  return r;
}

/** A whole number ≥ 0 in a resume, as checkpointed or as a state editor may have left it ("300"). */
function wholeAt(resume: Record<string, unknown>, key: string): number | undefined {
  const n = asNumber(resume[key]);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** What a resume of each paginator looks like, for the warning about one that is not. */
const RESUME_SHAPE: Record<string, string> = { "next-url": `{ "url": "https://…" }`, "link-header": `{ "url": "https://…" }`, cursor: `{ "cursor": "…" }`, offset: `{ "offset": 300 }`, page: `{ "page": 4 }` };

/**
 * The listing's first URL: where `resume` says, or, when it names no page this paginator knows (a state
 * edited by hand, or left by another paginator), the first page, with a warning. Reading again is safe; a guess is not.
 */
export function firstUrl(pager: Paginator | undefined, url: URL, resume: unknown): URL {
  if (resume === undefined || resume === null) return pager ? pager.first(url, undefined)! : url;
  const r = typeof resume === "object" && !Array.isArray(resume) ? (resume as Record<string, unknown>) : undefined;
  const from = r === undefined ? undefined : pager ? pager.first(new URL(url), r) : resumeUrl(url, r);
  if (from) return from;
  const shown = JSON.stringify(resume) ?? String(resume);
  const type = pager?.type ?? "next-url";
  log.warning(`The resume ${shown.length > 200 ? shown.slice(0, 200) + "…" : shown} of ${url.origin}${url.pathname} is not one the ${pager ? `${pager.type} paginator` : "detected paginator"} can continue from (it takes ${RESUME_SHAPE[type]}): paging starts from the first page.`);
  return pager ? pager.first(url, undefined)! : url;
}

export function makePaginator(p: PaginatorOptions): Paginator {
  switch (p.type) {
    case "next-url":
      return { type: p.type, first: resumeUrl, next: (url, _, body) => urlStep(url, atPath(body, p.path)) };
    case "link-header":
      return { type: p.type, first: resumeUrl, next: (url, response) => urlStep(url, linkNext(response.headers.get("link"))) };
    case "cursor":
      return {
        type: p.type,
        first(url, resume) {
          if (resume === undefined) return url;
          const cursor = resume.cursor;
          if (!((typeof cursor === "string" && cursor !== "") || (typeof cursor === "number" && Number.isFinite(cursor)))) return undefined;
          url.searchParams.set(p.param, String(cursor));
          return url;
        },
        next(url, _, body) {
          const cursor = atPath(body, p.path);
          if (cursor === undefined || cursor === null || cursor === "" || cursor === false) return null;
          const next = new URL(url);
          next.searchParams.set(p.param, String(cursor));
          return { url: next, resume: { cursor: String(cursor) } };
        },
      };
    case "offset": {
      const param = p.param ?? "offset";
      const limitParam = p.limitParam ?? "limit";
      return {
        type: p.type,
        first(url, resume) {
          const offset = resume === undefined ? (p.start ?? 0) : wholeAt(resume, "offset");
          if (offset === undefined) return undefined;
          url.searchParams.set(param, String(offset));
          url.searchParams.set(limitParam, String(p.limit));
          return url;
        },
        next(url, _, body, items) {
          // By the items received: an API that caps the page size below `limit` would otherwise have rows skipped.
          const offset = Number(url.searchParams.get(param)) + items;
          const total = p.totalPath ? countAt(body, p.totalPath) : undefined;
          // A short page is no end: many APIs cap the page size below `limit` (100 of the 500 asked) without a word, and
          // stopping there lost every row after the first page. Without a total, paging ends on an empty page, as in dlt.
          if (total !== undefined && offset >= total) return null;
          const next = new URL(url);
          next.searchParams.set(param, String(offset));
          return { url: next, resume: { offset } };
        },
      };
    }
    case "page": {
      const param = p.param ?? "page";
      const start = p.start ?? 1;
      return {
        type: p.type,
        first(url, resume) {
          const page = resume === undefined ? start : wholeAt(resume, "page");
          if (page === undefined) return undefined;
          url.searchParams.set(param, String(page));
          return url;
        },
        next(url, _, body) {
          const page = Number(url.searchParams.get(param)) + 1;
          const total = p.totalPagesPath ? countAt(body, p.totalPagesPath) : undefined;
          if (total !== undefined && page - start >= total) return null;
          const next = new URL(url);
          next.searchParams.set(param, String(page));
          return { url: next, resume: { page } };
        },
      };
    }
    default:
      throw new HttpOptionError(`unknown paginator ${JSON.stringify((p as { type: unknown }).type)}`);
  }
}

/** What to set when a paginator's next page came back the same as the page before: the API does not read what it changes. */
export function sameBodyAdvice(p: PaginatorOptions): string {
  if (p.type === "page") return `the API seems to ignore the query parameter "${p.param ?? "page"}": set paginator.param to the one it pages by, or paginator.totalPagesPath to where the body gives its page count`;
  if (p.type === "offset") return `the API seems to ignore the query parameters "${p.param ?? "offset"}" and "${p.limitParam ?? "limit"}": set paginator.param and paginator.limitParam to the ones it pages by`;
  if (p.type === "cursor") return `the API seems to ignore the query parameter "${p.param}": set paginator.param to the one it reads the cursor from`;
  return "check the paginator's options";
}

/** Body fields that hold the next page's URL, as APIs commonly name them. */
const NEXT_FIELDS = ["next", "next_url", "nextUrl", "next_page_url", "nextPageUrl", "links.next", "_links.next.href", "paging.next", "pagination.next", "meta.next", "@odata.nextLink", "odata.nextLink"];

/** A paginator read off the first response: a Link header, or a next-URL field in the body. */
export function detectPaginator(response: RestResponse, body: unknown): PaginatorOptions | undefined {
  if (linkNext(response.headers.get("link"))) return { type: "link-header" };
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  for (const path of NEXT_FIELDS) {
    const v = atPath(body, path);
    if (typeof v === "string" && /^(https?:\/\/|\/|\?)/.test(v)) return { type: "next-url", path };
  }
  return undefined;
}

/** List fields that commonly hold a page's items. */
const LIST_FIELDS = ["data", "items", "results", "records", "entries", "values", "rows"];

/** The page's items: at `path`, or the body itself when it is a list, or its one list field. */
export function itemsOf(body: unknown, path: string | undefined, shownUrl: () => string): unknown[] {
  if (path !== undefined) {
    const v = atPath(body, path);
    if (Array.isArray(v)) return v;
    const near = keysNear(body, path);
    const what = v === undefined ? "is missing" : `holds ${v === null ? "null" : typeof v}, not a list`;
    throw new HttpBodyError(`The items path "${path}" ${what} in the body of ${shownUrl()}; ${near.at} has the keys: ${near.keys.join(", ") || "(none)"}. Set items to the dotted path of the list.`);
  }
  if (Array.isArray(body)) return body;
  if (body !== null && typeof body === "object") {
    for (const key of LIST_FIELDS) if (Array.isArray((body as Record<string, unknown>)[key])) return (body as Record<string, unknown[]>)[key]!;
    const lists = Object.entries(body).filter(([, v]) => Array.isArray(v));
    if (lists.length === 1) return lists[0]![1] as unknown[];
  }
  const keys = body !== null && typeof body === "object" ? Object.keys(body) : [];
  throw new HttpBodyError(`Cannot tell where the items are in the body of ${shownUrl()}: it is ${Array.isArray(body) ? "a list" : body === null ? "null" : typeof body} with the keys: ${keys.join(", ") || "(none)"}. Set items to the dotted path of the list.`);
}

/**
 * The URLs of a listing's latest pages: a cursor that comes back (A, B, A…) would page forever, as one
 * repeated at once would. A window, not every URL, so that memory stays flat over a long listing.
 */
export class RecentUrls {
  private readonly set = new Set<string>();
  private readonly order: string[] = [];
  constructor(private readonly size = 1000) {}

  add(href: string): void {
    if (this.set.has(href)) return;
    this.set.add(href);
    this.order.push(href);
    if (this.order.length > this.size) this.set.delete(this.order.shift()!);
  }

  has(href: string): boolean {
    return this.set.has(href);
  }
}
