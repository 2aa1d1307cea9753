import { activeSync, type SyncSink } from "./active-sync.js";

/** The error for an operation that arrives after update() has settled, which is almost always a forgotten await. */
export function lateOperation(name: string): string {
  return `op.${name}() was called outside a sync: update() had already finished, so this operation is lost. update() probably calls an async function without await (\`syncUsers(state)\` instead of \`await syncUsers(state)\`); await it, or return its promise.`;
}

/**
 * What an operation throws once its sync has ended. The sync's result was settled when update()
 * returned (with a warning when work it started was still under way), so the hosts let this
 * error go quietly instead of failing whatever runs when it happens to arrive.
 */
export class LateOperationError extends Error {
  override name = "LateOperationError";
  constructor(opName: string) {
    super(lateOperation(opName));
  }
}

function sink(name: string): SyncSink {
  const sync = activeSync();
  if (!sync) throw new Error(`op.${name}() was called outside a sync. Operations only work while \`connector debug\`, runSync() or verify runs update().`);
  if (sync.ended) throw new LateOperationError(name);
  return sync.sink;
}

/**
 * Declare your state type here to type-check every op.checkpoint(state) call:
 *
 *   declare module "connector-sdk" { interface Register { state: z.output<typeof stateSchema> } }
 */
export interface Register {}

/** The state op.checkpoint accepts: the registered state type, or any object. */
export type CheckpointState = Register extends { state: infer S } ? S : object;

/** The operations a connector emits. Each applies at once to the sync's open transaction and returns nothing. */
export const op = {
  /** Inserts the row, or replaces the whole row with the same primary key; columns not given become NULL. Revives a deleted row. */
  upsert(table: string, data: object): void {
    sink("upsert").upsert(table, data);
  },
  /** Changes only the given columns of an existing row; `data` must hold the whole primary key. A row that does not exist is left alone. */
  update(table: string, data: object): void {
    sink("update").update(table, data);
  },
  /** Soft-deletes the row with these primary-key values: `_fivetran_deleted = 1`. */
  delete(table: string, keys: object): void {
    sink("delete").delete(table, keys);
  },
  /** Soft-deletes every row of the table present at this moment. Rows upserted afterwards stay live. */
  truncate(table: string): void {
    sink("truncate").truncate(table);
  },
  /** Commits everything emitted since the previous checkpoint together with `state`, and persists `state` for the next sync. */
  checkpoint(state: CheckpointState): void {
    sink("checkpoint").checkpoint(state);
  },
  /** Records a non-fatal warning (a non-empty string): it shows in the log, in the summary and in `--json`. The sync goes on. */
  warning(message: string): void {
    sink("warning").warning(message);
  },
  /**
   * Ends the sync as failed with this message (a non-empty string) and an optional trace, exactly like a
   * throw: everything since the last checkpoint is rolled back. It throws, so nothing after it runs;
   * catching what it throws does not save the sync.
   */
  error(message: string, trace?: string): never {
    return sink("error").error(message, trace);
  },
};
