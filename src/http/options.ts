/** The options of RestClient and paginate(), and their checks when the client is made. */

export type AuthOptions =
  | { type: "bearer"; token: string }
  | { type: "api-key"; name: string; value: string; in?: "header" | "query" }
  | { type: "basic"; username: string; password: string }
  | { type: "oauth2-client-credentials"; tokenUrl: string; clientId: string; clientSecret: string; scope?: string }
  | { type: "oauth2-refresh-token"; tokenUrl: string; clientId: string; clientSecret?: string; refreshToken: string };

export type PaginatorOptions =
  | { type: "next-url"; path: string }
  | { type: "link-header" }
  | { type: "cursor"; path: string; param: string }
  | { type: "offset"; limit: number; param?: string; limitParam?: string; totalPath?: string; start?: number }
  | { type: "page"; param?: string; start?: number; totalPagesPath?: string };

/** A response as the client hands it over: the body is read whole, once. */
/** Request headers as the client keeps them, for fetch: names in lower case. */
export type HeaderRecord = Record<string, string>;

export interface RestResponse {
  status: number;
  headers: Headers;
  url: string;
  json<T = unknown>(): T;
  text(): string;
}

export interface RetryOptions {
  /** Tries in all, the first included. Default 5. */
  attempts?: number;
  /** The longest wait between two tries, Retry-After included. Default 60,000. */
  maxDelayMs?: number;
  /** The first back-off's ceiling, doubled on every try. Default 1,000. */
  baseDelayMs?: number;
  /** The statuses retried. Default 408, 429, 500, 502, 503, 504. */
  statuses?: number[];
  /** Decides for each response: true retries it, false does not, undefined leaves it to `statuses`. */
  when?: (response: RestResponse) => boolean | undefined;
}

export interface RestClientOptions {
  baseUrl?: string;
  headers?: Record<string, string>;
  auth?: AuthOptions;
  retry?: RetryOptions;
  /** A token bucket per host. */
  rateLimit?: { requestsPerSecond: number; burst?: number };
  /** Requests in flight at once, over all hosts. */
  concurrency?: number;
  /** Per try, the body included. Default 30,000. */
  timeoutMs?: number;
  /** The paginator of paginate() calls that name none. */
  paginator?: PaginatorOptions;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method?: string;
  path: string;
  query?: Query;
  headers?: Record<string, string>;
  /** A plain value is sent as JSON; a string or URLSearchParams as it is. */
  body?: unknown;
}

export interface PaginateOptions {
  query?: Query;
  headers?: Record<string, string>;
  /** Where the list is in the body, a dotted path; the whole body when it is a list. */
  items?: string;
  paginator?: PaginatorOptions;
  /** A page's `resume`, as checkpointed: paging starts again at the page it names. */
  resume?: unknown;
  /** Stop after this many pages (a sample, a sync in slices); the last page's `resume` still names the next page. */
  maxPages?: number;
}

/** A client or paginate() option that cannot work: raised at once, naming the option and what it may be. */
export class HttpOptionError extends Error {
  override name = "HttpOptionError";
}

export const AUTH_TYPES = ["bearer", "api-key", "basic", "oauth2-client-credentials", "oauth2-refresh-token"] as const;
export const PAGINATOR_TYPES = ["next-url", "link-header", "cursor", "offset", "page"] as const;

const REQUIRED: Record<string, string[]> = {
  bearer: ["token"],
  "api-key": ["name", "value"],
  basic: ["username", "password"],
  "oauth2-client-credentials": ["tokenUrl", "clientId", "clientSecret"],
  "oauth2-refresh-token": ["tokenUrl", "clientId", "refreshToken"],
  "next-url": ["path"],
  "link-header": [],
  cursor: ["path", "param"],
  offset: ["limit"],
  page: [],
};

function checkTyped(what: "auth" | "paginator", value: unknown, types: readonly string[]): void {
  const an = what === "auth" ? "an" : "a";
  const o = value as Record<string, unknown> | null;
  if (o === null || typeof o !== "object" || !types.includes(o.type as string)) {
    const got = o !== null && typeof o === "object" ? JSON.stringify(o.type ?? null) : JSON.stringify(o);
    throw new HttpOptionError(`RestClient option ${what}.type: ${got} is not ${an} ${what} type. Valid types: ${types.join(", ")}.`);
  }
  for (const key of REQUIRED[o.type as string]!) {
    const v = o[key];
    if (v === undefined || v === null || v === "") throw new HttpOptionError(`RestClient option ${what}.${key} is missing: ${an} ${what} of type "${o.type}" needs ${REQUIRED[o.type as string]!.join(", ")}.`);
  }
  if (o.type === "api-key" && o.in !== undefined && o.in !== "header" && o.in !== "query") {
    throw new HttpOptionError(`RestClient option auth.in: ${JSON.stringify(o.in)} is not valid. Valid values: header, query.`);
  }
  // A value no header can carry fails every try alike: said now, not retried as a network error (the value is a credential, so not shown).
  const header = o.type === "bearer" ? { name: "authorization", key: "token" } : o.type === "api-key" && o.in !== "query" ? { name: o.name, key: "value" } : undefined;
  if (header && typeof header.name === "string" && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(header.name)) {
    throw new HttpOptionError(`RestClient option auth.name: ${JSON.stringify(header.name)} is not an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only, no spaces). Give the header's name, e.g. "X-Api-Key", or in: "query".`);
  }
  const credential = header ? o[header.key] : undefined;
  if (typeof credential === "string") {
    const at = [...credential.trim()].findIndex((c) => c === "\r" || c === "\n" || c === "\0" || c.codePointAt(0)! > 0xff);
    if (at >= 0) {
      throw new HttpOptionError(`RestClient option auth.${header!.key} cannot be sent in an HTTP header: its character at index ${at} is a line break or lies outside Latin-1 (a character pasted with the credential?). The value is not shown, as it is a secret.`);
    }
  }
  if (o.type === "offset" && !(Number.isInteger(o.limit) && (o.limit as number) > 0)) {
    throw new HttpOptionError(`RestClient option paginator.limit: ${JSON.stringify(o.limit)} is not a positive whole number.`);
  }
  for (const key of ["tokenUrl"]) {
    if (typeof o[key] === "string") {
      let url: URL;
      try {
        url = new URL(o[key] as string);
      } catch {
        throw new HttpOptionError(`RestClient option ${what}.${key}: ${JSON.stringify(o[key])} is not an absolute URL.`);
      }
      notHttp(`${what}.${key}`, o[key] as string, url);
    }
  }
}

