/**
 * sync: one sync, from update() to the last commit. `run-sync.ts` is the one function that
 * assembles and runs a sync (debug's worker, verify, connector test, runSync); `sync.ts`
 * keeps the checkpoint protocol (the destination commits the rows and the checkpoint
 * together, then the state is persisted); `traps.ts` turns a connector's stray rejections,
 * process.exit() and endless waits into a failed sync. May import: sdk, extract,
 * normalize, destinations, state, util.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
