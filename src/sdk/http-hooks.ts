/**
 * What connector-sdk/http needs from the process that runs it, kept on globalThis under a
 * Symbol.for key (as the active sync is) so a connector's own copy of the package finds it:
 * whether this thread replays a cassette (no real waiting then), how to hide a credential
 * obtained at run time from every output, and where a rotated refresh token is kept.
 */
import { activeSync } from "./active-sync.js";

/** The HTTP counts of a run's summary and of `--json`. */
export interface HttpCounts {
  requests: number;
  retries: number;
  waited_ms: number;
  bytes: number;
}

export function emptyHttpCounts(): HttpCounts {
  return { requests: 0, retries: 0, waited_ms: 0, bytes: 0 };
}

/** Sealed values by key: a rotated refresh token, encrypted by the client that uses it. */
export interface SecretStore {
  /** The newest value kept under this key, if any. */
  get(key: string): string | undefined;
  /** Keeps the value at once, where a crash cannot lose it, and has it committed with the next checkpoint. */
  put(key: string, sealed: string): void;
}

export interface HttpRuntime {
  /** Set while this thread replays a cassette: back-off and rate-limit waits are counted but not slept. */
  replay: boolean;
  /** Hides a credential obtained at run time (an access token, a rotated refresh token) from every output. */
  secret(value: string): void;
  store: SecretStore;
}

const KEY = Symbol.for("connector-sdk.http-runtime");

class MemoryStore implements SecretStore {
  private readonly values = new Map<string, string>();
  get(key: string): string | undefined {
    return this.values.get(key);
  }
  put(key: string, sealed: string): void {
    this.values.set(key, sealed);
  }
}

/** This thread's runtime: a replay flag, a secret hook and a store, each replaceable by the host. */
export function httpRuntime(): HttpRuntime {
  const g = globalThis as { [KEY]?: HttpRuntime };
  return (g[KEY] ??= { replay: false, secret: () => {}, store: new MemoryStore() });
}

/** The counts of the sync the calling code belongs to (none outside a sync). */
export function httpCounts(): HttpCounts | undefined {
  return activeSync()?.http;
}
