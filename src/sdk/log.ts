import { activeSync, type LogLevel } from "./active-sync.js";

function emit(level: LogLevel, message: unknown, error?: unknown): void {
  let text = typeof message === "string" ? message : message instanceof Error ? (message.stack ?? message.message) : safeString(message);
  if (error instanceof Error) text += `\n${error.stack ?? error.message}`;
  else if (error !== undefined) text += `\n${safeString(error)}`;
  const sink = activeSync()?.logger;
  if (sink) sink.log(level, text);
  else if (level !== "DEBUG") process.stderr.write(`${level} ${text}\n`);
}

function safeString(value: unknown): string {
  try {
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}

/** Connector logging. Lines go to stderr with a time and level; `debug` shows only with --verbose. */
export const log = {
  debug: (message: unknown): void => emit("DEBUG", message),
  info: (message: unknown): void => emit("INFO", message),
  warning: (message: unknown): void => emit("WARNING", message),
  error: (message: unknown, error?: unknown): void => emit("ERROR", message, error),
  /** Alias of `debug`, for code ported from the Python SDK. */
  fine: (message: unknown): void => emit("DEBUG", message),
  /** Alias of `error`, for code ported from the Python SDK. */
  severe: (message: unknown, error?: unknown): void => emit("ERROR", message, error),
  /** Alias of `error`, for code ported from the Python SDK (2.8.2 and later). */
  critical: (message: unknown, error?: unknown): void => emit("ERROR", message, error),
};
