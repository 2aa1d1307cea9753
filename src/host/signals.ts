import { ExitError } from "../util/errors.js";

export type StopSignal = "SIGINT" | "SIGTERM";

/** The exit code of a run stopped by a signal, as a shell reports it: 128 + the signal number. */
export const signalExitCode = (signal: StopSignal): number => (signal === "SIGINT" ? 130 : 143);

/**
 * Listens for Ctrl-C (SIGINT) and SIGTERM until the returned function is called: `first`
 * on the first signal, `again` on any later one. Call the returned function only once the
 * command has cleaned up (worker stopped, lock released, summary printed).
 *
 * Removing the listeners any earlier is what made Ctrl-C silent on a terminal: ora's
 * cursor restorer (restore-cursor, through signal-exit) also listens for SIGINT, and when
 * it finds itself the only listener it re-raises the signal, which kills the process before
 * the summary is printed, the worker has closed the warehouse, or the lock is released.
 */
export function trapSignals(first: (signal: StopSignal) => void, again: (signal: StopSignal) => void): () => void {
  let seen = false;
  const on = (signal: StopSignal): void => {
    if (seen) return again(signal);
    seen = true;
    first(signal);
  };
  const onInt = (): void => on("SIGINT");
  const onTerm = (): void => on("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return () => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  };
}

/** How long a worker may take to stop before the user is told why nothing happens yet. */
const SLOW_STOP_MS = 1000;

/**
 * Terminates a worker and resolves once it has stopped (having closed its databases).
 * JavaScript stops at once, but a thread blocked in a native call (a synchronous read of a
 * pipe, say) stops only when that call returns: `slow` is called if that takes a while.
 */
export function stopWorker(worker: { terminate(): Promise<number> }, slow: () => void): Promise<void> {
  const timer = setTimeout(slow, SLOW_STOP_MS);
  const done = (): void => clearTimeout(timer);
  return worker.terminate().then(done, done);
}

/** Waits `ms`; Ctrl-C or SIGTERM ends the wait at once, rejecting with the exit code of that signal. */
export function waitUnlessStopped(ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      untrap();
      resolve();
    }, ms);
    const stop = (signal: StopSignal): void => {
      clearTimeout(timer);
      untrap();
      reject(new ExitError(signalExitCode(signal)));
    };
    const untrap = trapSignals(stop, stop);
  });
}
