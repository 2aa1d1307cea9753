/**
 * From answers to a configuration: reading `--set name=value` and CONNECTOR_FORM_<NAME>,
 * checking one answer against its field (a dropdown's choices, a toggle's yes or no),
 * walking the form in order (conditions decide what is asked), and building the object
 * that is written: Fivetran's flat strings, or typed values when the schema wants them.
 */
import { checkPlainConfiguration } from "../sync/configuration-rules.js";
import { UsageError } from "../util/errors.js";
import type { Field, JsonType } from "./form.js";
import { isVisible } from "./form.js";
import { fieldsFromSchema } from "./form-schema.js";
import { formatIssue, type StandardSchemaV1 } from "../util/standard-schema.js";

export type Answers = Record<string, string | undefined>;

/** The environment variable that fills a field: CONNECTOR_FORM_ and its name in capitals (apiKey and api_key → API_KEY). */
export function envName(name: string): string {
  return "CONNECTOR_FORM_" + name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_+|_+$/g, "");
}

const YES = new Set(["y", "yes", "true", "on", "1"]);
const NO = new Set(["n", "no", "false", "off", "0"]);

/** An answer as stored, or why it does not fit the field. Empty means "no answer". */
export function normalizeAnswer(field: Field, text: string): { value: string } | { problem: string } {
  const t = field.secret ? text : text.trim();
  if (field.kind === "toggle") {
    const v = t.trim().toLowerCase();
    if (YES.has(v)) return { value: "true" };
    if (NO.has(v)) return { value: "false" };
    return { problem: "answer y or n" };
  }
  if (field.kind === "dropdown" && field.choices) {
    const choices = field.choices;
    const exact = choices.find((c) => c.value === t);
    const loose = exact ?? choices.find((c) => c.value.toLowerCase() === t.toLowerCase() || c.label?.toLowerCase() === t.toLowerCase());
    const n = /^\d+$/.test(t) ? Number(t) : NaN;
    const picked = loose ?? (n >= 1 && n <= choices.length ? choices[n - 1] : undefined);
    if (!picked) return { problem: `${JSON.stringify(t)} is not one of the choices: ${choices.map((c) => c.value).join(", ")}` };
    return { value: picked.value };
  }
  return { value: t };
}

/** Values given up front: CONNECTOR_FORM_<NAME> variables, then `--set name=value` (which wins). Each is checked against its field. */
export function presetValues(fields: Field[], sets: string[], env: NodeJS.ProcessEnv): Answers {
  const byName = new Map(fields.map((f) => [f.name, f]));
  // No prototype: a field may be called __proto__ or constructor.
  const out: Answers = Object.create(null);
  const problems: string[] = [];
  for (const f of fields) {
    const v = env[envName(f.name)];
    if (v === undefined || v === "") continue;
    const r = normalizeAnswer(f, v);
    if ("problem" in r) problems.push(`${envName(f.name)}: ${r.problem}`);
    else out[f.name] = r.value;
  }
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) {
      // Not quoted: a value given without its name may well be a secret.
      problems.push(`--set takes name=value, and one of them has no name before an "=" (field names: ${fields.map((x) => x.name).join(", ")})`);
      continue;
    }
    const name = s.slice(0, eq);
    const f = byName.get(name);
    if (!f) {
      problems.push(`--set ${name}: the form has no field ${JSON.stringify(name)}; its fields are ${fields.map((x) => x.name).join(", ")}`);
      continue;
    }
    const r = normalizeAnswer(f, s.slice(eq + 1));
    if ("problem" in r) problems.push(`--set ${name}: ${r.problem}`);
    else out[name] = r.value;
  }
  if (problems.length) throw new UsageError(problems.join("\n"));
  return out;
}

/** Asks one field on a terminal: the stored answer, or undefined for none. */
export type Ask = (field: Field, initial: string | undefined, problem?: string) => Promise<string | undefined>;

/**
 * Walks the form in order. A field given up front is not asked; a hidden field takes its
 * default; a field under a condition that does not hold is skipped. Without a terminal
 * (`ask` undefined), the current value or the default fills a field, and a required field
 * that none fills is an error that names its flag and variable.
 */
