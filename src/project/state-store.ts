/**
 * Where `connector state` reads and writes a connector's state: the project's state file, or
 * the state a PostgreSQL destination keeps for the connector. Checkpoints come from the
 * project's warehouse or from that destination. Edits run under the matching lock.
 */
import fs from "node:fs";
import type pg from "pg";
import type { CheckpointRecord } from "../destinations/destination.js";
import { openReader } from "../destinations/open.js";
import type { PostgresOptions } from "../destinations/postgres/url.js";
import type { WarehouseReader } from "../destinations/reader.js";
import { formatPath } from "../state/edit.js";
import { isPlainObject, readStateFile, serializeState, StateValueError, writeStateFile, type StateObject, type StateSource } from "../state/state.js";
import { UsageError } from "../util/errors.js";
import { parseJsonExact } from "../util/exact.js";
import { projectWarehouse } from "./destination-choice.js";
import { acquireLock } from "./lock.js";
import type { Project } from "./project.js";

export class StateStore {
  /** While an edit holds the connector's lock in PostgreSQL: its connection. */
  private client: pg.Client | undefined;

  constructor(
    readonly project: Project,
    readonly source: StateSource,
    /** A PostgreSQL destination (--destination), which keeps the state itself. */
    readonly pg?: { options: PostgresOptions; location: string },
  ) {}

  /** Where the state is, for messages. */
  get where(): string {
    return this.pg ? `the state of connector "${this.pg.options.connector}" in ${this.pg.location}` : this.source.file;
  }

  /** The state, with integers beyond 2^53 read exactly, so showing or editing it never changes their digits. */
  async read(): Promise<StateObject> {
    if (!this.pg) return readStateFile(this.source, "connector reset", parseJsonExact);
    const text = await this.stored();
    return text === null ? {} : (parseJsonExact(text) as StateObject);
  }

  /** Whether there is any state yet. */
  async exists(): Promise<boolean> {
    return this.pg ? (await this.stored()) !== null : fs.existsSync(this.source.file);
  }

  private async stored(): Promise<string | null> {
    const admin = await import("../destinations/postgres/admin.js");
    if (this.client) return admin.readStoredState(this.client, this.pg!.options);
    const { connect } = await import("../destinations/postgres/connection.js");
    const client = await connect(this.pg!.options, "state");
    try {
      return await admin.readStoredState(client, this.pg!.options);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Runs `read` on the project's warehouse (or the PostgreSQL destination), read-only, and closes it. */
  async withReader<T>(read: (reader: WarehouseReader) => Promise<T>): Promise<T> {
    const reader = await openReader(this.pg ? { kind: "postgres", ...this.pg.options } : projectWarehouse(this.project));
    try {
      return await read(reader);
    } finally {
      await reader.close();
    }
  }

  /** Runs an edit under the project lock (or the connector's lock in PostgreSQL), so it never races a sync that is writing the same state. */
  async locked<T>(edit: () => Promise<T>): Promise<T> {
    if (this.pg) {
      const { withConnectorLock } = await import("../destinations/postgres/admin.js");
      return withConnectorLock(this.pg.options, "state", async (client) => {
        this.client = client;
        try {
          return await edit();
        } finally {
          this.client = undefined;
        }
      });
    }
    const release = acquireLock(this.project.lockFile, "state");
    try {
      return await edit();
    } finally {
      release();
    }
  }

  /** Writes a new state atomically, inside `locked`. */
  async write(next: StateObject): Promise<void> {
    if (this.pg && this.client) {
      const { writeStoredState } = await import("../destinations/postgres/admin.js");
      await writeStoredState(this.client, this.pg.options, serializeState(next, { bigints: true }));
    } else {
      writeStateFile(this.source.file, next);
    }
  }
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
