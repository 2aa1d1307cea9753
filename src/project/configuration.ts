import fs from "node:fs";
import { UsageError } from "../util/errors.js";
import { jsonErrorLocation } from "../util/json.js";
import { configurationSecrets, isSecretKey } from "../util/redact.js";
import { isPlainObject } from "../state/state.js";
import { describe } from "../util/describe.js";

export { isSecretKey };

export const MAX_CONFIGURATION_KEYS = 100;

/** Reads a configuration file as JSON; what it must contain is decided by validateConfiguration. */
export function readConfigurationFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`Configuration file not found: ${file}`);
    throw new UsageError(`Cannot read configuration file ${file}: ${(e as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark, as Windows editors write
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`Configuration file ${file} is not valid JSON (${jsonErrorLocation(text, e as Error, { showToken: false })})`);
  }
}

/** Fivetran's rule when a connector declares no configuration schema: a flat object of at most 100 string values. */
export function checkPlainConfiguration(value: unknown, file: string | undefined): Record<string, string> {
  const where = file ? `Configuration file ${file}` : "The configuration";
  if (!isPlainObject(value)) throw new UsageError(`${where} must hold a JSON object, found ${Array.isArray(value) ? "an array" : describe(value)}`);
  const keys = Object.keys(value);
  if (keys.length > MAX_CONFIGURATION_KEYS) throw new UsageError(`${where} has ${keys.length} keys; at most ${MAX_CONFIGURATION_KEYS} are allowed`);
  const bad = keys.filter((k) => typeof value[k] !== "string");
  if (bad.length > 0) {
    const lines = bad.map((k) => `  ${k}: must be a string, found ${isSecretKey(k) ? "a " + typeOf(value[k]) : describe(value[k])}`);
    throw new UsageError(`${where}: every value must be a string (declare a configuration schema on the Connector to use other types):\n${lines.join("\n")}`);
  }
  return value as Record<string, string>;
}

function typeOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/**
 * The secret values of a configuration (under secret-looking keys at any depth, or marked
 * secret by its schema), to warn if they leak into state. Short values are ignored: they match by chance.
 */
export function secretValues(configuration: unknown, schema?: unknown): string[] {
  return configurationSecrets(schema, configuration).filter((v) => v.length >= 6);
}
