/**
 * A try's timeout (timeoutMs, the body included) without an AbortSignal.
 *
 * Node's fetch (undici) answers a request given a `signal` by registering the request's own abort
 * controller in a FinalizationRegistry. V8's young-generation GC keeps such targets alive, so every
 * request's fetch state (its request, connection handler and promise) was promoted to the old space and
 * lived until a full GC: more CPU per request, and an old space that grew with the request rate
 * (docs/performance.md, W10). So each try hands fetch a `dispatcher` of its own instead: it passes the
 * request on to the global dispatcher, the one fetch would have used (a proxy set with undici's
 * setGlobalDispatcher included), and keeps the abort function undici gives it once the request has
 * a connection. The timer calls that when the time is up: the socket is closed and fetch, or the
 * body being read, fails. The request still goes through the global fetch, so record and replay see it.
 *
 * `race()` fails at the deadline too, for what the abort cannot reach: a request still waiting for a
 * connection (it is dropped when it gets one), or a fetch that does not dispatch (a replaced fetch).
 */

import { MAX_DURATION_MS } from "../util/duration.js";

const GLOBAL_DISPATCHER = Symbol.for("undici.globalDispatcher.1");

interface Handler {
  onConnect?(abort: (err?: Error) => void, context?: unknown): void;
}

const timeoutError = (): Error => new DOMException("The request timed out", "TimeoutError");

export class Deadline {
  expired = false;
  abort: ((err?: Error) => void) | undefined = undefined;
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private fail: ((e: Error) => void) | undefined = undefined;

  constructor(ms: number) {
    // setTimeout fires after 1 ms for a delay beyond 2^31 − 1 ms (Infinity included): such a timeout is none.
    this.timer = ms <= MAX_DURATION_MS ? setTimeout(() => this.expire(), ms) : undefined;
  }

  /** The dispatcher interface fetch calls (undici's Dispatcher: `dispatch(options, handler)`). */
  dispatch(options: unknown, handler: Handler): boolean {
    // The handler is fetch's, made for this one request. Its onConnect is wrapped in place: a wrapper object with
    // the handler as its prototype counted more instructions (V8 makes each such handler a prototype; docs/performance.md).
    const own = handler.onConnect;
    const deadline = this;
    handler.onConnect = function (this: Handler, abort, context) {
      deadline.abort = abort;
      own?.call(this, abort, context);
      if (deadline.expired) abort(timeoutError());
    };
    const target = (globalThis as unknown as Record<symbol, { dispatch(o: unknown, h: Handler): boolean }>)[GLOBAL_DISPATCHER]!;
    return target.dispatch(options, handler);
  }

  /** `p`, or a TimeoutError once the time is up, whichever comes first. */
  race<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.fail = reject;
      p.then(resolve, reject);
    });
  }

  clear(): void {
    clearTimeout(this.timer);
    this.fail = undefined;
  }

  private expire(): void {
    this.expired = true;
    this.abort?.(timeoutError());
    this.fail?.(timeoutError());
  }
}
