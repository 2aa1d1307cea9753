/** Fivetran's rule for a configuration when the connector declares no schema for it. */
import { describe, isPlainObject, withArticle } from "../util/describe.js";
import { UsageError } from "../util/errors.js";
import { isSecretKey } from "../util/secrets.js";

export const MAX_CONFIGURATION_KEYS = 100;

/** Fivetran's rule when a connector declares no configuration schema: a flat object of at most 100 string values. */
export function checkPlainConfiguration(value: unknown, file: string | undefined): Record<string, string> {
  const where = file ? `Configuration file ${file}` : "The configuration";
  if (!isPlainObject(value)) throw new UsageError(`${where} must hold a JSON object, found ${Array.isArray(value) ? "an array" : describe(value)}`);
  const keys = Object.keys(value);
  if (keys.length > MAX_CONFIGURATION_KEYS) throw new UsageError(`${where} has ${keys.length} keys; at most ${MAX_CONFIGURATION_KEYS} are allowed`);
  const bad = keys.filter((k) => typeof value[k] !== "string");
  if (bad.length > 0) {
    const lines = bad.map((k) => `  ${k}: must be a string, found ${isSecretKey(k) ? typeOf(value[k]) : describe(value[k])}`);
    throw new UsageError(`${where}: every value must be a string (declare a configuration schema on the Connector to use other types):\n${lines.join("\n")}`);
  }
  return value as Record<string, string>;
}

/** What a secret value is, without the value: null, an array, an object, a number… */
function typeOf(v: unknown): string {
  return v === null ? "null" : withArticle(Array.isArray(v) ? "array" : typeof v);
}
