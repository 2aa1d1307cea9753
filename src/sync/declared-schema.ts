/**
 * What a connector's schema() declares, parsed; a problem is reported at the line of the
 * connector's own file that causes it (schema-locations.ts).
 */
import type { ConnectorDefinition } from "../sdk/connector.js";
import { MAX_LISTED_PROBLEMS, parseSchema, SchemaError, type DeclaredTable } from "../normalize/declared.js";
import type { Naming } from "../normalize/naming.js";
import { toError } from "../util/thrown.js";
import { locateProblems } from "./schema-locations.js";

/** The tables schema() declares; undefined for a connector without schema(). */
export async function declaredTables(definition: ConnectorDefinition<unknown, unknown>, configuration: unknown, naming: Naming): Promise<DeclaredTable[] | undefined> {
  if (!definition.schema) return undefined;
  let declared: unknown;
  try {
    declared = await definition.schema(configuration);
  } catch (e) {
    const err = toError(e);
    err.message = `schema() threw: ${err.message}`;
    throw err;
  }
  try {
    return parseSchema(declared, naming);
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    // Each problem with the connector's own line; no stack, whose frames would be connector-sdk's.
    const located = new SchemaError(e.problems, locateProblems(e.problems.slice(0, MAX_LISTED_PROBLEMS), declared, definition.schema));
    located.stack = `${located.name}: ${located.message}`;
    throw located;
  }
}
