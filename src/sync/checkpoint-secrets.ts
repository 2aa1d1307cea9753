/**
 * The sealed secrets of one sync (rotated refresh tokens from connector-sdk/http): each is
 * kept in the thread's side store the moment it arrives, and committed to the destination
 * with the next checkpoint, in the same transaction. The newest of the two wins when read, so
 * a run on another machine, with no side store, finds the token in the destination, and a
 * token newer than the destination's (a crash before the checkpoint) is committed next time.
 */
import type { Sealed, SecretStore } from "../sdk/http-hooks.js";

export class CheckpointSecrets implements SecretStore {
  private readonly staged = new Map<string, Sealed>();

  constructor(
    private readonly side: SecretStore,
    private readonly committed: Record<string, Sealed>,
    private readonly warn: (message: string) => void = () => {},
  ) {}

  get(key: string): Sealed | undefined {
    const side = this.side.get(key);
    const stored = this.committed[key];
    if (side && (!stored || side.at > stored.at)) {
      this.staged.set(key, side);
      return side;
    }
    return stored ?? side;
  }

  put(key: string, sealed: Sealed): void {
    this.staged.set(key, sealed);
    // The provider has already replaced the old token: failing here would lose the new one too. Committed with the next checkpoint, it is kept still.
    try {
      this.side.put(key, sealed);
    } catch (e) {
      this.warn(
        `a rotated refresh token could not be kept in the side store (${e instanceof Error ? e.message : String(e)}): it is committed with the next checkpoint only, so a crash before that checkpoint would lose it and lock the connector out. Make files/http-secrets.json writable (disk space, permissions).`,
      );
    }
  }

  /** What the next checkpoint commits, serialised; undefined when nothing changed. */
  take(): string | undefined {
    if (this.staged.size === 0) return undefined;
    const out = JSON.stringify(Object.fromEntries(this.staged));
    for (const [k, v] of this.staged) this.committed[k] = v;
    this.staged.clear();
    return out;
  }
}
