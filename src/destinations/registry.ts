/**
 * The destinations, one line each: adding one is a folder `destinations/<kind>/` whose
 * index.ts exports its DestinationModule, and its line here. Everything outside
 * `destinations/` reaches a destination through this table and `open.ts`, by what a module
 * declares, never by its name.
 */
import type { DestinationModule } from "./module.js";
import { duckdb, type DuckdbSpec } from "./duckdb/index.js";
import { postgres, type PostgresSpec } from "./postgres/index.js";
import { sqlite, type SqliteSpec } from "./sqlite/index.js";

export type DestinationSpec = SqliteSpec | DuckdbSpec | PostgresSpec;
export type DestinationKind = DestinationSpec["kind"];

export const DESTINATIONS = {
  sqlite,
  duckdb,
  postgres,
} satisfies { [K in DestinationKind]: DestinationModule<Extract<DestinationSpec, { kind: K }>> };

/** The module of a spec's kind. */
export function destinationOf<S extends DestinationSpec>(spec: S | S["kind"]): DestinationModule<S> {
  return DESTINATIONS[typeof spec === "string" ? spec : spec.kind] as unknown as DestinationModule<S>;
}

/** Every module, in the table's order. */
export const allDestinations = (): DestinationModule<DestinationSpec>[] => Object.values(DESTINATIONS) as DestinationModule<DestinationSpec>[];

/** A project's warehouse when nothing chose one, and the scratch warehouse of verify and `connector test`. */
export const DEFAULT_KIND: DestinationKind = "sqlite";
