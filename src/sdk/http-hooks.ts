/**
 * What connector-sdk/http needs from the process that runs it, kept on globalThis under a
 * Symbol.for key (as the active sync is) so a connector's own copy of the package finds it:
 * whether this thread replays a cassette (no real waiting then), how to hide a credential
 * obtained at run time from every output, and where a rotated refresh token is kept.
 */
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

/** A value sealed by the client that uses it (a rotated refresh token), and when it was obtained (ms since 1970). */
export interface Sealed {
  value: string;
  at: number;
}

/** Sealed values by key. */
export interface SecretStore {
  /** The newest value kept under this key, if any. */
  get(key: string): Sealed | undefined;
  /** Keeps the value at once, where a crash cannot lose it (and, in a sync, commits it with the next checkpoint). */
  put(key: string, sealed: Sealed): void;
}

export interface HttpRuntime {
  /** Set while this thread replays a cassette: back-off and rate-limit waits are counted but not slept. */
  replay: boolean;
  /** Hides a credential obtained at run time (an access token, a rotated refresh token) from every output. */
  secret(value: string): void;
  store: SecretStore;
  /**
   * Told when the provider replaced a refresh token (after it is kept in the store, before the new one is used):
   * an engine host hands the new token to its platform (Airbyte's CONTROL message, a Singer tap's config file).
   * `configured` is the token the connector passed, which `previous` replaced if a kept token was newer.
   */
  rotated?: (previous: string, next: string, configured: string) => void;
}

const KEY = Symbol.for("connector-sdk.http-runtime");

class MemoryStore implements SecretStore {
  private readonly values = new Map<string, Sealed>();
  get(key: string): Sealed | undefined {
    return this.values.get(key);
  }
  put(key: string, sealed: Sealed): void {
    this.values.set(key, sealed);
  }
}

/** This thread's runtime: a replay flag, a secret hook and a store, each replaceable by the host. */
export function httpRuntime(): HttpRuntime {
  const g = globalThis as { [KEY]?: HttpRuntime };
  return (g[KEY] ??= { replay: false, secret: () => {}, store: new MemoryStore() });
}
