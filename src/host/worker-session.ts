/**
 * One worker thread that runs a connector for a command (`debug`, `run`, `verify`). The session
 * starts it with its destination writer threads, relays its console output line by line, stops
 * it on a signal, a timeout or its memory limit, and shuts it down: `settled` resolves only once
 * the worker has stopped and its writers have rolled back and closed their databases, so a lock
 * may be released after it. The command handles the worker's messages and shows them.
 */
import { Worker } from "node:worker_threads";
import type { CheckpointRecord } from "../destinations/destination.js";
import { WriterHost } from "../destinations/open.js";
import { sampleMemory, Slot } from "../sync/live-counts.js";
import { LineRelay } from "../util/line-relay.js";
import { signalExitCode, stopWorker, trapSignals, type StopSignal } from "./signals.js";
import { resourceLimits, type EarlyWorker } from "./worker-start.js";

/** Why the worker was stopped. */
export type StopReason =
  /** The command saw the worker's last message. */
  | { kind: "finished" }
  | { kind: "usage-error"; message: string }
  | { kind: "signal"; signal: StopSignal; exitCode: number }
  /** The watchdog fired: the worker ran `timeoutMs` without `disarm()`. */
  | { kind: "timeout" }
  | { kind: "memory-limit" }
  /** The worker threw outside what it handles itself. */
  | { kind: "error"; thrown: unknown }
  /** The worker ended by itself before the command stopped it. */
  | { kind: "exit"; code: number };

export interface Ending {
  reason: StopReason;
  /** The last checkpoint each writer thread committed: the stopped worker may never have seen its acknowledgement. */
  committed: CheckpointRecord[];
}

/** What the command is told about the worker, besides its messages. */
export interface SessionHooks {
  /** A line the connector wrote to its stdout (or stderr, when relayed), once the output is released. */
  output(line: string): void;
  /** The worker is being stopped: stop anything live on the terminal. */
  stopping(reason: StopReason): void;
  /** The worker is taking a while to stop. */
  slowStop(): void;
  /** A second signal while stopping: the process ends by that signal without waiting. */
  forced(signal: StopSignal): void;
}

export interface WorkerSessionOptions {
  script: URL;
  /** The worker's input; the session adds the channel its writer threads are started through. */
  input: object;
  /** Whether the worker's stderr is relayed too; otherwise it is the process's own. */
  stderr: boolean;
  /** The watchdog's limit, armed at the start and by `arm()`. */
  timeoutMs?: number;
  /** The worker's heap limit (young and old generations together), and where its peak memory is counted. */
  memory?: { limit: number; live: Float64Array };
  /** A worker started before the command read its project, used when it suits (worker-start.ts). */
  early?: EarlyWorker;
  hooks: SessionHooks;
}

export class WorkerSession<M> {
  readonly settled: Promise<Ending>;
  private resolveSettled: (ending: Ending) => void = () => {};
  // Destination writer threads are started by this thread, so that stopping the worker never kills a database client mid-task.
  private readonly writers = new WriterHost();
  private worker?: Worker;
  private relays: LineRelay[] = [];
  private readonly handlers: ((message: M) => void)[] = [];
  private reason?: StopReason;
  private sampler?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private untrap = (): void => {};

  constructor(private readonly options: WorkerSessionOptions) {
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
  }

  /** Whether the worker is being stopped (or has stopped). */
  get stopping(): boolean {
    return this.reason !== undefined;
  }

  /** Calls `handler` with each message of the worker, in order, also while it is being stopped. */
  onMessage(handler: (message: M) => void): void {
    this.handlers.push(handler);
  }

  start(): void {
    const worker = (this.worker = this.spawn());
    this.sample();
    this.relays = this.relayStreams(worker);
    this.untrap = trapSignals(
      (signal) => (this.stopping ? this.force(signal) : this.stop({ kind: "signal", signal, exitCode: signalExitCode(signal) })),
      (signal) => this.force(signal),
    );
    this.arm();
    worker.on("message", (m: M) => {
      for (const handler of this.handlers) handler(m);
    });
    worker.on("error", (thrown: unknown) => this.stop(this.isOutOfMemory(thrown) ? { kind: "memory-limit" } : { kind: "error", thrown }));
    worker.on("exit", (code) => this.stop({ kind: "exit", code }));
  }

