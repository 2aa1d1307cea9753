/**
 * verify's simulated interruption, as a wrapper around a sync's operations: operation N
 * (counting checkpoints, from 1) fails the sync as if the process had died there, so the
 * open transaction is discarded. The sync itself knows nothing of it.
 */
import type { SyncSink } from "../sdk/active-sync.js";
import type { OperationSink } from "../extract/operation-sink.js";
import { OperationError } from "../util/errors.js";

/** The deliberate failure that `connector verify` injects to interrupt a sync. */
export class SimulatedInterruption extends OperationError {
  override name = "SimulatedInterruption";
  constructor(
    readonly operation: number,
    readonly afterCheckpoint: number,
  ) {
    super(`interrupted by verify before operation ${operation}, after checkpoint ${afterCheckpoint}`);
  }
}

export function interruptAt(operation: number): (sink: OperationSink) => SyncSink {
  return (sink) => {
    let n = 0;
    const tick = (): void => {
      if (sink.failed || ++n !== operation) return;
      const e = new SimulatedInterruption(n, sink.checkpoints);
      sink.fail(e);
      throw e;
    };
    return {
      upsert: (table, data) => (tick(), sink.upsert(table, data)),
      update: (table, data) => (tick(), sink.update(table, data)),
      delete: (table, keys) => (tick(), sink.delete(table, keys)),
      truncate: (table) => (tick(), sink.truncate(table)),
      checkpoint: (state) => (tick(), sink.checkpoint(state)),
      warning: (message) => (tick(), sink.warning(message)),
      error: (message, trace) => (tick(), sink.error(message, trace)),
    };
  };
}
