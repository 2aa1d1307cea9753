/**
 * What a connector can do wrong outside the flow of update(), turned into a failure of the
 * sync in progress, the same way for `connector debug`'s worker, `connector verify` and
 * runSync() in a test runner:
 * - a promise it did not await is rejected;
 * - it calls process.exit();
 * - update() awaits a promise that nothing will ever settle (in a thread of its own the
 *   event loop empties; in a shared process nothing new stays alive while it waits).
 *
 * And what update() leaves behind when it returns: work it started but did not await (the
 * forgotten-await warnings), and values a generator yields, which the engine drains and drops.
 *
 * An operation that arrives after its sync ended (update() did not await the work that made
 * it) is refused with a LateOperationError; its rejection fails nothing, nor does one of an error
 * that already failed its own sync (isAccountedFor).
 *
 * While a sync runs, these handlers are the only `unhandledRejection` listeners: a test
 * runner's own listener would otherwise fail the test file for a rejection the sync's
 * failure already names. They are put back when the last sync ends.
 */
import { describe } from "../util/describe.js";
import { formatDuration } from "../util/duration.js";
import { SyncFailedError } from "../util/errors.js";
import { isError, isAccountedFor, toError } from "../util/thrown.js";

type Listener = (...args: unknown[]) => void;

export interface Trappable {
  fail(error: Error): void;
}

const NEVER_SETTLES = "update() never finished: it is waiting on a promise that nothing will ever settle";

const active = new Set<Trappable>();
let holds = 0;
let stray: Error | undefined;
let others: Listener[] = [];
let realExit: typeof process.exit | undefined;

/** Fails every sync in progress (the next one, if none is, while traps are held); false when no traps are installed. */
export function failActiveSyncs(error: Error): boolean {
  if (active.size === 0 && holds === 0) return false;
  failAll(error);
  return true;
}

function failAll(error: Error): void {
  if (active.size === 0) {
    stray ??= error;
    return;
  }
  for (const sync of active) sync.fail(error);
}

const onRejection = (reason: unknown): void => {
  // An error that already failed or ended its own sync (an operation refused, verify's interruption, an operation after
  // the end), carried here by a promise the connector did not await: failing whichever sync runs now would make the
  // outcome depend on when it surfaced.
  if (isAccountedFor(reason)) return;
  const error = toError(reason, "a promise the connector did not await was rejected with a non-Error value");
  if (isError(reason)) error.message = `a promise the connector did not await was rejected: ${error.message}`;
  failAll(error);
};

// Emitted when nothing is left to run, which, while a sync waits on update(), means nothing will settle it.
const onBeforeExit = (): void => {
  if (active.size > 0) failAll(new SyncFailedError(NEVER_SETTLES));
};

function install(): void {
  others = process.listeners("unhandledRejection") as Listener[];
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", onRejection);
  process.on("beforeExit", onBeforeExit);
  realExit = process.exit;
  process.exit = ((code?: number | string | null) => {
    // Node's own exit after an error it could not hand to a listener.
    if ((process as { _exiting?: boolean })._exiting || active.size === 0) return realExit!.call(process, code as number);
    const error = new SyncFailedError(`the connector called process.exit(${code ?? ""}); return from update() instead, or throw to fail the sync`);
    failAll(error);
    throw error;
  }) as typeof process.exit;
}

function uninstall(): void {
  process.off("unhandledRejection", onRejection);
  process.off("beforeExit", onBeforeExit);
  for (const l of others) process.on("unhandledRejection", l);
  others = [];
  if (realExit) process.exit = realExit;
  realExit = undefined;
}

/**
 * For a process or worker that hosts syncs: a rejection of an error already accounted for (an
 * operation refused after its sync ended, say) is dropped, whenever it comes; any other unhandled
 * rejection is thrown, as Node does by default. Returns the listener, to remove it.
 */
export function ignoreLateOperations(): Listener {
  const listener: Listener = (reason) => {
    if (isAccountedFor(reason)) return;
    throw reason;
  };
  process.on("unhandledRejection", listener);
  return listener;
}

/** Keeps the traps installed between syncs (verify runs many): a failure between two syncs fails the next one. */
export function holdTraps(): () => void {
  if (holds++ === 0 && active.size === 0) install();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holds === 0 && active.size === 0) {
      uninstall();
      stray = undefined;
    }
  };
}

export interface TrapOptions {
  /** Fails the sync after this many milliseconds. */
  timeoutMs?: number;
  /** The process is shared (a test runner): look for a wait that nothing can end, as an emptied event loop would show. */
  shared?: boolean;
}

/** Runs one sync under the traps. `run` starts the sync; `settled` resolves when update() has settled. */
export async function trapped<T>(sync: Trappable, run: () => Promise<T>, o: TrapOptions = {}): Promise<T> {
  if (active.size === 0 && holds === 0) install();
  active.add(sync);
  if (stray) {
    sync.fail(stray);
    stray = undefined;
  }
  const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => sync.fail(new SyncFailedError(`timed out after ${formatDuration(o.timeoutMs!)}`)), o.timeoutMs);
  const watch = o.shared ? watchForStall(sync) : undefined;
  try {
    return await run();
  } finally {
    clearTimeout(timer);
    if (watch) clearInterval(watch);
    active.delete(sync);
    if (active.size === 0 && holds === 0) uninstall();
  }
}

