/** What is retried, how long to wait, and the error raised when the client gives up. */
import type { RestResponse } from "./options.js";
import { MAX_DURATION_MS } from "../util/duration.js";

export const RETRY_STATUSES = [408, 429, 500, 502, 503, 504];
export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_MAX_DELAY_MS = 60_000;
export const DEFAULT_BASE_DELAY_MS = 1_000;
/** How much of a failed response's body an error quotes. */
export const BODY_QUOTE_BYTES = 500;

/** Exponential back-off with full jitter: a uniform wait between 0 and min(cap, base × 2^(try − 1)). */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(random() * ceiling);
}

/** A count of seconds, as Retry-After and the rate-limit reset headers give one. */
const SECONDS = /^\d+(\.\d+)?$/;

/**
 * A date as Retry-After gives it: an HTTP date (RFC 9110: "Sun, 06 Nov 1994 08:49:37 GMT", its RFC 850 and asctime
 * forms), with a month's name and a time, or an ISO 8601 date-time as some APIs send. Date.parse alone would read
 * garbage ("-1", "1/2", "1,5") as a date long past, and the retry would go at once, without back-off.
 */
const HTTP_DATE = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b.*\b\d{1,2}:\d{2}(:\d{2})?\b|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/i;

/** Retry-After as seconds or as an HTTP date, in milliseconds from now; undefined when absent or unreadable (a negative number included). */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (SECONDS.test(v)) return Math.round(Number(v) * 1000);
  if (!HTTP_DATE.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Unix times in seconds from here on (2001-09-09); below, a reset header counts seconds from now. */
const EPOCH_SECONDS = 1e9;

/**
 * How long an answer asks to be left alone: Retry-After, else a rate-limit reset header (the IETF draft's
 * RateLimit-Reset, or X-RateLimit-Reset as GitHub, Twitter and many others send it), which some APIs give as
 * seconds from now and others as a Unix time in seconds. A reset header counts only on a 429 or when its
 * Remaining header says 0: GitHub sends one on every answer, and a 502 is no reason to wait for the next window.
 */
export function serverWait(status: number, headers: Headers, now = Date.now()): { ms: number; header: string; value: string } | undefined {
  const after = headers.get("retry-after");
  const ms = retryAfterMs(after, now);
  if (ms !== undefined) return { ms, header: "Retry-After", value: after! };
  for (const prefix of ["RateLimit", "X-RateLimit"]) {
    const value = headers.get(`${prefix}-Reset`)?.trim();
    if (value === undefined || !SECONDS.test(value)) continue;
    if (status !== 429 && headers.get(`${prefix}-Remaining`)?.trim() !== "0") continue;
    const n = Number(value);
    return { ms: n >= EPOCH_SECONDS ? Math.max(0, Math.round(n * 1000 - now)) : Math.round(n * 1000), header: `${prefix}-Reset`, value };
  }
  return undefined;
}

/** A request the client gave up on, or one that failed at once (any 4xx that is not retried). */
export class HttpRequestError extends Error {
  override name = "HttpRequestError";
  constructor(
    message: string,
    readonly method: string,
    readonly url: string,
    readonly status: number | undefined,
    readonly attempts: number,
    readonly response?: RestResponse,
  ) {
    super(message);
  }
}

/** A body that is not JSON where JSON was expected. */
export class HttpBodyError extends Error {
  override name = "HttpBodyError";
}

/** The first bytes of a body (read as text), for an error message. */
export function quoteBody(text: string): string {
  if (text.length === 0) return "(empty body)";
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= BODY_QUOTE_BYTES) return JSON.stringify(bytes.toString("utf8"));
  const cut = bytes.subarray(0, BODY_QUOTE_BYTES).toString("utf8").replace(/\uFFFD+$/, "");
  // The mark tells the redactor where the text was cut, so the start of a secret cut there is hidden too.
  return `${JSON.stringify(cut + "…")} (first ${BODY_QUOTE_BYTES} of ${bytes.length} bytes)`;
}

export const timedOut = (timeoutMs: number): string => `no answer within ${timeoutMs} ms (timeoutMs)`;

export function describeNetworkError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === "TimeoutError" || err?.name === "AbortError") return timedOut(timeoutMs);
  const cause = err?.cause?.code ?? err?.cause?.message;
  return cause ? `${err.message ?? "network error"} (${cause})` : (err?.message ?? String(e));
}

export function sleep(ms: number): Promise<void> {
  // setTimeout fires after 1 ms for a delay beyond 2^31 − 1 ms: a huge Retry-After under maxDelayMs: Infinity would be no wait at all.
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, Math.min(ms, MAX_DURATION_MS))) : Promise.resolve();
}
