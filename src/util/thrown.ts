import { inspect, types } from "node:util";
import { SyncFailedError } from "./errors.js";

/** An error as plain data, to cross a thread: the sync worker's to the main thread, a writer thread's to the connector's. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
  /** The error's `cause`, and so on down the chain: "fetch failed" is caused by "connect ECONNREFUSED …". */
  cause?: ErrorInfo;
  /** The trace the connector gave op.error(message, trace). */
  trace?: string;
  /** The table to load again from the start, the way out of this failure (ReloadTableError). */
  reloadTable?: string;
  /** A database client's error code (SQLITE_FULL, 23505, …). */
  code?: string;
}

const MAX_VALUE_TEXT = 200;
/** Causes beyond this depth are left out; a chain that long is a loop or noise. */
const MAX_CAUSES = 8;

export function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

/** A thrown value that is not an Error, as JSON (or what inspect makes of it), cut to 200 characters. */
export function thrownText(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
  } catch {
    // A cycle: inspect marks it instead of failing.
  }
  text ??= inspect(value, { depth: 3, breakLength: Infinity });
  return text.length > MAX_VALUE_TEXT ? text.slice(0, MAX_VALUE_TEXT - 1) + "…" : text;
}

/**
 * The thrown value as an Error. A non-Error value (`throw { code: 42 }`) becomes a
 * SyncFailedError whose message shows the value, with no stack: the engine's frames
 * would only point at the place that caught it.
 */
export function toError(value: unknown, what = "the connector threw a non-Error value"): Error {
  if (isError(value)) return value;
  const error = new SyncFailedError(`${what}: ${thrownText(value)}`);
  const place = throwSite(value);
  error.stack = `${error.name}: ${error.message}${place ? `\n    at ${place}` : ""}`;
  return error;
}

/** Where non-Error values were thrown, as sync/throw-sites.ts found them: objects by identity, the last primitive by value. */
const objectSites = new WeakMap<object, string>();
let lastPrimitive: { value: unknown; place: string } | undefined;

export function noteThrowSite(value: unknown, place: string): void {
  if ((typeof value === "object" && value !== null) || typeof value === "function") objectSites.set(value, place);
  else lastPrimitive = { value, place };
}

function throwSite(value: unknown): string | undefined {
  if ((typeof value === "object" && value !== null) || typeof value === "function") return objectSites.get(value);
  return lastPrimitive && Object.is(lastPrimitive.value, value) ? lastPrimitive.place : undefined;
}

/** An error as the sync worker sends it to the main thread, with its chain of causes (`new Error(msg, { cause })`). */
export function errorInfo(error: Error): ErrorInfo {
  const info: ErrorInfo = { name: error.name, message: error.message, stack: error.stack };
  const trace = (error as { trace?: unknown }).trace;
  if (typeof trace === "string") info.trace = trace;
  const reload = (error as { reloadTable?: unknown }).reloadTable;
  if (typeof reload === "string") info.reloadTable = reload;
  const seen = new Set<unknown>([error]);
  let last = info;
  let cause = error.cause;
  while (cause !== undefined && cause !== null && !seen.has(cause) && seen.size <= MAX_CAUSES) {
    seen.add(cause);
    last = last.cause = isError(cause) ? { name: cause.name, message: causeMessage(cause), stack: cause.stack } : { name: "", message: thrownText(cause) };
    cause = isError(cause) ? cause.cause : undefined;
  }
  return info;
}

/** An AggregateError (a failed connection to every address of a host) often has no message of its own: show its errors'. */
function causeMessage(e: Error): string {
  if (e.message || !(e instanceof AggregateError)) return e.message || e.name;
  return [...new Set(e.errors.map((x: unknown) => (isError(x) ? x.message : thrownText(x))))].join("; ");
}

const ACCOUNTED = Symbol.for("connector-sdk.accounted-for");

/** Marks an error that failed its sync already (a refused operation, verify's interruption): its rejection, wherever it surfaces, adds nothing. */
export function accountFor(error: Error): Error {
  Object.defineProperty(error, ACCOUNTED, { value: true, configurable: true });
  return error;
}

/**
 * An error the engine threw into the connector's code, which a promise the connector did not
 * await may carry to an unhandled rejection later, when another sync runs or none does: one that
 * already failed its own sync (accountFor), or a LateOperationError (an operation refused because
 * its sync had ended: sdk/operations.ts), or one caused by either. From any copy of connector-sdk:
 * by name and by a shared symbol, as a copy's class is another class.
 */
export function isAccountedFor(value: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = value; e !== null && typeof e === "object" && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    if ((e as { name?: unknown }).name === "LateOperationError" || (e as { [ACCOUNTED]?: unknown })[ACCOUNTED] === true) return true;
    seen.add(e);
  }
  return false;
}
