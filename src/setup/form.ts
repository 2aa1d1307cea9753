/**
 * Setup forms, as Fivetran's `configuration_form()`: the fields `connector configuration`
 * asks for, and the named setup tests `connector configuration --test` runs. This module
 * holds the checks of a declared form (its public types are sdk/form-types.ts); form-schema.ts derives a form
 * from a configuration schema, and form-values.ts turns answers into a configuration.
 */
import type { ConnectorDefinition } from "../sdk/connector.js";
import type { DropdownChoice } from "../sdk/form-types.js";
import { UsageError } from "../util/errors.js";
import { fieldsFromSchema } from "./form-schema.js";
import { isSecretKey } from "../util/secrets.js";
import { isPlainObject } from "../state/state.js";
import { describe } from "../util/describe.js";

export type FieldKind = "text" | "password" | "hidden" | "dropdown" | "toggle";

/** The JSON type a schema wants for a field, so an answer can be stored typed when strings do not pass. */
export type JsonType = "string" | "number" | "integer" | "boolean" | "object" | "array";

/** A field as the command uses it: checked, with its defaults filled in and its conditions flattened. */
export interface Field {
  name: string;
  label: string;
  description?: string;
  placeholder?: string;
  kind: FieldKind;
  required: boolean;
  secret: boolean;
  /** As stored: a string; "true"/"false" for a toggle. */
  default?: string;
  choices?: DropdownChoice[];
  /** Every condition must hold for the field to be asked and written. */
  when: { field: string; equals?: string; empty?: true }[];
  jsonType?: JsonType;
}

export interface ResolvedForm {
  fields: Field[];
  /** Where the fields come from. */
  source: "form" | "schema" | "none";
  tests: string[];
}

const KINDS: readonly string[] = ["text", "password", "hidden", "dropdown", "toggle", "conditional"];
const KEYS: Record<string, readonly string[]> = {
  text: ["name", "label", "description", "required", "placeholder", "type", "default", "secret"],
  dropdown: ["name", "label", "description", "required", "placeholder", "type", "default", "choices"],
  toggle: ["name", "label", "description", "required", "placeholder", "type", "default"],
  conditional: ["type", "when", "fields"],
};
/** Fivetran's limit on a configuration's keys, and so on a form's fields. */
const MAX_FIELDS = 100;

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : describe(v));

/**
 * Checks a connector's `form` and flattens it; without fields, derives them from the
 * configuration schema. Every problem is listed at once, each naming the field.
 */
export function resolveForm(def: ConnectorDefinition<unknown, unknown>, file: string): ResolvedForm {
  const form = (def as { form?: unknown }).form;
  const problems: string[] = [];
  let fields: Field[] = [];
  let tests: string[] = [];
  let source: ResolvedForm["source"] = "none";
  if (form !== undefined) {
    if (!isPlainObject(form)) throw new UsageError(`The setup form of ${file} must be an object { fields?, tests? }, got ${describe(form)}`);
    for (const k of Object.keys(form)) if (k !== "fields" && k !== "tests") problems.push(`form.${k}: unknown key; a form has "fields" and "tests"`);
    if (form.fields !== undefined) {
      if (!Array.isArray(form.fields)) problems.push(`form.fields must be a list of fields, got ${describe(form.fields)}`);
      else {
        fields = checkFields(form.fields, "form.fields", [], problems);
        source = "form";
      }
    }
    if (form.tests !== undefined) {
      if (!isPlainObject(form.tests)) problems.push(`form.tests must be an object of named functions { "Test connection": (configuration) => … }, got ${describe(form.tests)}`);
      else {
        tests = Object.keys(form.tests);
        for (const [name, fn] of Object.entries(form.tests)) {
          if (!name.trim()) problems.push(`form.tests: a test needs a non-empty name`);
          if (typeof fn !== "function") problems.push(`form.tests[${JSON.stringify(name)}] must be a function (configuration) => void, got ${describe(fn)}`);
        }
      }
    }
  }
  if (fields.length === 0 && def.configuration) {
    fields = fieldsFromSchema(def.configuration);
    source = fields.length ? "schema" : "none";
  }
  if (!def.configuration && fields.length > MAX_FIELDS) problems.push(`form.fields declares ${fields.length} fields; a configuration holds at most ${MAX_FIELDS} keys`);
  if (problems.length) throw new UsageError(`The setup form of ${file} is not valid:\n  ${problems.join("\n  ")}`);
  return { fields, source, tests };
}