export async function fillForm(
  fields: Field[],
  options: { preset: Answers; current: Answers; ask?: Ask; check?: (name: string, answers: Answers) => Promise<string[]> },
): Promise<Answers> {
  const answers: Answers = Object.create(null);
  const missing: Field[] = [];
  for (const field of fields) {
    if (!isVisible(field, answers)) continue;
    const initial = options.current[field.name] ?? field.default;
    if (field.name in options.preset) answers[field.name] = options.preset[field.name];
    else if (field.kind === "hidden" || !options.ask) {
      if (initial !== undefined) answers[field.name] = initial;
      else if (field.required) missing.push(field);
    } else {
      let problem: string | undefined;
      for (;;) {
        answers[field.name] = await options.ask(field, initial, problem);
        const problems = options.check && answers[field.name] !== undefined ? await options.check(field.name, answers) : [];
        if (problems.length === 0) break;
        problem = `${field.label}: ${problems.join("; ")}`;
      }
    }
  }
  if (missing.length) {
    const lines = missing.map((f) => `  ${f.name}: --set ${f.name}=…  or  ${envName(f.name)}=…`);
    throw new UsageError(
      `connector configuration asks for each field on a terminal, and there is none. Give the required fields without asking:\n${lines.join("\n")}\n` +
        `Use the environment variable for secrets: a value in --set stays in your shell history. Other fields take their default, or the value in the current configuration file.`,
    );
  }
  return answers;
}

/** The answers as the connector receives them: strings, or typed by the schema's JSON types when strings do not pass. */
function typed(answers: Answers, types: Map<string, JsonType | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(answers)) {
    if (v === undefined) continue;
    const t = types.get(k);
    if ((t === "number" || t === "integer") && v.trim() !== "" && Number.isFinite(Number(v))) out[k] = Number(v);
    else if (t === "boolean" && (v === "true" || v === "false")) out[k] = v === "true";
    else if (t === "object" || t === "array") {
      try {
        out[k] = JSON.parse(v);
      } catch {
        out[k] = v;
      }
    } else out[k] = v;
  }
  return out;
}

const strings = (answers: Answers): Record<string, string> => Object.fromEntries(Object.entries(answers).filter((e): e is [string, string] => e[1] !== undefined));

async function issuesOf(schema: StandardSchemaV1<unknown, unknown>, value: unknown) {
  const r = await schema["~standard"].validate(value);
  return r.issues ?? [];
}

/**
 * What is written: Fivetran's flat object of strings when the connector has no schema, or
 * when its schema accepts strings; else the values typed as its JSON Schema says. Either
 * must pass the schema, or nothing is written.
 */
export async function buildConfiguration(answers: Answers, schema: StandardSchemaV1<unknown, unknown> | undefined, file: string): Promise<Record<string, unknown>> {
  const flat = strings(answers);
  if (!schema) return checkPlainConfiguration(flat, file);
  if ((await issuesOf(schema, flat)).length === 0) return flat;
  const candidate = typed(answers, new Map(fieldsFromSchema(schema).map((f) => [f.name, f.jsonType])));
  const issues = await issuesOf(schema, candidate);
  if (issues.length === 0) return candidate;
  throw new UsageError(`The answers do not pass the connector's configuration schema, so ${file} was not written:\n  ${issues.map(formatIssue).join("\n  ")}`);
}

/** The schema's problems with one field, given the answers so far (as strings, or typed): empty when either form passes. */
export async function fieldProblems(schema: StandardSchemaV1<unknown, unknown>, name: string, answers: Answers): Promise<string[]> {
  const about = (issues: readonly { path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> | undefined; message: string }[]) =>
    issues.filter((i) => {
      const first = i.path?.[0];
      return (typeof first === "object" && first !== null ? first.key : first) === name;
    });
  const first = about(await issuesOf(schema, strings(answers)));
  if (first.length === 0) return [];
  const second = about(await issuesOf(schema, typed(answers, new Map(fieldsFromSchema(schema).map((f) => [f.name, f.jsonType])))));
  return second.length === 0 ? [] : second.map((i) => i.message);
}
