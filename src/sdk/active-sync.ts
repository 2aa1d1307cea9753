/**
 * The bridge between op/log and the running sync. It lives on globalThis under a
 * Symbol.for key, so a connector that resolved its own copy of connector-sdk still
 * reaches the engine of the CLI that runs it.
 */
export interface SyncSink {
  upsert(table: string, data: unknown): void;
  update(table: string, data: unknown): void;
  delete(table: string, keys: unknown): void;
  truncate(table: string): void;
  checkpoint(state: unknown): void;
}

export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR";

export interface LogSink {
  log(level: LogLevel, message: string): void;
}

interface Registry {
  sync?: SyncSink;
  /** Set once a sync in this process has ended: an operation after that most likely comes from an async call update() did not await. */
  ended?: boolean;
  logger?: LogSink;
}

const KEY = Symbol.for("connector-sdk.registry");

export function registry(): Registry {
  const g = globalThis as { [KEY]?: Registry };
  return (g[KEY] ??= {});
}
