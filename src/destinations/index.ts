/**
 * destinations: the load layer. `destination.ts` is the contract every destination
 * implements (schema changes, writes, a commit that carries the checkpoint); `reader.ts`
 * reads one back. SQLite is called inline; DuckDB (and other asynchronous clients) run in a
 * writer thread behind `threaded/`. `open.ts` builds one from a spec. docs/architecture.md
 * says how to add one. May import: normalize, util.
 */
export type { AsyncDestination, CheckpointRecord, Destination, SchemaChange, StoredCatalog, TableSpec, WriteOp } from "./destination.js";
export type { WarehouseReader } from "./reader.js";
export { createDestination, openReader, type DestinationKind, type DestinationSpec } from "./open.js";
