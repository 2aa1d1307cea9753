/**
 * RestClient: requests through the global fetch (so record and replay see every try), with
 * retries, Retry-After, a rate limit per host, a cap on requests in flight, auth, and paging.
 */
import { log } from "../sdk/log.js";
import { httpRuntime } from "../sdk/http-hooks.js";
import { httpCounts } from "./runtime.js";
import { isSecretKey } from "../util/secrets.js";
import { authorizer, type Authorizer } from "./auth.js";
import { Limiter } from "./limiter.js";
import { Deadline } from "./deadline.js";
import { fetchToOrigin, UnfollowedRedirectError } from "./redirects.js";
import { parseJsonBody } from "./json-body.js";
import { checkClientOptions, checkMaxPages, checkPaginator, type HeaderRecord, type PaginateOptions, type PaginatorOptions, type Query, type RequestOptions, type RestClientOptions, type RestResponse } from "./options.js";
import { detectPaginator, firstUrl, itemsOf, makePaginator, RecentUrls, resumeHref, sameBodyAdvice, type Paginator } from "./paginators.js";
import {
  backoffMs,
  DEFAULT_ATTEMPTS,
  DEFAULT_BASE_DELAY_MS,
  DEFAULT_MAX_DELAY_MS,
  describeNetworkError,
  HttpBodyError,
  timedOut,
  HttpRequestError,
  quoteBody,
  RETRY_STATUSES,
  serverWait,
  sleep,
} from "./retry.js";

/** One page of paginate(). */
export interface Page<T = unknown> {
  items: T[];
  /** The parsed body. */
  body: unknown;
  response: RestResponse;
  /** A JSON value that restarts paging at the next page (pass it as `resume`); null after the last page. */
  resume: Record<string, string | number> | null;
  /** 1 for the first page this call read. */
  number: number;
}

type Body = string | Uint8Array | URLSearchParams | undefined;

const DEFAULT_TIMEOUT_MS = 30_000;

export class RestClient {
  private readonly auth: Authorizer;
  private readonly limiter: Limiter;
  private readonly attempts: number;
  private readonly maxDelayMs: number;
  private readonly baseDelayMs: number;
  private readonly statuses: Set<number>;
  private readonly timeoutMs: number;

