/**
 * Whether a worker thread's event loop still turns, seen from the main thread: the worker counts up
 * a shared counter from a timer (`beat`), which stops counting while a synchronous loop holds the
 * thread, exactly when the worker's own timers (its --timeout among them) cannot fire either.
 */

/** How often the worker counts. */
const BEAT_MS = 100;
/** How long past a limit the counter may stand still before the worker is taken for stuck: five beats. */
export const STUCK_MS = 500;

/** In the worker: counts one at once (the worker has started), then one every BEAT_MS for as long as the thread runs. */
export function beat(buffer: SharedArrayBuffer): void {
  const count = new Int32Array(buffer);
  Atomics.add(count, 0, 1);
  setInterval(() => Atomics.add(count, 0, 1), BEAT_MS).unref();
}

/**
 * Calls `stuck` when the worker has not counted for STUCK_MS once `limitMs` has passed since `watch()`:
 * its own timer for that limit cannot have fired, and a worker that still turns is left to stop by
 * itself. A worker that has not counted yet (still starting) is not judged.
 */
export class StuckWatch {
  readonly buffer = new SharedArrayBuffer(4);
  private readonly count = new Int32Array(this.buffer);
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
      const seen = Atomics.load(this.count, 0);
      if (seen === 0) return;
      this.timer = setTimeout(() => {
        if (Atomics.load(this.count, 0) === seen) this.stuck();
      }, STUCK_MS).unref();
    }, limit).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
