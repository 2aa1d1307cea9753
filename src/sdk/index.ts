/**
 * sdk: what a connector imports. `Connector`, `op`, `log`, and the AsyncLocalStorage that
 * binds each operation to its own sync (kept under a Symbol.for key, so a second copy of
 * the package reaches the same syncs). May import: util.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
