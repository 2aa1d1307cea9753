/**
 * One of verify's syncs into a scratch warehouse, and what that warehouse then holds: read
 * through the destination's own connection where it can (DuckDB's writer thread, so verify's
 * thread never loads DuckDB nor opens the file a second time), else with a reader of its own.
 */
import fs from "node:fs";
import type { TableRows } from "../destinations/destination.js";
import { createDestination, openReader } from "../destinations/open.js";
import { destinationOf, type DestinationSpec } from "../destinations/registry.js";
import type { WarehouseReader } from "../destinations/reader.js";
import type { StateObject } from "../state/state.js";
import { emptyCounts } from "../sync/counts.js";
import { runConnectorSync } from "../sync/run-sync.js";
import type { SyncResult } from "../sync/sync.js";
import { UsageError } from "../util/errors.js";
import { readTables, snapshot, type Rows, type Snapshot } from "./compare.js";
import { interruptAt } from "./interrupting-sink.js";
import type { VerifyOptions } from "./verify.js";

/** A sync's result, how many operations it emitted, and what its warehouse holds afterwards. */
export interface ScratchRun {
  result: SyncResult;
  operations: number;
  /** What its warehouse holds afterwards; no rows for a run aborted on purpose, whose rows nothing compares. */
  snapshot: Snapshot;
}

export async function runOnce(o: VerifyOptions, spec: DestinationSpec, state: StateObject, abortBeforeOperation?: number): Promise<ScratchRun> {
  const http = o.replay ? (await import("../replay/run.js")).startReplay(o.replay, o.configuration ?? {}) : undefined;
  try {
    // The replay ends with the sync: reading a PostgreSQL scratch schema back is verify's own connection, not the connector's.
    return await syncOnce(o, spec, state, abortBeforeOperation, () => http?.stop());
  } finally {
    await http?.stop();
  }
}

async function syncOnce(o: VerifyOptions, spec: DestinationSpec, state: StateObject, abortBeforeOperation?: number, synced?: () => Promise<unknown> | undefined): Promise<ScratchRun> {
  o.onRun?.(true);
  let result: SyncResult;
  let held: TableRows[] | undefined;
  try {
    const definition = await o.load();
    const destination = createDestination(spec);
    try {
      result = await runConnectorSync({
        definition,
        configuration: o.configuration ?? {},
        state,
        destination,
        keepOpen: true,
        naming: o.naming ?? "fivetran",
        logger: o.logger ?? { log: () => {} },
        wrapSink: abortBeforeOperation === undefined ? undefined : interruptAt(abortBeforeOperation),
        timeoutMs: o.timeoutMs,
        shared: o.shared,
      });
      // Read back through the destination's own connection where it can (DuckDB's writer thread): no second client of the file.
      if (abortBeforeOperation === undefined) held = destination.snapshot?.();
    } finally {
      destination.close();
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    result = failedRun(e);
  } finally {
    o.onRun?.(false);
  }
  await synced?.();
  const read = (tables: TableRows[]) => ({ result, operations: result.operations, snapshot: { rows: snapshot(tables), state: result.state } });
  if (held) return read(held);
  const none = { result, operations: result.operations, snapshot: { rows: new Map() as Rows, state: result.state } };
  // An aborted trial's rows are never compared (its resume's are): only its state and where it stopped.
  if (abortBeforeOperation !== undefined) return none;
  // A scratch warehouse the sync never got to make: no file, or (a server) a schema the reader refuses.
  const file = destinationOf(spec).files?.(spec)[0];
  if (file !== undefined && !fs.existsSync(file)) return none;
  let reader: WarehouseReader;
  try {
    reader = await openReader(spec);
  } catch (e) {
    if (file === undefined && e instanceof UsageError) return none;
    throw e;
  }
  try {
    return read(await readTables(reader));
  } finally {
    await reader.close();
  }
}

/** A sync that could not start, as a failed result, so the check reports it. */
function failedRun(error: Error): SyncResult {
  return { status: "failed", error, counts: emptyCounts(), previousState: {}, state: {}, warnings: [], schemaChanges: [], durationMs: 0, operations: 0 };
}
