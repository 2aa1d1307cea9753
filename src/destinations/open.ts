/** Builds and reads a destination from its spec, through the module of its kind (registry.ts). */
import type { Destination } from "./destination.js";
import type { WarehouseReader } from "./reader.js";
import type { MemoryWarehouse } from "./module.js";
import { allDestinations, destinationOf, type DestinationKind, type DestinationSpec } from "./registry.js";

export type { DestinationKind, DestinationSpec };
/** The writer threads of asynchronous destinations, started by the main thread for a worker (host/). */
export { spawnWritersThrough, WriterHost } from "./threaded/spawn.js";

export function createDestination(spec: DestinationSpec): Destination {
  return destinationOf(spec).create(spec);
}

/** A reader over what a destination holds (inspect, state, verify, connector test, runSync). */
export async function openReader(spec: DestinationSpec): Promise<WarehouseReader> {
  return destinationOf(spec).openReader(spec);
}

/** A warehouse in memory, of the first kind that keeps one (the default kind): runSync()'s default, and a recording's probe. */
export function memoryWarehouse(): MemoryWarehouse {
  const m = allDestinations().find((d) => d.memory);
  if (!m) throw new Error("internal: no destination keeps a warehouse in memory");
  return m.memory!();
}

/** A warehouse that lives as long as the process, for a run whose rows nobody reads (a recording's incremental probe). */
export function memoryDestination(): Destination {
  return memoryWarehouse().destination;
}

/** A warehouse written and then read back in the caller's thread (runSync): the destination, and its reader once the sync is over. */
export interface ReadBack {
  destination: Destination;
  /** Closes the destination (a warehouse in memory: once the reader closes) and reads what it holds. */
  read(): Promise<WarehouseReader>;
}

/** runSync()'s warehouse: the one `spec` names, or one in memory. */
export function readBack(spec?: DestinationSpec): ReadBack {
  if (!spec) {
    const memory = memoryWarehouse();
    return { destination: memory.destination, read: async () => memory.reader() };
  }
  const destination = createDestination(spec);
  return {
    destination,
    read: async () => {
      // Closed first: a DuckDB file takes one client at a time.
      destination.close();
      return openReader(spec);
    },
  };
}
