import type { SyncEngine, SyncResult } from "./engine.js";
import { SyncFailedError } from "../util/errors.js";
import { formatDuration } from "../util/duration.js";

type Listener = (...args: unknown[]) => void;

let active: RunGuard | undefined;

/** Fails the run in progress under the active guard (the next run if none is in progress); false when no guard is active. */
export function failActiveRun(error: Error): boolean {
  if (!active) return false;
  active.fail(error);
  return true;
}

/**
 * Runs a connector's syncs one after another in this thread (as verify does) and turns
 * what would crash or hang the thread into a failure of the sync in progress: a rejected
 * promise the connector did not await, a promise that nothing will ever settle, or a sync
 * over its time limit.
 *
 * While installed it is the only `unhandledRejection` listener: a test runner's own
 * listener would otherwise fail the test file for a rejection the report already names.
 */
export class RunGuard {
  private engine: SyncEngine | undefined;
  private stray: Error | undefined;
  private others: Listener[] = [];
  private readonly onRejection = (reason: unknown): void => {
    const message = reason instanceof Error ? reason.message : String(reason);
    this.fail(new SyncFailedError(`a promise the connector did not await was rejected: ${message}`));
  };
  // Emitted when nothing is left to run, which, during a sync, means it waits on a promise nothing will settle.
  private readonly onBeforeExit = (): void => {
    this.engine?.fail(new SyncFailedError("update() never finished: it is waiting on a promise that nothing will ever settle"));
  };

  constructor(
    private readonly timeoutMs?: number,
    /** Told when each sync starts and ends, so another thread can stop one that never yields. */
    private readonly onRun?: (running: boolean) => void,
  ) {}

  install(): void {
    this.others = process.listeners("unhandledRejection") as Listener[];
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", this.onRejection);
    process.on("beforeExit", this.onBeforeExit);
    active = this;
  }

  dispose(): void {
    process.off("unhandledRejection", this.onRejection);
    process.off("beforeExit", this.onBeforeExit);
    for (const l of this.others) process.on("unhandledRejection", l);
    this.others = [];
    if (active === this) active = undefined;
  }

  fail(error: Error): void {
    if (this.engine) this.engine.fail(error);
    else this.stray ??= error;
  }

  /** Runs one sync; a failure that came between syncs fails this one. */
  async run(engine: SyncEngine): Promise<SyncResult> {
    this.engine = engine;
    if (this.stray) engine.fail(this.stray);
    this.stray = undefined;
    const ms = this.timeoutMs;
    this.onRun?.(true);
    const timer = ms === undefined ? undefined : setTimeout(() => engine.fail(new SyncFailedError(`timed out after ${formatDuration(ms)}`)), ms);
    try {
      return await engine.run();
    } finally {
      clearTimeout(timer);
      this.engine = undefined;
      this.onRun?.(false);
    }
  }
}
