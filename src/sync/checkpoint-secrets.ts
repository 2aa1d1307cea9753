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
    this.side.put(key, sealed);
    this.staged.set(key, sealed);
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