/**
 * fetch takes http and https only. "localhost:8080" parses as a URL of the scheme "localhost:", so without this
 * every request failed as a network error ("unknown scheme"), retried with back-off, instead of at once.
 */
function notHttp(option: string, given: string, url: URL): void {
  if (url.protocol === "http:" || url.protocol === "https:") return;
  const meant = /^[a-z][a-z0-9+.-]*:\d/i.test(given) ? ` Did you mean "http://${given}"?` : "";
  throw new HttpOptionError(`RestClient option ${option}: ${JSON.stringify(given)} is not an http or https URL (it reads as the scheme ${JSON.stringify(url.protocol)}).${meant}`);
}

export function checkAuth(auth: unknown): void {
  if (auth !== undefined) checkTyped("auth", auth, AUTH_TYPES);
}

export function checkPaginator(paginator: unknown): void {
  if (paginator !== undefined) checkTyped("paginator", paginator, PAGINATOR_TYPES);
}

export function checkMaxPages(maxPages: unknown): void {
  if (maxPages !== undefined && !(typeof maxPages === "number" && Number.isInteger(maxPages) && maxPages >= 1)) {
    throw new HttpOptionError(`paginate option maxPages: ${typeof maxPages === "number" ? maxPages : JSON.stringify(maxPages)} is not a number of pages: give a whole number, 1 or more, or leave it out to page to the end.`);
  }
}

export function checkClientOptions(o: RestClientOptions): void {
  if (o === null || typeof o !== "object") throw new HttpOptionError("RestClient needs an options object, e.g. new RestClient({ baseUrl: \"https://api.example.com\" }).");
  if (o.baseUrl !== undefined && o.baseUrl !== "") {
    let base: URL;
    try {
      base = new URL(o.baseUrl);
    } catch {
      throw new HttpOptionError(`RestClient option baseUrl: ${JSON.stringify(o.baseUrl)} is not an absolute URL.`);
    }
    // fetch refuses such a URL on every try, and its message would print the password.
    if (base.username || base.password) {
      base.username = base.password = "";
      throw new HttpOptionError(`RestClient option baseUrl: a user name or password in the URL (${base.protocol}//***@${base.host}) is not sent by fetch. Give them as auth: { type: "basic", username, password }, and baseUrl without them.`);
    }
    notHttp("baseUrl", o.baseUrl, base);
  }
  checkAuth(o.auth);
  checkPaginator(o.paginator);
  const positive = (name: string, v: unknown, whole: boolean): void => {
    if (v !== undefined && !(typeof v === "number" && v > 0 && (!whole || Number.isInteger(v)))) {
      throw new HttpOptionError(`RestClient option ${name}: ${JSON.stringify(v)} is not a positive ${whole ? "whole " : ""}number.`);
    }
  };
  positive("retry.attempts", o.retry?.attempts, true);
  positive("retry.maxDelayMs", o.retry?.maxDelayMs, false);
  positive("retry.baseDelayMs", o.retry?.baseDelayMs, false);
  positive("rateLimit.requestsPerSecond", o.rateLimit?.requestsPerSecond, false);
  positive("concurrency", o.concurrency, true);
  positive("timeoutMs", o.timeoutMs, false);
  if (o.rateLimit !== undefined && o.rateLimit.requestsPerSecond === undefined) positive("rateLimit.requestsPerSecond", null, false);
  if (o.retry?.statuses !== undefined && !(Array.isArray(o.retry.statuses) && o.retry.statuses.every((s) => Number.isInteger(s) && s >= 100 && s <= 599))) {
    throw new HttpOptionError(`RestClient option retry.statuses: ${JSON.stringify(o.retry.statuses)} is not a list of HTTP statuses (100 to 599).`);
  }
  if (o.retry?.when !== undefined && typeof o.retry.when !== "function") throw new HttpOptionError("RestClient option retry.when: must be a function of the response.");
}
