/**
 * The configuration's JSON Schema as the engines want it (Airbyte's connectionSpecification,
 * Singer's `settings`): from the connector's configuration schema, else its setup form, else
 * the keys of the project's configuration.json as strings. A field is secret by the same
 * rules as our redaction (marked in the schema or the form, or a secret-looking name), and
 * carries `airbyte_secret: true` and `secret: true`.
 */
import fs from "node:fs";
import path from "node:path";
import { resolveForm, type Field } from "../setup/form.js";
import { isPlainObject } from "../util/describe.js";
import { isMarked, isSecretKey, jsonSchemaOf, type JsonSchema } from "../util/secrets.js";
import type { EngineProject } from "./project-inputs.js";

const DRAFT_07 = "http://json-schema.org/draft-07/schema#";

export function configurationSpec(ep: EngineProject): JsonSchema {
  const fromSchema = ep.definition.configuration ? jsonSchemaOf(ep.definition.configuration) : undefined;
  if (fromSchema) return markSecrets({ ...fromSchema, $schema: DRAFT_07 });
  const form = resolveForm(ep.definition, ep.connectorFile);
  if (form.source === "form" && form.fields.length) return fromFields(form.fields);
  return fromExample(path.join(ep.p.dir, "configuration.json"));
}

/** Marks every secret property, at any depth, for the engines' UIs. */
function markSecrets(node: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...node };
  if (isPlainObject(node.properties)) {
    const props: JsonSchema = {};
    for (const [name, raw] of Object.entries(node.properties)) {
      const child = isPlainObject(raw) ? markSecrets(raw) : {};
      props[name] = isMarked(child) || isSecretKey(name) || hidesSecret(child) ? { ...child, airbyte_secret: true, secret: true } : child;
    }
    out.properties = props;
  }
  for (const key of ["anyOf", "oneOf", "allOf"]) if (Array.isArray(node[key])) out[key] = (node[key] as unknown[]).map((b) => (isPlainObject(b) ? markSecrets(b) : b));
  if (isPlainObject(node.$defs)) out.$defs = Object.fromEntries(Object.entries(node.$defs).map(([k, v]) => [k, isPlainObject(v) ? markSecrets(v) : v]));
  return out;
}

/** A nullable or optional wrapper around a marked field. */
const hidesSecret = (node: JsonSchema): boolean =>
  ["anyOf", "oneOf"].some((k) => Array.isArray(node[k]) && (node[k] as unknown[]).some((b) => isPlainObject(b) && isMarked(b)));

function fromFields(fields: Field[]): JsonSchema {
  const properties: JsonSchema = {};
  for (const f of fields) {
    // Fivetran's configuration holds strings only, a toggle's "true"/"false" too; a schema-typed field keeps its type.
    const p: JsonSchema = { type: f.jsonType ?? "string", title: f.label };
    if (f.description) p.description = f.description;
    if (f.default !== undefined) p.default = f.default;
    if (f.choices) p.enum = f.choices.map((c) => c.value);
    if (f.secret || isSecretKey(f.name)) Object.assign(p, { airbyte_secret: true, secret: true });
    properties[f.name] = p;
  }
  const required = fields.filter((f) => f.required && f.when.length === 0).map((f) => f.name);
  return { $schema: DRAFT_07, type: "object", properties, ...(required.length ? { required } : {}), additionalProperties: true };
}

function fromExample(file: string): JsonSchema {
  let example: unknown = {};
  try {
    example = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    // No configuration.json: an open object.
  }
  const properties: JsonSchema = {};
  if (isPlainObject(example)) {
    for (const name of Object.keys(example)) properties[name] = isSecretKey(name) ? { type: "string", airbyte_secret: true, secret: true } : { type: "string" };
  }
  return { $schema: DRAFT_07, type: "object", properties, additionalProperties: true };
}
