/**
 * state: the connector's state as JSON: serialisation and its limits, the state file
 * (atomic, through symlinks), path editing and diffs for `connector state`, and the lints
 * that watch checkpoints. May import: util.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
