/**
 * The one way a sync is put together and run, for `connector debug`'s worker, `connector
 * verify`, `connector test`, `connector run` and runSync() in connector-sdk/testing: the
 * inputs are validated against the connector's schemas, the destination is opened, the
 * sync runs under the traps (traps.ts), and the destination is closed.
 */
import type { LogSink, SyncSink } from "../sdk/active-sync.js";
import type { ConnectorDefinition } from "../sdk/connector.js";
import type { Destination } from "../destinations/destination.js";
import type { OperationSink } from "../extract/operation-sink.js";
import type { Naming } from "../normalize/naming.js";
import type { StateObject } from "../state/state.js";
import { prepareInputs, type InputSources, type PreparedInputs } from "./inputs.js";
import { Sync, type SyncEvents, type SyncResult } from "./sync.js";
import { trapped } from "./traps.js";

export interface SyncRequest {
  definition: ConnectorDefinition<unknown, unknown>;
  /** As configuration.json holds it: validated here. */
  configuration?: unknown;
  /** The state to start from, as the state file holds it: validated here. Default {}. */
  state?: StateObject;
  /** Where the inputs came from, for messages. */
  sources?: InputSources;
  /** Not yet opened; closed at the end unless `keepOpen`. */
  destination: Destination;
  /** Rewritten atomically after every committed checkpoint. */
  stateFile?: string;
  naming?: Naming;
  events?: SyncEvents & {
    /** The inputs passed their checks; the sync is about to start. */
    ready?(inputs: PreparedInputs): void;
  };
  logger?: LogSink;
  liveCounts?: Float64Array;
  /** Wraps the operations' entry point (verify's simulated interruption). */
  wrapSink?: (sink: OperationSink) => SyncSink;
  timeoutMs?: number;
  /** The process is a test runner's, shared with other work. */
  shared?: boolean;
  /** Leaves the destination open, for reading the rows afterwards. */
  keepOpen?: boolean;
}

export interface SyncOutcome extends SyncResult {
  /** How many of `warnings`, at their start, came from checking the inputs. */
  inputWarnings: number;
}

/** Validates the inputs (a UsageError when they are unusable), then runs the sync; a failed sync resolves with status "failed". */
export async function runConnectorSync(req: SyncRequest): Promise<SyncOutcome> {
  const inputs = await prepareInputs(req.definition, req.configuration ?? {}, req.state ?? {}, req.sources ?? { resetHint: "connector reset" });
  req.events?.ready?.(inputs);
  const sync = new Sync({
    definition: req.definition,
    configuration: inputs.configuration,
    state: inputs.state,
    destination: req.destination,
    stateFile: req.stateFile,
    naming: req.naming ?? "fivetran",
    events: req.events,
    logger: req.logger,
    liveCounts: req.liveCounts,
    checkState: inputs.checkState,
    wrapSink: req.wrapSink,
  });
  try {
    const result = await trapped(sync, () => sync.run(), { timeoutMs: req.timeoutMs, shared: req.shared });
    return { ...result, warnings: [...inputs.warnings, ...result.warnings], inputWarnings: inputs.warnings.length };
  } finally {
    if (!req.keepOpen) req.destination.close();
  }
}
