/**
 * The state a PostgreSQL destination keeps for a connector (`_connector_state`), written by each
 * commit with the rows, and by `connector state` edits under the connector's advisory lock.
 */
import type pg from "pg";
import { serializeState, type StateObject } from "../../state/state.js";
import type { StateStore } from "../../state/store.js";
import { parseJsonExact } from "../../util/exact.js";
import type { PostgresOptions } from "./url.js";

export class PostgresStateStore implements StateStore {
  readonly withRows = true;
  /** While an edit holds the connector's lock: its connection. */
  private client: pg.Client | undefined;

  constructor(
    private readonly o: PostgresOptions,
    private readonly location: string,
  ) {}

  get where(): string {
    return `the state of connector "${this.o.connector}" in ${this.location}`;
  }

  get absent(): string {
    return `No state yet for connector "${this.o.connector}" in ${this.location}: the next run is a first run from {}.`;
  }

  async load(): Promise<StateObject | undefined> {
    const admin = await import("./admin.js");
    let text: string | null;
    if (this.client) text = await admin.readStoredState(this.client, this.o);
    else {
      const { connect } = await import("./connection.js");
      const client = await connect(this.o, "state");
      try {
        text = await admin.readStoredState(client, this.o);
      } finally {
        await client.end().catch(() => {});
      }
    }
    return text === null ? undefined : (parseJsonExact(text) as StateObject);
  }

  async save(state: StateObject): Promise<void> {
    if (!this.client) throw new Error("PostgresStateStore.save() runs inside lock()");
    await (await import("./admin.js")).writeStoredState(this.client, this.o, serializeState(state, { bigints: true }));
  }

  /** The commit wrote it, in the same transaction as the rows. */
  committed(): void {}

  async lock<T>(purpose: string, fn: () => Promise<T>): Promise<T> {
    const { withConnectorLock } = await import("./admin.js");
    return withConnectorLock(this.o, purpose, async (client) => {
      this.client = client;
      try {
        return await fn();
      } finally {
        this.client = undefined;
      }
    });
  }
}
