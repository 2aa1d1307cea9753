/** Chooses and builds a destination from its description. */
import type { Destination } from "./destination.js";
import type { WarehouseReader } from "./reader.js";
import { SqliteDestination } from "./sqlite/destination.js";
import { sqliteReader } from "./sqlite/inspect.js";
import { ThreadedDestination } from "./threaded/threaded-destination.js";

export type DestinationSpec =
  /** `:memory:` for a warehouse that lives as long as the process. */
  | { kind: "sqlite"; file: string }
  | { kind: "duckdb"; file: string };

export function createDestination(spec: DestinationSpec): Destination {
  switch (spec.kind) {
    case "sqlite":
      return new SqliteDestination(spec.file);
    case "duckdb":
      return new ThreadedDestination({
        kind: "duckdb",
        location: spec.file,
        capabilities: { maxIdentifierLength: 255, maxColumns: 10_000, caseInsensitiveNames: true },
        module: new URL("./duckdb/destination.js", import.meta.url).href,
        options: { file: spec.file },
      });
  }
}

export type DestinationKind = DestinationSpec["kind"];

/** A reader over what a destination holds (inspect, state, verify). */
export async function openReader(spec: DestinationSpec): Promise<WarehouseReader> {
  switch (spec.kind) {
    case "sqlite":
      return sqliteReader(spec.file);
    case "duckdb":
      return (await import("./duckdb/reader.js")).duckdbReader(spec.file);
  }
}
