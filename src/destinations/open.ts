/** Chooses and builds a destination from its description. */
import type { Destination } from "./destination.js";
import type { WarehouseReader } from "./reader.js";
import { SqliteDestination } from "./sqlite/destination.js";
import { sqliteReader } from "./sqlite/inspect.js";
import { ThreadedDestination } from "./threaded/threaded-destination.js";
import { locationOf, type PostgresOptions } from "./postgres/url.js";

/** A warehouse in a file: the kinds `connector debug` writes into files/. */
export type FileDestinationSpec =
  /** `:memory:` for a warehouse that lives as long as the process. */
  | { kind: "sqlite"; file: string }
  | { kind: "duckdb"; file: string };

export type DestinationSpec =
  | FileDestinationSpec
  /** A schema in a PostgreSQL database, shared by connectors told apart by `connector` (connector run). */
  | ({ kind: "postgres" } & PostgresOptions);

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
    case "postgres":
      return new ThreadedDestination({
        kind: "postgres",
        location: locationOf(spec.connection, spec.schema),
        capabilities: { maxIdentifierLength: 63, maxColumns: 1597, caseInsensitiveNames: false, stateInDestination: true },
        module: new URL("./postgres/destination.js", import.meta.url).href,
        options: { connection: spec.connection, schema: spec.schema, connector: spec.connector } satisfies PostgresOptions,
      });
  }
}

export type DestinationKind = FileDestinationSpec["kind"];

/** A reader over what a destination holds (inspect, state, verify). */
export async function openReader(spec: DestinationSpec): Promise<WarehouseReader> {
  switch (spec.kind) {
    case "sqlite":
      return sqliteReader(spec.file);
    case "duckdb":
      return (await import("./duckdb/reader.js")).duckdbReader(spec.file);
    case "postgres":
      return (await import("./postgres/reader.js")).postgresReader(spec);
  }
}
