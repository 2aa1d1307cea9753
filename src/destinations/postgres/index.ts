/**
 * PostgreSQL as a destination module: a schema shared by connectors told apart by their name,
 * written by a client in a writer thread behind `threaded/`. It keeps each connector's state in
 * `_connector_state` with the rows, and takes an advisory lock per connector instead of the
 * project's lock file. Nothing here loads pg: the writer thread, the reader and admin.ts are
 * imported on first use.
 */
import type { DestinationCapabilities } from "../destination.js";
import type { DestinationModule } from "../module.js";
import { ThreadedDestination } from "../threaded/threaded-destination.js";
import { PostgresStateStore } from "./state-store.js";
import { locationOf, MAX_IDENTIFIER_BYTES, parsePostgresUrl, type PostgresOptions } from "./url.js";

export type PostgresSpec = { kind: "postgres" } & PostgresOptions;

/** PostgreSQL's limits: NAMEDATALEN - 1 bytes a name, which it cuts silently; MaxHeapAttributeNumber columns. */
/** The system columns every PostgreSQL table has: a column of the same name is refused ("conflicts with a system column name"). */
const SYSTEM_COLUMNS = ["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"];
const capabilities: DestinationCapabilities = {
  label: "PostgreSQL",
  maxIdentifierLength: MAX_IDENTIFIER_BYTES,
  cutsLongNames: true,
  maxColumns: 1600,
  stateInDestination: true,
  reservedColumns: SYSTEM_COLUMNS,
};

/** verify's scratch schemas: `_connector_verify_<id>_<name>`, all dropped at the end. */
const scratchPrefix = (id: string): string => `_connector_verify_${id}_`;

export const postgres: DestinationModule<PostgresSpec> = {
  kind: "postgres",
  label: capabilities.label,
  capabilities,
  form: "postgres://user@host:5432/database?schema=name",
  parse(text, { from, name, passwordEnv }) {
    if (!/^postgres(ql)?:\/\//i.test(text.trim())) return undefined;
    // An unset password_env variable is no error: PGPASSWORD (or ~/.pgpass, or a server that asks for none) may serve.
    const { connection, schema } = parsePostgresUrl(text.trim(), from, passwordEnv?.value);
    if (passwordEnv && connection.password === undefined) connection.passwordEnv = passwordEnv.variable;
    return {
      spec: { kind: "postgres", connection, schema, connector: name },
      location: locationOf(connection, schema),
      ...(connection.password !== undefined ? { password: connection.password } : {}),
    };
  },
  location: (spec) => locationOf(spec.connection, spec.schema),
  create: (spec) =>
    new ThreadedDestination({
      kind: "postgres",
      location: locationOf(spec.connection, spec.schema),
      capabilities,
      module: new URL("./destination.js", import.meta.url).href,
      options: { connection: spec.connection, schema: spec.schema, connector: spec.connector } satisfies PostgresOptions,
    }),
  openReader: async (spec) => (await import("./reader.js")).postgresReader(spec),
  scratch: (place, name) =>
    place.beside && { kind: "postgres", connection: place.beside.connection, schema: `${scratchPrefix(place.id)}${name.replace(/-/g, "_")}`, connector: place.beside.connector },
  scratchNote: (place) => `Scratch schemas ${scratchPrefix(place.id)}* in ${postgres.location(place.beside!).replace(/\?schema=.*$/, "")}; they are dropped at the end.`,
  dropScratch: async (place, name) => {
    if (place.beside) await (await import("./admin.js")).dropSchemas(place.beside.connection, `${scratchPrefix(place.id)}${name ?? ""}`);
  },
  stateStore: (spec, location) => new PostgresStateStore(spec, location),
  ownLock: true,
  reset: async (spec, location, plan) => (await import("./reset.js")).resetConnector(spec, location, plan),
};
