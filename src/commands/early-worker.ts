/**
 * What `connector debug` starts before it loads: the sync worker (host/worker-start.ts). This
 * file is small: bin/connector.js loads it before the CLI, to start the worker from the raw
 * arguments, and the command table loads it to take that worker.
 */
export { startEarly, startForCommandLine } from "../host/worker-start.js";
