/**
 * state: the connector's state as JSON: serialisation and its limits, the state file
 * (atomic, through symlinks), path editing and diffs for `connector state`, and the lints
 * that watch checkpoints. May import: util.
 */
export type { JsonValue, StateObject } from "./state.js";