  constructor(private readonly options: RestClientOptions = {}) {
    checkClientOptions(options);
    this.attempts = options.retry?.attempts ?? DEFAULT_ATTEMPTS;
    this.maxDelayMs = options.retry?.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.baseDelayMs = options.retry?.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.statuses = new Set(options.retry?.statuses ?? RETRY_STATUSES);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.limiter = new Limiter(options.rateLimit, options.concurrency ?? Infinity);
    // Node loads fetch's module (undici) when one of its globals is first used: now, not within the first try's timeout.
    void Headers;
    this.auth = authorizer(options.auth, async (url, form) => this.send("POST", new URL(url), { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, form.toString(), false, undefined, true));
  }

  /** GET, and the parsed JSON body. */
  async get<T = unknown>(path: string, o: { query?: Query; headers?: Record<string, string> } = {}): Promise<T> {
    return (await this.request({ method: "GET", path, ...o })).json<T>();
  }

  /** Any request; a status that is neither retried nor below 400 throws HttpRequestError. */
  async request(o: RequestOptions): Promise<RestResponse> {
    const headers = this.headers(o.headers);
    let body: Body;
    if (o.body === undefined || typeof o.body === "string" || o.body instanceof Uint8Array || o.body instanceof URLSearchParams) body = o.body as Body;
    else {
      body = JSON.stringify(o.body);
      headers["content-type"] ??= "application/json";
    }
    return this.send((o.method ?? "GET").toUpperCase(), this.url(o.path, o.query), headers, body, true);
  }

  /** Pages through a list, one page at a time; see docs/http.md for the paginators and `resume`. */
  async *paginate<T = unknown>(path: string, o: PaginateOptions = {}): AsyncGenerator<Page<T>> {
    checkPaginator(o.paginator);
    checkMaxPages(o.maxPages);
    const spec: PaginatorOptions | undefined = o.paginator ?? this.options.paginator;
    let pager: Paginator | undefined = spec ? makePaginator(spec) : undefined;
    let url = this.url(path, o.query);
    // Credentials go to the listing's own origin only, not to a next URL or a resume on another host.
    const origin = url.origin;
    url = firstUrl(pager, url, o.resume);
    const headers = this.headers(o.headers);
    const seen = new RecentUrls();
    let kind = spec;
    let previous: string | undefined;
    for (let n = 1; ; n++) {
      const response = await this.send("GET", url, headers, undefined, true, origin);
      const body = response.json();
      const items = itemsOf(body, o.items, () => this.shown(url)) as T[];
      // An API that ignores the paging parameter serves its first page forever, each time under a new URL.
      if (items.length > 0 && response.text() === previous) throw new HttpBodyError(`The ${pager!.type} paginator's page ${n} of ${this.shown(url)} is the same as page ${n - 1}: ${sameBodyAdvice(kind!)}. Paging would never end.`);
      previous = response.text();
      if (!pager) {
        const found = detectPaginator(response, body);
        if (found) {
          kind = found;
          pager = makePaginator(found);
          log.debug(`Paging ${this.shown(url)} by ${found.type === "link-header" ? "its Link header" : `the next URL in ${(found as { path: string }).path}`}.`);
        } else log.info(`Paging not detected for ${this.shown(url)} (no Link header and no next URL in the body): took one page. Pass a paginator to page through it.`);
      }
      const step = pager && items.length > 0 ? pager.next(url, response, body, items.length) : null;
      if (step) for (const name of this.auth.queryNames) step.url.searchParams.delete(name);
      seen.add(url.href);
      if (step && seen.has(step.url.href)) throw new HttpBodyError(`The ${pager!.type} paginator gave the same URL again after page ${n} of ${this.shown(url)}: paging would never end. Check the paginator's path.`);
      if (step && "url" in step.resume) step.resume.url = resumeHref(step.url, (v) => v !== "" && this.auth.holds(v));
      yield { items, body, response, resume: step ? step.resume : null, number: n };
      if (!step || n === o.maxPages) return;
      url = step.url;
    }
  }

  /** A plain object for fetch, names in lower case (so a caller's "Accept" replaces the default): fetch reads it faster than a Headers. */
  private headers(extra?: Record<string, string>): HeaderRecord {
    const h: HeaderRecord = { accept: "application/json" };
    if (!this.options.headers && !extra) return h;
    for (const more of [this.options.headers, extra]) if (more) for (const k of Object.keys(more)) h[k.toLowerCase()] = more[k]!;
    // Checked here, once, as a Headers did: a bad name or value fails the call rather than each try.
    new Headers(h);
    return h;
  }

  private url(path: string, query?: Query): URL {
    const base = this.options.baseUrl;
    const url = /^https?:\/\//i.test(path) || !base ? new URL(path) : new URL(`${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /** The URL as messages show it: credential query parameters hidden. */
  private shown(url: URL): string {
    const copy = new URL(url);
    for (const [k] of url.searchParams) if (this.auth.queryNames.includes(k) || isSecretKey(k)) copy.searchParams.set(k, "***");
    copy.username = copy.password = "";
    // Escapes that are not UTF-8 (a Latin-1 "caf%E9", a binary cursor's %FF) are shown as they are: decodeURI would throw, and the message would fail the request.
    try {
      return decodeURI(copy.href);
    } catch {
      return copy.href;
    }
  }

  private readonly warned = new Set<string>();
  private withheld(to: URL, origin: string): void {
    if (this.warned.has(to.origin)) return;
    this.warned.add(to.origin);
    log.warning(`${this.shown(to)} is on another origin than ${origin}: requested without the client's credentials, which go to ${origin} only.`);
  }

  private async pause(ms: number, why: string, level: "warning" | "debug"): Promise<void> {
    const replay = httpRuntime().replay;
    const counts = httpCounts();
    if (counts && !replay) counts.waited_ms += ms;
    log[level](`${why}; waiting ${ms} ms${replay ? " (replay: not waited)" : ""}.`);
    if (!replay) await sleep(ms);
  }

  private async send(method: string, url: URL, headers: HeaderRecord, body: Body, withAuth: boolean, origin = url.origin, credentialBody = false): Promise<RestResponse> {
    let renewed = false;
    // Made only for a message: most requests need none.
    let label: string | undefined;
    const shown = (): string => (label ??= `${method} ${this.shown(url)}`);
    // The caller's headers are its own (made for this call; fetchToOrigin copies before it removes any), and
    // auth sets the same values on every try, so they are not copied; the URL is, only when auth adds a query
    // parameter that paging must not carry on.
    const copyUrl = withAuth && this.auth.queryNames.length > 0;
    for (let attempt = 1; ; attempt++) {
      const h = headers;
      const u = copyUrl ? new URL(url) : url;
      if (withAuth) {
        const applying = this.auth.apply(u, h);
        if (applying) await applying;
      }
      if (this.limiter.rate) {
        const wait = this.limiter.reserve(u.host);
        if (wait > 0) await this.pause(wait, `${shown()}: rate limit of ${this.limiter.rate.requestsPerSecond} requests a second for ${u.host}`, "debug");
      }
      const slot = this.limiter.slot();
      if (slot) await slot;
      let res: Response | undefined;
      let text: string | undefined;
      let failure: string | undefined;
      let unfollowed = false;
      let answeredFrom = origin;
      // No AbortSignal (see deadline.ts), and the timer is cleared once the body is read: an AbortSignal.timeout()
      // would keep each request's fetch state alive until its timeout fired, so memory grew with the request rate.
      const deadline = new Deadline(this.timeoutMs);
      try {
        const sent = await deadline.race(fetchToOrigin(u, { method, headers: h, body, dispatcher: deadline, credentialBody }, origin, this.options.auth, (to) => this.withheld(to, origin)));
        res = sent.response;
        answeredFrom = sent.url.origin;
        text = sent.text;
      } catch (e) {
        failure = deadline.expired ? timedOut(this.timeoutMs) : describeNetworkError(e, this.timeoutMs);
        if (e instanceof UnfollowedRedirectError && !deadline.expired) unfollowed = true;
      } finally {
        deadline.clear();
        this.limiter.release();
      }
      const counts = httpCounts();
      if (counts) {
        counts.requests++;
        // The body's length in UTF-8: its size on the wire for a UTF-8 body (the JSON this client reads).
        counts.bytes += text === undefined ? 0 : Buffer.byteLength(text, "utf8");
      }
      if (failure !== undefined || !res || text === undefined) {
        if (unfollowed) throw new HttpRequestError(`${shown()} failed, not retried: ${failure}`, method, this.shown(url), undefined, attempt);
        if (attempt >= this.attempts) throw new HttpRequestError(`${shown()} failed after ${attempt} attempt(s) (retry.attempts): ${failure}`, method, this.shown(url), undefined, attempt);
        await this.retry(attempt, `${shown()} failed: ${failure}`, backoffMs(attempt, this.baseDelayMs, this.maxDelayMs));
        continue;
      }
      const response = wrap(res, text, u, shown);
      // Another origin got no credentials: a new token would not change its answer (and may rotate a refresh token for nothing).
      if (res.status === 401 && withAuth && !renewed && answeredFrom === origin && (await this.auth.renew())) {
        renewed = true;
        attempt--;
        log.info(`${shown()} answered 401: fetched a new access token, trying again.`);
        continue;
      }
      // Your rule is about your API's answers: a token answer is the auth's to judge.
      const decided = withAuth ? this.options.retry?.when?.(response) : undefined;
      const retried = decided ?? this.statuses.has(res.status);
      // A token request's refusal is explained by the auth, which knows what to do about it.
      if (!retried && (res.status < 400 || !withAuth)) return response;
      const what = `${shown()} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
      if (!retried) throw new HttpRequestError(`${what}, not retried (a ${res.status} fails at once): ${quoteBody(text)}`, method, this.shown(url), res.status, attempt, response);
      if (attempt >= this.attempts) throw new HttpRequestError(`${what} after ${attempt} attempt(s) (retry.attempts: ${this.attempts}): ${quoteBody(text)}`, method, this.shown(url), res.status, attempt, response);
      const asked = serverWait(res.status, res.headers);
      const delay = asked ? Math.min(asked.ms, this.maxDelayMs) : backoffMs(attempt, this.baseDelayMs, this.maxDelayMs);
      await this.retry(attempt, `${what}${asked ? ` with ${asked.header} ${asked.value}` : ""}`, delay);
    }
  }

  private async retry(attempt: number, why: string, delay: number): Promise<void> {
    const counts = httpCounts();
    if (counts) counts.retries++;
    await this.pause(delay, `${why}; retry ${attempt} of ${this.attempts - 1}`, "warning");
  }
}

/** The response as the client hands it on: its status, headers and text, not fetch's Response, which holds the whole exchange's state. */
function wrap(res: Response, text: string, url: URL, shown: () => string): RestResponse {
  const { status, headers } = res;
  return {
    status,
    headers,
    url: url.href,
    text: () => text,
    json<T>(): T {
      try {
        return parseJsonBody(text, (why) => log.warning(`The body of ${shown()}: ${why}.`)) as T;
      } catch {
        throw new HttpBodyError(`The body of ${shown()} is not JSON (content type: ${headers.get("content-type") ?? "none"}): ${quoteBody(text)}`);
      }
    },
  };
}
