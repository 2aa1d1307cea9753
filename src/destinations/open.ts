/** Builds and reads a destination from its spec, through the module of its kind (registry.ts). */
import type { Destination } from "./destination.js";
import type { WarehouseReader } from "./reader.js";
import type { LiveWarehouse } from "./module.js";
import { liveWarehouse } from "./sqlite/index.js";
import { destinationOf, type DestinationKind, type DestinationSpec } from "./registry.js";

export type { DestinationKind, DestinationSpec };
/** The writer threads of asynchronous destinations, started by the main thread for a worker (host/). */
export { spawnWritersThrough, WriterHost } from "./threaded/spawn.js";

export function createDestination(spec: DestinationSpec): Destination {
  return destinationOf(spec).create(spec);
}

/** A reader over what a destination holds (inspect, state, verify, connector test). */
export async function openReader(spec: DestinationSpec): Promise<WarehouseReader> {
  return destinationOf(spec).openReader(spec);
}

/** A warehouse that lives as long as the process, for a run whose rows nobody reads (a recording's incremental probe). */
export function memoryDestination(): Destination {
  return inProcessWarehouse().destination;
}

/** runSync()'s warehouse: a file, or memory by default, whose rows the caller reads while it stays open, synchronously, in its own thread. */
export function inProcessWarehouse(file = ":memory:"): LiveWarehouse {
  return liveWarehouse(file);
}