  /** Stops the worker, then its writers; the first reason given is the one `settled` resolves with. */
  stop(reason: StopReason): void {
    if (this.reason) return;
    this.reason = reason;
    clearInterval(this.sampler);
    this.disarm();
    this.options.hooks.stopping(reason);
    // Messages the worker posted before it stopped are delivered before terminate() resolves;
    // its writers then roll back and close their databases.
    void stopWorker(this.worker!, () => this.options.hooks.slowStop())
      .then(() => this.writers.shutdown())
      .then((committed) => {
        if (this.options.memory) sampleMemory(this.options.memory.live, false);
        this.resolveSettled({ reason, committed });
      });
  }

  /** Stops listening for signals. Call it only once the command has cleaned up (signals.ts says why). */
  close(): void {
    this.untrap();
  }

  /** (Re)starts the watchdog, when there is a timeout. */
  arm(): void {
    this.disarm();
    const ms = this.options.timeoutMs;
    if (ms !== undefined && !this.stopping) this.watchdog = setTimeout(() => this.stop({ kind: "timeout" }), ms);
  }

  disarm(): void {
    clearTimeout(this.watchdog);
  }

  /** Output the worker sent as a message (not on its own streams): it joins the relayed lines. */
  relay(stream: "stdout" | "stderr", text: string): void {
    this.relays[stream === "stdout" ? 0 : 1]?.push(text);
  }

  /** Shows the output held so far, and from now on as it comes: the values to hide are known. */
  releaseOutput(): void {
    for (const relay of this.relays) relay.release();
  }

  /** The worker flushed its output: shows its last line, even without a newline. */
  endOutput(): void {
    for (const relay of this.relays) relay.end();
  }

  private spawn(): Worker {
    const { script, input, memory, early, stderr } = this.options;
    const data = { ...input, writers: { port: this.writers.port, flag: this.writers.flag } };
    const taken = memory && early?.take(memory.limit);
    if (taken) {
      taken.postMessage(data, [this.writers.port]);
      return taken;
    }
    const limits = memory ? { resourceLimits: resourceLimits(memory.limit) } : {};
    return new Worker(script, { workerData: data, transferList: [this.writers.port], stdout: true, stderr, ...limits });
  }

  /** The process's RSS, sampled here too: this thread keeps its turns while the worker computes. */
  private sample(): void {
    const live = this.options.memory?.live;
    if (!live) return;
    this.sampler = setInterval(() => sampleMemory(live, false), 100);
    this.sampler.unref();
  }

  // The connector's console output, line by line, so that no secret is split across two writes;
  // held until the command says which values are secret.
  private relayStreams(worker: Worker): LineRelay[] {
    const streams = this.options.stderr ? [worker.stdout, worker.stderr] : [worker.stdout];
    return streams.map((stream) => {
      const relay = new LineRelay((line) => this.options.hooks.output(line));
      stream.on("data", (chunk: Buffer) => relay.push(chunk));
      stream.on("end", () => relay.end());
      return relay;
    });
  }

  private isOutOfMemory(thrown: unknown): boolean {
    const memory = this.options.memory;
    if (!memory || (thrown as { code?: unknown } | null)?.code !== "ERR_WORKER_OUT_OF_MEMORY") return false;
    // The worker's own samples may have missed the climb (a loop that emits nothing); V8 says where it ended.
    memory.live[Slot.peakHeap] = Math.max(memory.live[Slot.peakHeap]!, memory.limit);
    return true;
  }

  // A worker stuck in native code does not stop, and process.exit() would wait for it: a signal
  // while it is being stopped lets the command clean up, then ends the process by that signal.
  private force(signal: StopSignal): void {
    this.options.hooks.forced(signal);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
}
