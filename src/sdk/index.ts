/**
 * sdk: what a connector imports. `Connector`, `op`, `log`, and the AsyncLocalStorage that
 * binds each operation to its own sync (kept under a Symbol.for key, so a second copy of
 * the package reaches the same syncs). May import: util.
 */
export { Connector } from "./connector.js";
export { op } from "./operations.js";
export { log } from "./log.js";
export { activeSync, runInSync, type ActiveSync, type LogSink, type SyncSink } from "./active-sync.js";
