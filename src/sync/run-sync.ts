/**
 * The one way a sync is put together and run, for `connector debug`'s worker, `connector
 * verify`, `connector test`, `connector run` and runSync() in connector-sdk/testing: the
 * inputs are validated against the connector's schemas, the destination is opened, the
 * sync runs under the traps (traps.ts), and the destination is closed.
 */
import type { LogSink, SyncSink } from "../sdk/active-sync.js";
import type { ConnectorDefinition } from "../sdk/connector.js";
import type { Destination, StoredCatalog } from "../destinations/destination.js";
import type { OperationSink } from "../extract/operation-sink.js";
import type { Naming } from "../normalize/naming.js";
import type { StateObject } from "../state/state.js";
import { FileStateStore, type StateStore } from "../state/store.js";
import { prepareInputs, type InputSources, type PreparedInputs } from "./inputs.js";
import { Sync, type SyncEvents, type SyncResult } from "./sync.js";
import { trapped } from "./traps.js";
import { emptyCounts } from "./counts.js";
import { UsageError } from "../util/errors.js";
import { toError } from "../util/thrown.js";

export interface SyncRequest {
  definition: ConnectorDefinition<unknown, unknown>;
  /** As configuration.json holds it: validated here. */
  configuration?: unknown;
  /**
   * The state to start from, as the state file holds it: validated here. Default {}. With a
   * destination that keeps the state (PostgreSQL), only a seed: the destination's state wins.
   */
  state?: StateObject;
  /** Where the inputs came from, for messages. */
  sources?: InputSources;
  /** Not yet opened; closed at the end unless `keepOpen`. */
  destination: Destination;
  /** Where each committed checkpoint's state goes: the state file, or memory (runSync). Unused where the destination keeps the state. */
  stateStore?: StateStore;
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
  let closeAtEnd = !req.keepOpen;
  try {
    // A destination that keeps the state is opened first, for the state to start from. One that cannot be
    // used as given (its lock held, bad credentials) is a usage error; one that cannot be reached, a failed sync.
    let opened: StoredCatalog | undefined;
    let state = req.state ?? {};
    const seeded: string[] = [];
    if (req.destination.capabilities.stateInDestination) {
      await req.destination.ready?.();
      try {
        opened = req.destination.open();
      } catch (e) {
        if (e instanceof UsageError) throw e;
        closeAtEnd = true;
        return failedToOpen(toError(e), state);
      }
      if (opened.state) {
        if (Object.keys(state).length > 0 && JSON.stringify(state) !== opened.state) {
          seeded.push(`the destination already holds this connector's state (checkpoint ${opened.lastSeq}), so the given start state (--state) was not used: it seeds only a first run. Use \`connector state set\` to change the stored state.`);
        }
        state = JSON.parse(opened.state) as StateObject;
      }
    }
    const inputs = await prepareInputs(req.definition, req.configuration === undefined ? {} : req.configuration, state, req.sources ?? { resetHint: "connector reset" });
    inputs.warnings.unshift(...seeded);
    req.events?.ready?.(inputs);
    const sync = new Sync({
      definition: req.definition,
      configuration: inputs.configuration,
      state: inputs.state,
      destination: req.destination,
      opened,
      stateStore: opened ? undefined : req.stateStore,
      stateFileHeld: req.stateStore instanceof FileStateStore && Object.keys(req.state ?? {}).length > 0,
      naming: req.naming ?? "fivetran",
      events: req.events,
      logger: req.logger,
      liveCounts: req.liveCounts,
      checkState: inputs.checkState,
      wrapSink: req.wrapSink,
    });
    const result = await trapped(sync, () => sync.run(), { timeoutMs: req.timeoutMs, shared: req.shared });
    return { ...result, previousState: inputs.stored, warnings: [...inputs.warnings, ...result.warnings], inputWarnings: inputs.warnings.length };
  } finally {
    if (closeAtEnd) req.destination.close();
  }
}

/** A destination that could not be reached: a failed sync that did nothing (retried by `connector run --retries`). */
function failedToOpen(error: Error, state: StateObject): SyncOutcome {
  return { status: "failed", error, counts: emptyCounts(), previousState: state, state, warnings: [], schemaChanges: [], durationMs: 0, operations: 0, inputWarnings: 0 };
}
