/**
 * Whether a worker thread's event loop still turns, seen from the main thread, through a shared buffer the
 * worker writes from timers: timers stop firing while a synchronous loop holds the thread, exactly when the
 * worker's own --timeout cannot fire either.
 */

/** The slots of the buffer: a count the worker adds to every BEAT_MS; 1 once a run's limit timer has fired in the worker. */
export const BEATS = 0;
export const LIMIT = 1;
const BEAT_MS = 100;
/** How long past a limit the worker may go without turning its loop before it is taken for stuck: five beats. */
export const STUCK_MS = 500;

/** The worker's side. */
export class Heartbeat {
  private readonly slots: Int32Array;
  private limit?: NodeJS.Timeout;

  /** Counts one at once (the worker has started), then one every BEAT_MS for as long as the thread runs. */
  constructor(buffer: SharedArrayBuffer) {
    this.slots = new Int32Array(buffer);
    Atomics.add(this.slots, BEATS, 1);
    setInterval(() => Atomics.add(this.slots, BEATS, 1), BEAT_MS).unref();
  }

  /**
   * A run starts (before the main thread is told) or ends. Its limit timer is set before the sync's own, for
   * the same time: once the sync's limit is up, a loop that turns has fired it, even if the sync's timeout
   * then blocks the thread (closing its warehouse).
   */
  run(running: boolean, limitMs: number | undefined): void {
    clearTimeout(this.limit);
    Atomics.store(this.slots, LIMIT, 0);
    if (running && limitMs !== undefined) this.limit = setTimeout(() => Atomics.store(this.slots, LIMIT, 1), limitMs).unref();
  }
}

/**
 * The main thread's side: calls `stuck` when, STUCK_MS after `limitMs` has passed since `watch()`, the worker
 * has neither fired the run's limit timer nor counted a beat: its own timer for that limit cannot have fired.
 * A worker that still turns is left to stop by itself; one that has not counted yet (still starting) is not judged.
 */
export class StuckWatch {
  readonly buffer = new SharedArrayBuffer(8);
  private readonly slots = new Int32Array(this.buffer);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly limitMs: number | undefined,
    private readonly stuck: () => void,
  ) {}

  /** (Re)starts the watch: from now, the limit. */
  watch(): void {
    this.stop();
    const limit = this.limitMs;
    if (limit === undefined) return;
    this.timer = setTimeout(() => {
      const seen = Atomics.load(this.slots, BEATS);
      if (seen === 0) return;
      this.timer = setTimeout(() => {
        if (Atomics.load(this.slots, BEATS) === seen && Atomics.load(this.slots, LIMIT) === 0) this.stuck();
      }, STUCK_MS).unref();
    }, limit).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
