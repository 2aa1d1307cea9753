/**
 * project: a connector project on disk. Its paths, the lock, loading connector.ts, the
 * configuration file, the destination it writes to, templates and reset. May import: sdk,
 * normalize, destinations, state, util.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
