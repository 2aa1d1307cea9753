/**
 * extract: where op.* lands. Counts every operation, checks its arguments, and poisons the
 * sync when one is refused, before the sync normalises and loads it. May import: sdk, util.
 */
export { OperationSink, type OperationTarget, type OpName } from "./operation-sink.js";
