/**
 * verify: proof that a connector resumes. Baseline, incremental, interrupted trials (the
 * interruption wraps the operation sink) and reset, compared through destination readers.
 * May import: sdk, extract, normalize, destinations, state, sync, replay, util.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
