/**
 * Where `connector state` reads and writes a connector's state: a StateStore (the project's
 * state file, or the one a destination that keeps the state provides). Checkpoints come from
 * the project's warehouse or from that destination. Edits run under the store's lock.
 */
import type { CheckpointRecord } from "../destinations/destination.js";
import { openReader } from "../destinations/open.js";
import type { WarehouseReader } from "../destinations/reader.js";
import { allDestinations, destinationOf, type DestinationSpec } from "../destinations/registry.js";
import { formatPath } from "../state/edit.js";
import { isPlainObject, serializeState, StateValueError, type StateObject, type StateSource } from "../state/state.js";
import { FileStateStore, type StateStore } from "../state/store.js";
import { UsageError } from "../util/errors.js";
import { projectWarehouse, type RunTarget } from "./destination.js";
import { acquireLock } from "./lock.js";
import type { Project } from "./project.js";

/** The state `connector state` shows and edits, where it is kept, and the checkpoints beside it. */
export class ConnectorState {
  constructor(
    readonly project: Project,
    readonly store: StateStore,
    /** Where the checkpoints are: the project's warehouse, or the destination that keeps the state. */
    private readonly checkpoints: DestinationSpec,
    /** The destination keeps the state (a server shared by connectors), so `connector run` is what syncs it. */
    readonly inDestination: boolean,
  ) {}

  get where(): string {
    return this.store.where;
  }

  /** The state to compare with, for people. */
  get label(): string {
    return this.inDestination ? this.store.where : `the state file ${this.store.where}`;
  }

  /** The state, with integers beyond 2^53 read exactly, so showing or editing it never changes their digits. */
  async read(): Promise<StateObject> {
    return (await this.store.load()) ?? {};
  }

  /** Whether there is any state yet. */
  async exists(): Promise<boolean> {
    return (await this.store.load()) !== undefined;
  }

  /** Runs `read` on the warehouse that holds the checkpoints, read-only, and closes it. */
  async withReader<T>(read: (reader: WarehouseReader) => Promise<T>): Promise<T> {
    const reader = await openReader(this.checkpoints);
    try {
      return await read(reader);
    } finally {
      await reader.close();
    }
  }

  /** Runs an edit under the lock of the state (the project's, or the connector's in the destination), so it never races a sync that writes it. */
  locked<T>(edit: () => Promise<T>): Promise<T> {
    return this.store.lock("state", edit);
  }

  /** Writes a new state atomically, inside `locked`. */
  write(next: StateObject): Promise<void> {
    return this.store.save(next);
  }
}

/** The state file, or with a destination (--destination) the state that destination keeps; one that keeps none is refused. */
export function connectorState(p: Project, source: StateSource, target?: Pick<RunTarget, "spec" | "location">): ConnectorState {
  if (!target) return new ConnectorState(p, new FileStateStore(source, (purpose) => acquireLock(p.lockFile, purpose)), projectWarehouse(p), false);
  const keeper = destinationOf(target.spec);
  if (!keeper.stateStore) {
    const keepers = allDestinations().filter((m) => m.stateStore).map((m) => m.label);
    throw new UsageError(`connector state works on a state file or a ${keepers.join(" or ")} destination; for ${target.location}, the state is the file --state names (default files/state.json).`);
  }
  return new ConnectorState(p, keeper.stateStore(target.spec, target.location), target.spec, true);
}

/** Refuses a state that is not plain JSON or is too large to keep. */
export function checkStateValue(next: StateObject): void {
  try {
    serializeState(next, { bigints: true });
  } catch (e) {
    if (e instanceof StateValueError) throw new UsageError(`The new state is not valid: ${e.message}`);
    throw e;
  }
}

/** One checkpoint and its state, read alone: a long history is never loaded whole. */
export async function checkpointState(reader: WarehouseReader, seqText: string): Promise<{ row: CheckpointRecord; state: StateObject }> {
  const seq = Number(seqText);
  const row = Number.isSafeInteger(seq) ? await reader.checkpoint(seq) : undefined;
  if (!row) {
    const range = await reader.checkpointRange();
    throw new UsageError(`No checkpoint ${JSON.stringify(seqText)}; the checkpoints are ${range ? `${range.first} to ${range.last}` : "none yet"} (see \`connector state history\`).`);
  }
  return { row, state: JSON.parse(row.state) as StateObject };
}

/** The paths of integers beyond ±(2^53 - 1), which update() receives rounded (it reads the state with JSON.parse). */
export function unsafeIntegers(value: unknown, at: (string | number)[] = []): string[] {
  if (typeof value === "bigint") {
    const path = formatPath(at);
    return [path.startsWith("[") ? `state${path}` : `state.${path}`];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => unsafeIntegers(v, [...at, i]));
  if (isPlainObject(value)) return Object.entries(value).flatMap(([k, v]) => unsafeIntegers(v, [...at, k]));
  return [];
}

export const roundedWarning = (paths: string[]): string =>
  `${paths.join(", ")} ${paths.length === 1 ? "is an integer" : "are integers"} beyond JavaScript's safe integers (±2^53): update() receives ${paths.length === 1 ? "it" : "them"} rounded. Store such a cursor as a string.`;
