/**
 * Starting the sync worker. `connector debug` starts it early, before the command has loaded its
 * own modules and read the project, so that the worker's modules load on the other core in the
 * meantime; an early worker waits for its input as its first message (sync-worker.ts). A command
 * that fails before it hands the input over ends the worker.
 */
import { Worker, type ResourceLimits } from "node:worker_threads";
import { parseSize } from "../util/size.js";

export const DEFAULT_MEMORY_LIMIT = 4 * 1024 ** 3;
export const SYNC_WORKER = new URL("./sync-worker.js", import.meta.url);

/** The heap limit of --memory-limit, young and old generations together. */
export function resourceLimits(memoryLimit: number): ResourceLimits {
  // A worker's young generation is smaller than the main thread's by default; at a few
  // hundred thousand rows a second the extra scavenges cost about 3 % of a sync.
  const limitMb = Math.floor(memoryLimit / 1024 ** 2);
  const youngMb = Math.min(48, Math.floor(limitMb / 4));
  return { maxYoungGenerationSizeMb: youngMb, maxOldGenerationSizeMb: limitMb - youngMb };
}

export class EarlyWorker {
  private readonly worker: Worker;
  private taken = false;
  private failed = false;

  constructor(readonly memoryLimit: number) {
    this.worker = new Worker(SYNC_WORKER, { stdout: true, stderr: true, resourceLimits: resourceLimits(memoryLimit) });
    // Until the command takes it, the worker neither keeps the process alive nor ends it with an error
    // event: a worker that failed to start is started again by the worker session (worker-session.ts), which reports why.
    this.worker.unref();
    this.worker.on("error", this.fail);
    this.worker.on("exit", this.fail);
  }

  private readonly fail = (): void => {
    this.failed = true;
  };

  /** The worker, for a sync with this memory limit; undefined when it has failed or was made for another limit. */
  take(memoryLimit: number): Worker | undefined {
    if (this.taken || this.failed || memoryLimit !== this.memoryLimit) return undefined;
    this.taken = true;
    this.worker.off("error", this.fail);
    this.worker.off("exit", this.fail);
    this.worker.ref();
    return this.worker;
  }

  /** Ends the worker unless a sync took it. */
  cancel(): void {
    if (!this.taken) void this.worker.terminate();
  }
}

/** The worker bin/connector.js started from the command line, before the CLI itself loaded. */
let fromCommandLine: EarlyWorker | undefined;

/** An early worker for the --memory-limit given, or none when the option is not a size (the command says why). */
export function startEarly(memoryLimit: string | undefined): EarlyWorker | undefined {
  const ready = fromCommandLine;
  fromCommandLine = undefined;
  try {
    const limit = memoryLimit === undefined ? DEFAULT_MEMORY_LIMIT : parseSize(memoryLimit, "--memory-limit");
    if (ready?.memoryLimit === limit) return ready;
    ready?.cancel();
    return new EarlyWorker(limit);
  } catch {
    ready?.cancel();
    return undefined;
  }
}

/**
 * `connector debug …` read off the raw arguments, so that the worker starts before commander and
 * the command table load (tens of milliseconds); the command takes it (startEarly) once its options
 * are parsed. A guess at worst: a worker for another limit is ended and another one started.
 */
export function startForCommandLine(args: string[]): void {
  if (args[0] !== "debug" || args.includes("--help") || args.includes("-h")) return;
  const i = args.findIndex((a) => a === "--memory-limit" || a.startsWith("--memory-limit="));
  const limit = i < 0 ? undefined : args[i] === "--memory-limit" ? args[i + 1] : args[i]!.slice("--memory-limit=".length);
  try {
    fromCommandLine = new EarlyWorker(limit === undefined ? DEFAULT_MEMORY_LIMIT : parseSize(limit, "--memory-limit"));
  } catch {
    // Not a size: the command says so once it parsed its options.
  }
}
