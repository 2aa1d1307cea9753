/**
 * Where the state goes: one answer for the sync (after each durable commit), the worker host
 * (a checkpoint the stopped worker never acknowledged) and `connector state` (show and edit).
 * Three stores: the state file, memory (runSync), and the destination's own table, which
 * `destinations/<kind>/` provides when the destination keeps the state with the rows.
 */
import fs from "node:fs";
import { parseJsonExact } from "../util/exact.js";
import { readStateFile, writeStateFile, type StateObject, type StateSource } from "./state.js";

export interface StateStore {
  /** Where, for messages: a file, or the connector in a destination. */
  readonly where: string;
  /** What to say when nothing was saved yet. */
  readonly absent: string;
  /** Whether the state was written to the destination with the rows of its checkpoint, so a commit needs no second write. */
  readonly withRows: boolean;
  /** The saved state, with integers beyond 2^53 read exactly; undefined before anything was saved. */
  load(): Promise<StateObject | undefined>;
  /** Replaces the state (an edit of `connector state`), inside lock(). */
  save(state: StateObject): Promise<void>;
  /**
   * A checkpoint is durable in the destination: persist its state now, before the sync goes on.
   * Synchronous, as the commit's callback is; throws when it cannot. Nothing to do where `withRows`.
   */
  committed(state: StateObject): void;
  /** Runs `fn` while no sync may write this state. */
  lock<T>(purpose: string, fn: () => Promise<T>): Promise<T>;
}

/** The state file: replaced atomically at each checkpoint; an edit runs under the lock `acquire` takes (the project's). */
export class FileStateStore implements StateStore {
  readonly withRows = false;
  constructor(
    readonly source: StateSource,
    private readonly acquire: (purpose: string) => () => void = () => () => {},
  ) {}

  get where(): string {
    return this.source.file;
  }

  get absent(): string {
    return `No state file at ${this.source.file} yet: the next sync is a first run from {}.`;
  }

  async load(): Promise<StateObject | undefined> {
    if (!fs.existsSync(this.source.file) && !this.source.explicit) return undefined;
    return readStateFile(this.source, "connector reset", parseJsonExact);
  }

  async save(state: StateObject): Promise<void> {
    writeStateFile(this.source.file, state);
  }

  committed(state: StateObject): void {
    writeStateFile(this.source.file, state);
  }

  async lock<T>(purpose: string, fn: () => Promise<T>): Promise<T> {
    const release = this.acquire(purpose);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** The state in memory, for runSync(): the last committed checkpoint's, which the result returns. */
export class MemoryStateStore implements StateStore {
  readonly where = "memory";
  readonly absent = "No state yet: the next sync is a first run from {}.";
  readonly withRows = false;
  private state: StateObject | undefined;

  async load(): Promise<StateObject | undefined> {
    return this.state;
  }

  async save(state: StateObject): Promise<void> {
    this.state = state;
  }

  committed(state: StateObject): void {
    this.state = state;
  }

  async lock<T>(_purpose: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }
}
