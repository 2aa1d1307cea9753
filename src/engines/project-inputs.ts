/** What every engine command reads first: the project, its connector, the configuration file, the declared streams. */
import fs from "node:fs";
import path from "node:path";
import { loadConnector } from "../project/loader.js";
import { findConnectorFile, project, type Project } from "../project/project.js";
import type { ConnectorDefinition } from "../sdk/connector.js";
import { parseSchema } from "../normalize/declared.js";
import type { Naming } from "../normalize/naming.js";
import { prepareInputs } from "../sync/inputs.js";
import { isPlainObject } from "../util/describe.js";
import { UsageError } from "../util/errors.js";
import { decodeTextFile, jsonErrorLocation } from "../util/json.js";
import { configurationSecrets } from "../util/secrets.js";
import { toError } from "../util/thrown.js";
import { declaredStream, type StreamShape } from "./json-schema.js";

export interface EngineProject {
  p: Project;
  connectorFile: string;
  definition: ConnectorDefinition<unknown, unknown>;
  /** The project's package.json name (without a scope), else its folder's name. */
  name: string;
  version: string;
  description: string;
}

export async function loadProject(dir: string | undefined): Promise<EngineProject> {
  const p = project(dir);
  const connectorFile = findConnectorFile(p);
  const pkg = readPackageJson(p.dir);
  const definition = await loadConnector(connectorFile);
  const name = (typeof pkg.name === "string" && pkg.name && !pkg.name.includes("{{") ? pkg.name.replace(/^@[^/]+\//, "") : path.basename(p.dir)) || "connector";
  return {
    p,
    connectorFile,
    definition,
    name,
    version: typeof pkg.version === "string" ? pkg.version : "0.0.0",
    description: typeof pkg.description === "string" ? pkg.description : `The ${name} connector, built with connector-sdk`,
  };
}

function readPackageJson(dir: string): Record<string, unknown> {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as unknown;
    return isPlainObject(v) ? v : {};
  } catch {
    return {};
  }
}

/** A JSON file the engine passed: a missing, unreadable or malformed one is a usage error that names it and says what it was for. */
export function readJsonFile(file: string, what: string): unknown {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === "ENOENT" ? `The ${what} file ${file} does not exist.` : `Cannot read the ${what} file ${file}: ${toError(e).message}`);
  }
  const text = decodeTextFile(bytes);
  if (text === undefined) throw new UsageError(`The ${what} file ${file} is not text.`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`The ${what} file ${file} is not valid JSON (${jsonErrorLocation(text, e as Error, { showToken: false })}).`);
  }
}

/**
 * The configuration as the connector sees it. Engines pass typed JSON; a connector without a
 * configuration schema gets Fivetran's flat strings, as from configuration.json.
 */
export function asConnectorConfiguration(def: ConnectorDefinition<unknown, unknown>, raw: unknown, file: string): unknown {
  if (!isPlainObject(raw)) throw new UsageError(`The configuration file ${file} must hold a JSON object, found ${Array.isArray(raw) ? "an array" : typeof raw}.`);
  if (def.configuration) return raw;
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === null || v === undefined) continue;
    flat[k] = typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  return flat;
}

/** Reads and converts the configuration file; its secrets are returned for masking, and the file's content as the engine gave it. */
export function readConfiguration(ep: EngineProject, file: string): { configuration: unknown; secrets: string[]; raw: unknown } {
  const raw = readJsonFile(file, "configuration");
  const configuration = asConnectorConfiguration(ep.definition, raw, file);
  return { configuration, secrets: configurationSecrets(ep.definition.configuration, raw, configuration), raw };
}

/** The configuration after the connector's schema (a UsageError listing each problem when it refuses it). */
export async function validConfiguration(ep: EngineProject, configuration: unknown, file: string): Promise<unknown> {
  const inputs = await prepareInputs(ep.definition, configuration, {}, { configurationFile: file, resetHint: "connector reset" });
  return inputs.configuration;
}

/** One stream per table that schema() declares. */
export async function declaredStreams(ep: EngineProject, configuration: unknown, naming: Naming): Promise<StreamShape[]> {
  if (!ep.definition.schema) return [];
  let declared: unknown;
  try {
    declared = await ep.definition.schema(configuration);
  } catch (e) {
    const err = toError(e);
    err.message = `schema() threw: ${err.message}`;
    throw err;
  }
  return parseSchema(declared, naming).map(declaredStream);
}
