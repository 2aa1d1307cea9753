/** How a failure is classed for the engines: the input's fault, a passing network fault, or a fault of the connector. */
import { failActiveSyncs } from "../sync/traps.js";
import { InterruptedError, SyncFailedError, UnavailableError, UsageError } from "../util/errors.js";
import type { FailureType } from "./airbyte-protocol.js";

const TRANSIENT = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|ENETUNREACH|EHOSTUNREACH|UND_ERR_\w+)$/;

export function failureType(error: unknown): FailureType {
  if (error instanceof UsageError) return "config_error";
  if (error instanceof UnavailableError || error instanceof InterruptedError) return "transient_error";
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT.test(code)) return "transient_error";
    if (e.name === "TimeoutError" || e.message === "fetch failed") return "transient_error";
  }
  return "system_error";
}

/** The exit code of a failure: 2 for unusable input, as everywhere in the CLI, else 1. */
export const exitCodeOf = (error: unknown): number => (error instanceof UsageError ? 2 : error instanceof InterruptedError ? (error.signal === "SIGINT" ? 130 : 143) : 1);

/**
 * SIGTERM (how the platforms cancel a job) or Ctrl-C fails the sync in progress, which then ends as any failure does
 * (INCOMPLETE statuses, the error, its exit code); with none in progress it goes to `otherwise`. A second signal ends
 * the process at once.
 */
export function trapSignals(otherwise: (error: InterruptedError) => void): void {
  let seen = false;
  const on = (signal: "SIGINT" | "SIGTERM"): void => {
    if (seen) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    seen = true;
    const error = new InterruptedError(signal);
    error.message = `interrupted by ${signal}: resume from the last STATE`;
    if (!failActiveSyncs(error)) otherwise(error);
  };
  process.on("SIGINT", () => on("SIGINT"));
  process.on("SIGTERM", () => on("SIGTERM"));
}

/** The message and its causes on one line. */
export function failureText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const text = e instanceof Error ? e.message : String(e);
    if (text && !parts.includes(text)) parts.push(text);
    if (!(e instanceof Error)) break;
  }
  return parts.join(": caused by ");
}

/**
 * An exception the connector throws outside update() (in a timer or a callback) fails the sync in progress, as in
 * verify; with no sync in progress it goes to `otherwise`. Without this, Node would print it, secrets and all, on
 * stderr and end the process with no message for the engine.
 */
export function trapUncaught(otherwise: (error: unknown) => void): void {
  process.on("uncaughtException", (e) => {
    const error = new SyncFailedError(`the connector threw outside update(): ${e instanceof Error ? e.message : String(e)}`);
    if (e instanceof Error && e.stack) (error as { trace?: string }).trace = e.stack;
    if (!failActiveSyncs(error)) otherwise(e);
  });
}
