/**
 * `connector verify` in its worker (verify-worker.ts): the worker's messages become the command's
 * view and the report, or what is known of a verify that was stopped. The worker session
 * (worker-session.ts) owns the worker, the signals, the watchdog and the shutdown; this run owns
 * the scratch folder (and scratch warehouses beside a server, PostgreSQL's schemas), which `close()` removes once the worker has
 * stopped, or a second signal removes before the process ends.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { formatDuration } from "../util/duration.js";
import { UsageError } from "../util/errors.js";
import type { CheckResult, VerifyReport } from "../verify/verify.js";
import type { VerifyWorkerInput, VerifyWorkerMessage } from "./protocol.js";
import { WorkerSession, type Ending, type StopReason } from "./worker-session.js";
import { destinationOf } from "../destinations/registry.js";
import { StuckWatch } from "./heartbeat.js";

/** How verify ended when it did not finish: the reason, the step it was on, and the checks finished before. */
export interface Stopped {
  reason: string;
  during: string;
  checks: CheckResult[];
  signalExit?: number;
}

/** What the command shows of verify as it goes. */
export interface VerifyView {
  /** Values to hide from everything printed from now on. */
  secrets(values: string[]): void;
  /** The connector loaded and the checks begin; `step()` is the step verify is on when it is asked. */
  ready(step: () => string): void;
  /** The step verify is on now. */
  progress(message: string): void;
  /** A line the connector wrote to its stdout or stderr (secrets not yet hidden). */
  output(line: string): void;
  /** verify is being stopped: stop anything live on the terminal. */
  stopping(): void;
  /** The worker is taking a while to stop. */
  slowStop(): void;
  /** A second signal while stopping, during `step`: the scratch folder is gone, and the process ends without waiting. */
  forced(step: string): void;
}

/** What verify is asked to do; the run adds the scratch folder. */
export type VerifyPlan = Omit<VerifyWorkerInput, "scratch" | "writers" | "heartbeat">;

const VERIFY_WORKER = new URL("./verify-worker.js", import.meta.url);
/**
 * How long past --timeout a sync whose worker still turns its event loop may take to stop by itself before the
 * worker is stopped from outside; one whose loop stands still (a synchronous loop) is stopped sooner (heartbeat.ts).
 */
const GRACE_MS = 2000;

export class VerifyRun {
  /** Rejects with a UsageError when the worker found one. */
  readonly outcome: Promise<VerifyReport | Stopped>;
  private readonly session: WorkerSession<VerifyWorkerMessage>;
  private readonly checks: CheckResult[] = [];
  private during = "loading the connector";
  private report?: VerifyReport;
  private readonly input: VerifyWorkerInput;
  private readonly stuck: StuckWatch;

  constructor(
    plan: VerifyPlan,
    private readonly view: VerifyView,
  ) {
    this.stuck = new StuckWatch(plan.timeoutMs, () => this.session.stop({ kind: "timeout" }));
    const input = (this.input = { ...plan, scratch: fs.mkdtempSync(path.join(os.tmpdir(), "connector-verify-")), heartbeat: this.stuck.buffer });
    this.session = new WorkerSession<VerifyWorkerMessage>({
      script: VERIFY_WORKER,
      input,
      // As in debug: console.error passes the secret redactor too, instead of reaching the terminal raw.
      stderr: true,
      // The watchdog runs while a sync runs (and first while the connector loads), from "run" to "run".
      timeoutMs: input.timeoutMs === undefined ? undefined : input.timeoutMs + GRACE_MS,
      hooks: {
        output: (line) => view.output(line),
        stopping: () => view.stopping(),
        slowStop: () => view.slowStop(),
        forced: () => {
          this.removeScratch();
          view.forced(this.during);
        },
      },
    });
    this.session.onMessage((m) => this.handle(m));
    try {
      this.session.start();
      this.stuck.watch();
    } catch (e) {
      this.removeScratch();
      throw e;
    }
    this.outcome = this.session.settled.then((ending) => {
      this.stuck.stop();
      return this.conclude(ending);
    });
  }

  /** Removes the scratch folder and schemas, then stops listening for signals: call it once the outcome is reported. */
  async close(): Promise<void> {
    this.removeScratch();
    // The worker drops its scratch schemas; after an interruption, this is where they go.
    const { destination, scratch } = this.input;
    if (destination.beside) await destinationOf(destination.kind).dropScratch({ dir: scratch, id: destination.id ?? "", beside: destination.beside }).catch(() => {});
    this.session.close();
  }

  private removeScratch(): void {
    fs.rmSync(this.input.scratch, { recursive: true, force: true });
  }

  private handle(m: VerifyWorkerMessage): void {
    if (this.session.stopping) return;
    switch (m.t) {
      case "secrets":
        this.view.secrets(m.values);
        return this.session.releaseOutput();
      case "ready":
        this.session.disarm();
        this.stuck.stop();
        this.session.releaseOutput();
        return this.view.ready(() => this.during);
      case "progress":
        this.during = m.message;
        return this.view.progress(m.message);
      case "run":
        if (m.running) this.stuck.watch();
        else this.stuck.stop();
        return m.running ? this.session.arm() : this.session.disarm();
      case "check":
        this.checks.push(m.check);
        return;
      case "usage-error":
        return this.session.stop({ kind: "usage-error", message: m.message });
      case "done":
        this.report = m.report;
        return this.session.stop({ kind: "finished" });
    }
  }

  private conclude({ reason }: Ending): VerifyReport | Stopped {
    if (reason.kind === "usage-error") throw new UsageError(reason.message);
    if (reason.kind === "finished") return this.report!;
    const signalExit = reason.kind === "signal" ? reason.exitCode : undefined;
    return { reason: this.reasonText(reason), during: this.during, checks: this.checks, signalExit };
  }

  private reasonText(reason: StopReason): string {
    switch (reason.kind) {
      case "signal":
        return reason.signal === "SIGINT" ? "interrupted" : "interrupted (SIGTERM)";
      case "timeout":
        return `timed out after ${formatDuration(this.input.timeoutMs!)} (--timeout) and never gave control back (a synchronous loop?), so verify stopped there`;
      case "error":
        return `verify stopped: ${reason.thrown instanceof Error ? reason.thrown.message : String(reason.thrown)}`;
      case "exit":
        // 13: the worker's own top-level await never settled, which only the connector can cause.
        return reason.code === 13 ? "the connector is waiting on a promise that nothing will ever settle" : `the worker stopped unexpectedly (exit code ${reason.code})`;
      default:
        return "verify stopped";
    }
  }
}
