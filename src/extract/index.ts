/**
 * extract: where op.* lands. Counts every operation, checks its arguments, and poisons the
 * sync when one is refused, before the sync normalises and loads it. May import: sdk, util.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