/** What a test runner's process keeps alive for itself: its pipes, terminals and timers. Nothing of these answers a connector. */
const PLUMBING = new Set(["PipeWrap", "TTYWrap", "Timeout", "Immediate"]);

/**
 * In a shared process the event loop never empties, so a wait that nothing can end is seen
 * instead as a sync during which nothing of its own stays alive (no timer, socket, file
 * request or worker beyond the process's own plumbing) for two seconds. When the process
 * held more than plumbing when the sync started (a pooled socket could still answer), it
 * cannot tell, and does not guess.
 */
function watchForStall(sync: Trappable): NodeJS.Timeout | undefined {
  if (![...activeResources().keys()].every((kind) => PLUMBING.has(kind))) return undefined;
  let baseline = new Map<string, number>();
  let quiet = 0;
  const timer = setInterval(() => {
    const now = activeResources();
    let grown = false;
    for (const [kind, n] of now) if (n > (baseline.get(kind) ?? 0)) grown = true;
    quiet = grown ? 0 : quiet + 1;
    if (quiet >= 10) sync.fail(new SyncFailedError(NEVER_SETTLES));
  }, 200);
  // Taken after the timer above exists, which is then part of it.
  baseline = activeResources();
  return timer;
}

/** The process's active resources by kind (timers, sockets, file requests…), to see what a stretch of code left running. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** What was running when update() was called, and whether the event loop has turned since (a setImmediate ran). */
export interface UpdateWatch {
  before: Map<string, number>;
  turned(): boolean;
}

/** Called just before update(): the baseline forgottenAwait() compares with. */
export function watchUpdate(): UpdateWatch {
  let turned = false;
  const tick = setImmediate(() => (turned = true));
  // Taken after the tick exists, which is then part of it.
  const before = activeResources();
  return {
    before,
    turned: () => {
      clearImmediate(tick);
      return turned;
    },
  };
}

/**
 * What a request that was awaited to its end can leave behind: the client's idle keep-alive socket,
 * a server the connector closed (a fixture) and its connections while they close. No work under way.
 */
const AFTER_A_REQUEST = new Set(["TCPSocketWrap", "TLSWrap", "TCPServerWrap", "CloseReq", "Immediate"]);

/**
 * The warning for work still under way that update() started (a socket, a timer, a file read) but
 * did not wait for: the mark of a forgotten await. A connector with nothing to do leaves none, and
 * a synchronous update() (no promise, no generator) has nothing it could still be waiting for.
 * An async update() that emitted nothing is not warned about when it waited on the event loop (a
 * forgotten await settles before the loop turns) and left only what an awaited request leaves.
 */
export function forgottenAwait(watch: UpdateWatch, returned: unknown, operations: number): string | undefined {
  const turned = watch.turned();
  const started = startedSince(watch.before);
  if (started.length === 0) return undefined;
  if (operations === 0) {
    if (isAsyncResult(returned) && turned && started.every((kind) => AFTER_A_REQUEST.has(kind))) return undefined;
    return "update() finished without a single operation or checkpoint. If it calls an async function, await it (`await syncUsers(state)`, not `syncUsers(state)`): without await the sync ends before that function emits anything. If the source had nothing new, end update() with op.checkpoint(state).";
  }
  if (!isAsyncResult(returned)) {
    return "update() returned without waiting for work it started (a timer, a request, a file read) that is still under way, so what that work emits later is lost. If it calls an async function, await it: `async update(configuration, state) { await syncUsers(state); }`, not `syncUsers(state)`.";
  }
  return undefined;
}

/** The kinds of resource there are more of now than in `before`. */
function startedSince(before: Map<string, number>): string[] {
  return [...activeResources()].filter(([kind, n]) => n > (before.get(kind) ?? 0)).map(([kind]) => kind);
}

/** A promise or a generator: what an update() that waits for its work returns. */
function isAsyncResult(result: unknown): boolean {
  if (result === null || (typeof result !== "object" && typeof result !== "function")) return false;
  return typeof (result as { then?: unknown }).then === "function" || Symbol.asyncIterator in result || Symbol.iterator in result;
}

/**
 * Waits for what update() returned: a promise is awaited, a generator run to its end. What a
 * generator yields is dropped, so a dlt-style `yield row` loads nothing: `warn` hears of each
 * value other than undefined (`yield op.upsert(…)` yields undefined). A value update() returns
 * (`return rows`) is dropped as well, and said the same way.
 */
export async function drain(result: unknown, warn: (message: string) => void): Promise<void> {
  const yielded = (value: unknown): void =>
    warn(`update() yielded ${describe(value)}, which is not loaded: the engine runs a generator to its end but drops what it yields. Emit a row with op.upsert(table, row), and the state with op.checkpoint(state).`);
  if (result && typeof result === "object") {
    if (Symbol.asyncIterator in result) {
      for await (const value of result as AsyncIterable<unknown>) if (value !== undefined) yielded(value);
      return;
    }
    if (Symbol.iterator in result && typeof (result as { next?: unknown }).next === "function") {
      for (const value of result as Iterable<unknown>) if (value !== undefined) yielded(value);
      return;
    }
  }
  const value = await result;
  if (!nothing(value)) {
    warn(`update() returned ${describe(value)}, which is not loaded: the engine ignores what update() returns. Emit a row with op.upsert(table, row), and the state with op.checkpoint(state).`);
  }
}

/** What update() may return without meaning rows: nothing, or what `return Promise.all(tables.map(sync))` gives. */
function nothing(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.every((v) => v === undefined || v === null));
}

