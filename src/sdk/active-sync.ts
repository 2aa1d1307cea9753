/**
 * The bridge between op/log and the sync that runs them. Each sync runs update() inside an
 * AsyncLocalStorage context, so an operation reaches its own sync, even from a timer or
 * after an await, and two syncs in one process never see each other's operations. The
 * storage itself lives on globalThis under a Symbol.for key, so a connector that resolved
 * its own copy of connector-sdk still reaches the sync of the CLI that runs it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { HttpCounts, SecretStore } from "./http-hooks.js";

export interface SyncSink {
  upsert(table: string, data: unknown): void;
  update(table: string, data: unknown): void;
  delete(table: string, keys: unknown): void;
  truncate(table: string): void;
  checkpoint(state: unknown): void;
  warning(message: string): void;
  /** Fails the sync with this message: it always throws. */
  error(message: string, trace?: string): never;
}

export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR";

export interface LogSink {
  log(level: LogLevel, message: string): void;
}

/** One running sync, as its operations and log lines find it. */
export interface ActiveSync {
  sink: SyncSink;
  logger?: LogSink;
  /** Set when update() has settled: an operation after that most likely comes from an async call it did not await. */
  ended: boolean;
  /** Fails the sync, even if the connector catches the error it is given (a replayed request with no recording, say). */
  fail(error: Error): void;
  /** What connector-sdk/http requested in this sync, for its summary. */
  http?: HttpCounts;
  /** Sealed secrets (rotated refresh tokens): kept at once in the side store, committed with the next checkpoint. */
  secrets?: SecretStore;
  /** How many checkpoints this sync has emitted so far: a recorded HTTP exchange notes it. */
  checkpoints?: () => number;
}

interface Registry {
  storage?: AsyncLocalStorage<ActiveSync>;
}

const KEY = Symbol.for("connector-sdk.active-sync");

/** This copy's handle on the shared storage, which never changes once made. */
let shared: AsyncLocalStorage<ActiveSync> | undefined;

function storage(): AsyncLocalStorage<ActiveSync> {
  if (shared) return shared;
  const g = globalThis as { [KEY]?: Registry };
  const reg = (g[KEY] ??= {});
  return (shared = reg.storage ??= new AsyncLocalStorage<ActiveSync>());
}

/** The sync the calling code belongs to, if any. */
export function activeSync(): ActiveSync | undefined {
  return storage().getStore();
}

/** Runs `fn` (update(), schema()) as part of a sync: every operation it makes, now or later, reaches that sync. */
export function runInSync<T>(sync: ActiveSync, fn: () => T): T {
  return storage().run(sync, fn);
}
