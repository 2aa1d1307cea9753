import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ConnectorDefinition } from "../../src/sdk/connector.js";
import { UsageError } from "../../src/util/errors.js";
import { fieldSecrets, isVisible, resolveForm, type Field } from "../../src/setup/form.js";
import { fieldsFromSchema } from "../../src/setup/form-schema.js";
import { buildConfiguration, envName, fillForm, normalizeAnswer, presetValues } from "../../src/setup/form-values.js";

const def = (extra: Record<string, unknown>): ConnectorDefinition<unknown, unknown> => ({ update() {}, ...extra }) as ConnectorDefinition<unknown, unknown>;
const problems = (form: unknown): string => {
  try {
    resolveForm(def({ form }), "connector.ts");
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error("the form was accepted");
};

describe("resolveForm", () => {
  it("fills in labels, defaults and secrecy, and flattens conditions", () => {
    const form = resolveForm(
      def({
        form: {
          fields: [
            { name: "host" },
            { name: "api_key" },
            { name: "note", secret: false, label: "Note" },
            { name: "mode", type: "dropdown", choices: ["a", { value: "b", label: "Bee" }], default: "b" },
            { name: "on", type: "toggle" },
            { type: "conditional", when: { field: "on", equals: true }, fields: [{ name: "pw", type: "password" }] },
          ],
          tests: { ping() {} },
        },
      }),
      "connector.ts",
    );
    expect(form.source).toBe("form");
    expect(form.tests).toEqual(["ping"]);
    expect(form.fields.map((f) => [f.name, f.label, f.kind, f.secret, f.default])).toEqual([
      ["host", "host", "text", false, undefined],
      ["api_key", "api_key", "text", true, undefined],
      ["note", "Note", "text", false, undefined],
      ["mode", "mode", "dropdown", false, "b"],
      ["on", "on", "toggle", false, "false"],
      ["pw", "pw", "password", true, undefined],
    ]);
    const pw = form.fields[5]!;
    expect(isVisible(pw, { on: "false" })).toBe(false);
    expect(isVisible(pw, { on: "true" })).toBe(true);
  });

  it("lists every problem of a form at once, each naming its field", () => {
    const text = problems({
      fields: [
        { name: "", label: "Nameless" },
        { name: "a", type: "checkbox" },
        { name: "b", type: "dropdown", choices: [] },
        { name: "c", type: "dropdown", choices: ["x", "x"], default: "y" },
        { name: "d", requried: true },
        { name: "e", type: "toggle", default: "yes" },
        { name: "e" },
        { name: "f", default: 5 },
        { type: "conditional", when: { field: "later", equals: "x" }, fields: [{ name: "g" }] },
        { type: "conditional", when: { field: "c", equals: "z" }, fields: [] },
        { name: "h", type: "hidden", required: true },
      ],
      tests: { t: "not a function" },
      extra: 1,
    });
    for (const line of [
      "form.extra: unknown key",
      'form.fields[0]: a field needs a non-empty "name", got ""',
      'form.fields[1] ("a"): unknown type "checkbox"; the types are "text", "password", "hidden", "dropdown", "toggle", "conditional"',
      'form.fields[2] ("b"): a dropdown needs "choices"',
      'form.fields[3] ("c"): choice "x" is listed twice',
      'form.fields[3] ("c"): the default "y" is not one of the choices (x)',
      'form.fields[4] ("d"): unknown key "requried" for a text field',
      `form.fields[5] ("e"): a toggle's default must be true or false, got "yes"`,
      'form.fields[6] ("e"): field "e" is declared twice',
      'form.fields[7] ("f"): the default must be a string (configuration values are strings), got 5',
      'form.fields[8]: "when" names field "later", which is not declared before it',
      'form.fields[9]: "when" compares "c" with "z", which that dropdown field never holds (its choices: x)',
      'form.fields[9]: "fields" must be a non-empty list of fields',
      'form.fields[10] ("h"): a required hidden field needs a default',
      'form.tests["t"] must be a function',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/^The setup form of connector.ts is not valid:\n {2}/);
  });

  it("a form that is not an object is refused", () => {
    expect(problems([])).toContain("must be an object { fields?, tests? }, got an array");
  });

  it("derives the fields from the configuration schema when the form gives none", () => {
    const form = resolveForm(def({ configuration: z.object({ a: z.string() }), form: { tests: { t() {} } } }), "connector.ts");
    expect(form.source).toBe("schema");
    expect(form.fields.map((f) => f.name)).toEqual(["a"]);
    expect(resolveForm(def({}), "connector.ts")).toEqual({ fields: [], source: "none", tests: [] });
  });
});

describe("fieldsFromSchema", () => {
  it("reads labels, help, defaults, choices, booleans and secret marks from zod's JSON Schema", () => {
    const fields = fieldsFromSchema(
      z.object({
        base_url: z.string().url().describe("The API root").meta({ title: "Base URL", examples: ["https://api.test"] }),
        dsn: z.string().meta({ secret: true }),
        client_secret: z.string().optional(),
        page_size: z.coerce.number().int().default(100),
        mode: z.enum(["full", "incremental"]).default("incremental"),
        kind: z.union([z.literal("a"), z.literal("b")]),
        verbose: z.boolean().optional(),
        tags: z.array(z.string()).optional(),
        note: z.string().nullable().optional(),
      }),
    );
    const by = Object.fromEntries(fields.map((f) => [f.name, f]));
    expect(by.base_url).toMatchObject({ label: "Base URL", description: "The API root", placeholder: "https://api.test", kind: "text", required: true, secret: false, jsonType: "string" });
    expect(by.dsn).toMatchObject({ kind: "password", secret: true, required: true });
    expect(by.client_secret).toMatchObject({ kind: "text", secret: true, required: false });
    expect(by.page_size).toMatchObject({ default: "100", required: false, jsonType: "integer" });
    expect(by.mode).toMatchObject({ kind: "dropdown", default: "incremental", choices: [{ value: "full" }, { value: "incremental" }] });
    expect(by.kind).toMatchObject({ kind: "dropdown", required: true, choices: [{ value: "a" }, { value: "b" }] });
    expect(by.verbose).toMatchObject({ kind: "toggle", default: "false", jsonType: "boolean" });
    expect(by.tags).toMatchObject({ kind: "text", description: "(JSON array)", jsonType: "array" });
    expect(by.note).toMatchObject({ kind: "text", jsonType: "string", required: false });
  });

  it("gives no fields for a schema that is not an object, or offers no JSON Schema", () => {
    expect(fieldsFromSchema(z.string())).toEqual([]);
    expect(fieldsFromSchema({ "~standard": { version: 1, vendor: "x", validate: (v: unknown) => ({ value: v }) } })).toEqual([]);
  });
});

const field = (f: Partial<Field>): Field => ({ name: "f", label: "F", kind: "text", required: false, secret: false, when: [], ...f });

describe("answers", () => {
  it("a dropdown takes a value, a label or a number; a toggle takes y/n words", () => {
    const dd = field({ kind: "dropdown", choices: [{ value: "last_7_days", label: "Last 7 days" }, { value: "all" }] });
    expect(normalizeAnswer(dd, "last_7_days")).toEqual({ value: "last_7_days" });
    expect(normalizeAnswer(dd, "last 7 DAYS")).toEqual({ value: "last_7_days" });
    expect(normalizeAnswer(dd, "2")).toEqual({ value: "all" });
    expect(normalizeAnswer(dd, "3")).toEqual({ problem: '"3" is not one of the choices: last_7_days, all' });
    const t = field({ kind: "toggle" });
    for (const yes of ["y", "YES", "true", "on", "1"]) expect(normalizeAnswer(t, yes)).toEqual({ value: "true" });
    for (const no of ["n", "No", "false", "off", "0"]) expect(normalizeAnswer(t, no)).toEqual({ value: "false" });
    expect(normalizeAnswer(t, "maybe")).toEqual({ problem: "answer y or n" });
    // Text is trimmed; a secret is kept exactly as typed.
    expect(normalizeAnswer(field({}), "  a b ")).toEqual({ value: "a b" });
    expect(normalizeAnswer(field({ secret: true }), " pass ")).toEqual({ value: " pass " });
  });

  it("names environment variables after the field", () => {
    expect(envName("api_key")).toBe("CONNECTOR_FORM_API_KEY");
    expect(envName("apiKey")).toBe("CONNECTOR_FORM_API_KEY");
    expect(envName("base-url.v2")).toBe("CONNECTOR_FORM_BASE_URL_V2");
  });

  it("--set wins over the environment; a malformed or unknown --set is an error", () => {
    const fields = [field({ name: "a" }), field({ name: "b", kind: "toggle" })];
    expect(presetValues(fields, ["a=x=y"], { CONNECTOR_FORM_A: "env", CONNECTOR_FORM_B: "yes" })).toEqual({ a: "x=y", b: "true" });
    expect(() => presetValues(fields, ["a"], {})).toThrow('--set takes name=value, and one of them has no name before an "=" (field names: a, b)');
    expect(() => presetValues(fields, ["c=1"], {})).toThrow('--set c: the form has no field "c"; its fields are a, b');
    expect(() => presetValues(fields, [], { CONNECTOR_FORM_B: "perhaps" })).toThrow("CONNECTOR_FORM_B: answer y or n");
  });

  it("without a terminal, fills from the current file and defaults, and names what is missing", async () => {
    const fields = [field({ name: "a", required: true }), field({ name: "b", required: true, default: "d" }), field({ name: "c", required: true })];
    expect(await fillForm(fields, { preset: { c: "p" }, current: { a: "cur" } })).toEqual({ a: "cur", b: "d", c: "p" });
    await expect(fillForm(fields, { preset: {}, current: {} })).rejects.toThrow(/a: --set a=… {2}or {2}CONNECTOR_FORM_A=…\n {2}c: --set c=…/);
  });

  it("builds strings when the schema (or Fivetran's rule) accepts them, typed values when it needs them", async () => {
    expect(await buildConfiguration({ a: "1", b: undefined }, undefined, "c.json")).toEqual({ a: "1" });
    const coerce = z.object({ n: z.coerce.number(), on: z.stringbool() });
    expect(await buildConfiguration({ n: "5", on: "true" }, coerce, "c.json")).toEqual({ n: "5", on: "true" });
    const strict = z.object({ n: z.number(), on: z.boolean(), tags: z.array(z.string()) });
    expect(await buildConfiguration({ n: "5", on: "true", tags: '["x"]' }, strict, "c.json")).toEqual({ n: 5, on: true, tags: ["x"] });
    await expect(buildConfiguration({ n: "five", on: "true", tags: "[]" }, strict, "c.json")).rejects.toThrow("so c.json was not written:\n  n: Invalid input: expected number, received string");
  });

  it("the values of secret fields are known as secrets", () => {
    const fields = [field({ name: "pw", secret: true }), field({ name: "host" })];
    expect(fieldSecrets(fields, { pw: "hunter2-x", host: "h" })).toEqual(["hunter2-x"]);
  });
});