function checkFields(list: unknown[], at: string, when: Field["when"], problems: string[], seen = new Map<string, Field>()): Field[] {
  const out: Field[] = [];
  list.forEach((raw, i) => {
    const name = isPlainObject(raw) && typeof raw.name === "string" ? raw.name : undefined;
    const where = `${at}[${i}]${name ? ` (${JSON.stringify(name)})` : ""}`;
    if (!isPlainObject(raw)) return problems.push(`${where} must be an object { name, label?, type?, … }, got ${describe(raw)}`);
    const type = raw.type ?? "text";
    if (typeof type !== "string" || !KINDS.includes(type)) {
      return problems.push(`${where}: unknown type ${show(type)}; the types are ${KINDS.map((k) => `"${k}"`).join(", ")}`);
    }
    const allowed = KEYS[type === "password" || type === "hidden" ? "text" : type]!;
    for (const k of Object.keys(raw)) if (!allowed.includes(k)) problems.push(`${where}: unknown key "${k}" for a ${type} field; it may have ${allowed.join(", ")}`);
    if (type === "conditional") {
      const c = raw.when;
      const target = isPlainObject(c) && typeof c.field === "string" ? seen.get(c.field) : undefined;
      if (!isPlainObject(c) || typeof c.field !== "string" || (!("equals" in c) && c.empty !== true)) {
        problems.push(`${where}: "when" must be { field, equals } or { field, empty: true }, got ${describe(c)}`);
      } else if (!target) {
        problems.push(`${where}: "when" names field ${JSON.stringify(c.field)}, which is not declared before it`);
      } else if ("equals" in c && !conditionFits(target, c.equals)) {
        problems.push(`${where}: "when" compares ${JSON.stringify(c.field)} with ${show(c.equals)}, which that ${target.kind} field never holds${target.choices ? ` (its choices: ${target.choices.map((x) => x.value).join(", ")})` : ""}`);
      }
      if (!Array.isArray(raw.fields) || raw.fields.length === 0) return problems.push(`${where}: "fields" must be a non-empty list of fields`);
      const cond = isPlainObject(c) && typeof c.field === "string" ? [{ field: c.field, ...(c.empty === true ? { empty: true as const } : { equals: String(c.equals) }) }] : [];
      out.push(...checkFields(raw.fields, `${where}.fields`, [...when, ...cond], problems, seen));
      return;
    }
    if (typeof raw.name !== "string" || !raw.name.trim()) return problems.push(`${where}: a field needs a non-empty "name", got ${show(raw.name)}`);
    if (seen.has(raw.name)) problems.push(`${where}: field ${JSON.stringify(raw.name)} is declared twice`);
    for (const k of ["label", "description", "placeholder"]) {
      if (raw[k] !== undefined && typeof raw[k] !== "string") problems.push(`${where}: "${k}" must be a string, got ${show(raw[k])}`);
    }
    for (const k of ["required", "secret"]) {
      if (raw[k] !== undefined && typeof raw[k] !== "boolean") problems.push(`${where}: "${k}" must be true or false, got ${show(raw[k])}`);
    }
    const field: Field = {
      name: raw.name,
      label: typeof raw.label === "string" && raw.label.trim() ? raw.label : raw.name,
      ...(typeof raw.description === "string" ? { description: raw.description } : {}),
      ...(typeof raw.placeholder === "string" ? { placeholder: raw.placeholder } : {}),
      kind: type as FieldKind,
      required: raw.required === true,
      secret: raw.secret === true || (raw.secret !== false && (type === "password" || isSecretKey(raw.name))),
      when,
    };
    if (type === "dropdown") {
      const choices = checkChoices(raw.choices, where, problems);
      field.choices = choices;
      if (raw.default !== undefined) {
        if (typeof raw.default !== "string" || !choices.some((c) => c.value === raw.default)) {
          problems.push(`${where}: the default ${show(raw.default)} is not one of the choices (${choices.map((c) => c.value).join(", ")})`);
        } else field.default = raw.default;
      }
    } else if (type === "toggle") {
      if (raw.default !== undefined && typeof raw.default !== "boolean") problems.push(`${where}: a toggle's default must be true or false, got ${show(raw.default)}`);
      field.default = raw.default === true ? "true" : "false";
    } else if (raw.default !== undefined) {
      if (typeof raw.default !== "string") problems.push(`${where}: the default must be a string (configuration values are strings), got ${show(raw.default)}`);
      else field.default = raw.default;
    }
    if (type === "hidden" && field.required && field.default === undefined) {
      problems.push(`${where}: a required hidden field needs a default, because it is never asked`);
    }
    seen.set(field.name, field);
    out.push(field);
  });
  return out;
}

function checkChoices(raw: unknown, where: string, problems: string[]): DropdownChoice[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push(`${where}: a dropdown needs "choices", a non-empty list of values (strings, or { value, label?, description? })`);
    return [];
  }
  const out: DropdownChoice[] = [];
  raw.forEach((c, j) => {
    const choice = typeof c === "string" ? { value: c } : isPlainObject(c) && typeof c.value === "string" ? (c as unknown as DropdownChoice) : undefined;
    if (!choice || !choice.value) return problems.push(`${where}: choice ${j} must be a non-empty string or { value: string, label?, description? }, got ${show(c)}`);
    if (out.some((o) => o.value === choice.value)) return problems.push(`${where}: choice ${JSON.stringify(choice.value)} is listed twice`);
    out.push({ value: choice.value, ...(choice.label ? { label: String(choice.label) } : {}), ...(choice.description ? { description: String(choice.description) } : {}) });
  });
  return out;
}

function conditionFits(target: Field, value: unknown): boolean {
  if (target.kind === "toggle") return typeof value === "boolean";
  if (typeof value !== "string") return false;
  return !target.choices || target.choices.some((c) => c.value === value);
}

/** Whether a field is asked and written, given the answers so far. */
export function isVisible(field: Field, answers: Record<string, string | undefined>): boolean {
  return field.when.every((c) => (c.empty ? !answers[c.field] : answers[c.field] === c.equals));
}

/** The values of the fields marked secret (password fields, `secret: true`, secret-looking names), to hide wherever they could be printed. */
export function fieldSecrets(fields: Field[], configuration: unknown): string[] {
  if (!isPlainObject(configuration)) return [];
  const out: string[] = [];
  for (const f of fields) {
    const v = configuration[f.name];
    if (f.secret && (typeof v === "string" || typeof v === "number")) out.push(String(v));
  }
  return out;
}

/** The values a connector's form marks secret (password fields, `secret: true`), for a run that does not otherwise read the form; a form that does not check out marks none. */
export function formSecrets(def: ConnectorDefinition<unknown, unknown>, configuration: unknown): string[] {
  if ((def as { form?: unknown }).form === undefined) return [];
  try {
    return fieldSecrets(resolveForm(def, "").fields, configuration);
  } catch {
    return [];
  }
}
