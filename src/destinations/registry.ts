/**
 * The destinations, one line each: adding one is a folder `destinations/<kind>/` whose
 * index.ts exports its DestinationModule, and its entry here (the import and the line in the
 * table; the spec types follow from it). Everything outside `destinations/` reaches a
 * destination through this table and `open.ts`, by what a module declares, never by its name.
 */
import type { DestinationModule, ParseContext, Parsed } from "./module.js";
import { duckdb } from "./duckdb/index.js";
import { postgres } from "./postgres/index.js";
import { sqlite } from "./sqlite/index.js";

export const DESTINATIONS = {
  sqlite,
  duckdb,
  postgres,
} satisfies Record<string, DestinationModule<{ kind: string }>>;

type SpecOf<M> = M extends DestinationModule<infer S> ? S : never;
/** What a destination is, as its module parses it: `{ kind, … }`. */
export type DestinationSpec = { [K in keyof typeof DESTINATIONS]: SpecOf<(typeof DESTINATIONS)[K]> & { kind: K } }[keyof typeof DESTINATIONS];
export type DestinationKind = DestinationSpec["kind"];

/** The module of a spec's kind. */
export function destinationOf<S extends DestinationSpec>(spec: S | S["kind"]): DestinationModule<S> {
  return DESTINATIONS[typeof spec === "string" ? spec : spec.kind] as unknown as DestinationModule<S>;
}

/** Every module, in the table's order. */
export const allDestinations = (): DestinationModule<DestinationSpec>[] => Object.values(DESTINATIONS) as DestinationModule<DestinationSpec>[];

/** A project's warehouse when nothing chose one, and the scratch warehouse of verify and `connector test`. */
export const DEFAULT_KIND: DestinationKind = "sqlite";

/** A destination URL (`sqlite:<file>`, `postgres://…`) as the module of its kind parses it; undefined when no kind takes it. */
export function parseDestinationUrl(text: string, context: ParseContext): Parsed<DestinationSpec> | undefined {
  for (const m of allDestinations()) {
    const parsed = m.parse(text.trim(), context);
    if (parsed) return parsed;
  }
  return undefined;
}

/** How each kind's URL is written, for messages: the server first, then the files. */
export const destinationForms = (): string => ((forms) => `${forms.slice(0, -1).join(", ")} or ${forms.at(-1)}`)(allDestinations().map((m) => m.form).reverse());
