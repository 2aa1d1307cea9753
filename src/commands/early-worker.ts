/**
 * What `connector debug` starts before it loads: the sync worker (host/worker-start.ts). This
 * file is small and loaded with the command table, so that the worker starts at once.
 */
export { startEarly, startForCommandLine } from "../host/worker-start.js";
