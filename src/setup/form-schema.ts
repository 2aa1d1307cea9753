/**
 * A setup form derived from a configuration schema, for connectors that declare a schema
 * but no form. It reads the schema's JSON Schema (Standard JSON Schema, as redact.ts does),
 * so it depends on no validator's internals: title or meta label, description, default,
 * enum, boolean, and the secret marks (`.meta({ secret: true })`).
 */
import type { Field, JsonType } from "./form.js";
import { isMarked, isSecretKey, jsonSchemaOf, resolveRef, type JsonSchema } from "../util/secrets.js";
import { isPlainObject } from "../state/state.js";

const JSON_TYPES: readonly string[] = ["string", "number", "integer", "boolean", "object", "array"];

/** One field per top-level property of an object schema; none when the schema is not an object or gives no JSON Schema. */
export function fieldsFromSchema(schema: unknown): Field[] {
  const root = jsonSchemaOf(schema);
  if (!root) return [];
  const top = resolveRef(root, root);
  if (!isPlainObject(top.properties)) return [];
  const required = new Set(Array.isArray(top.required) ? top.required.filter((k): k is string => typeof k === "string") : []);
  return Object.entries(top.properties as JsonSchema).map(([name, raw]) => fieldOf(name, isPlainObject(raw) ? (raw as JsonSchema) : {}, root, required.has(name)));
}

/** A property, with a nullable or optional wrapper (`anyOf: [X, {type: "null"}]`) taken off; the outer title, description and default win. */
function unwrap(node: JsonSchema, root: JsonSchema): JsonSchema {
  let n = resolveRef(node, root);
  for (let depth = 0; depth < 10; depth++) {
    const list = Array.isArray(n.anyOf) ? n.anyOf : Array.isArray(n.oneOf) ? n.oneOf : undefined;
    if (!list) break;
    const branches = list.filter(isPlainObject).map((b) => resolveRef(b as JsonSchema, root)).filter((b) => b.type !== "null");
    const outer = Object.fromEntries(Object.entries(n).filter(([k]) => k !== "anyOf" && k !== "oneOf"));
    if (branches.length === 1) {
      n = { ...branches[0]!, ...outer };
      continue;
    }
    // A union of literals ("a" | "b") is a dropdown.
    const values = branches.flatMap((b) => (b.const !== undefined ? [b.const] : Array.isArray(b.enum) ? b.enum : [undefined]));
    if (values.length && values.every((v) => typeof v === "string")) n = { ...outer, type: "string", enum: values };
    break;
  }
  return n;
}

function jsonTypeOf(n: JsonSchema): JsonType | undefined {
  const types = (Array.isArray(n.type) ? n.type : [n.type]).filter((t): t is string => typeof t === "string" && t !== "null");
  return types.length === 1 && JSON_TYPES.includes(types[0]!) ? (types[0] as JsonType) : undefined;
}

const asText = (v: unknown): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : v !== undefined && v !== null ? JSON.stringify(v) : undefined;

function fieldOf(name: string, raw: JsonSchema, root: JsonSchema, listedRequired: boolean): Field {
  const n = unwrap(raw, root);
  const jsonType = jsonTypeOf(n);
  const secret = isMarked(n) || isSecretKey(name);
  const label = [n.title, n.label].find((v): v is string => typeof v === "string" && v.trim() !== "") ?? name;
  const placeholder = typeof n.placeholder === "string" ? n.placeholder : Array.isArray(n.examples) ? asText(n.examples[0]) : undefined;
  let description = typeof n.description === "string" ? n.description : undefined;
  const enumValues = n.const !== undefined ? [n.const] : Array.isArray(n.enum) ? n.enum : undefined;
  const field: Field = {
    name,
    label,
    kind: isMarked(n) ? "password" : "text",
    required: listedRequired && n.default === undefined,
    secret,
    when: [],
    ...(jsonType ? { jsonType } : {}),
  };
  if (enumValues && enumValues.length && enumValues.every((v) => typeof v === "string")) {
    field.kind = "dropdown";
    field.choices = (enumValues as string[]).map((value) => ({ value }));
  } else if (jsonType === "boolean") {
    field.kind = "toggle";
  } else if (jsonType === "object" || jsonType === "array") {
    description = [description, `(JSON ${jsonType === "object" ? "object" : "array"})`].filter(Boolean).join(" ");
  }
  const dflt = asText(n.default);
  if (dflt !== undefined) field.default = dflt;
  else if (field.kind === "toggle") field.default = "false";
  if (description) field.description = description;
  if (placeholder !== undefined) field.placeholder = placeholder;
  return field;
}
