/**
 * verify: proof that a connector resumes. Baseline, incremental, interrupted trials (the
 * interruption wraps the operation sink) and reset, compared through destination readers.
 * May import: sdk, extract, normalize, destinations, state, sync, replay, util.
 */
export { verify, type VerifyOptions, type VerifyReport } from "./verify.js";
