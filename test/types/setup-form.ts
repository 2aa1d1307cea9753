// Type-level tests of setup forms, checked by `tsc -p test/types` (see test/e2e/types.test.ts).
import { Connector, type FormField, type SetupForm } from "connector-sdk";
import { z } from "zod";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

// Without a configuration schema: any field name, and tests get Fivetran's strings.
export const plain = new Connector({
  form: {
    fields: [
      { name: "api_base_url", label: "API Base URL", required: true, placeholder: "https://api.example.com" },
      { name: "api_key", type: "password", required: true },
      { name: "batch_size", type: "dropdown", choices: ["10", { value: "100", label: "Hundred", description: "the default" }], default: "100" },
      { name: "enable_metrics", type: "toggle", default: false },
      { type: "conditional", when: { field: "enable_metrics", equals: true }, fields: [{ name: "metrics_prefix" }] },
      { type: "conditional", when: { field: "api_base_url", empty: true }, fields: [{ name: "region", type: "hidden", default: "eu" }] },
    ],
    tests: {
      "Test connection": (configuration) => {
        assertType<Equal<typeof configuration, Record<string, string>>>();
      },
      "Async test": async () => {},
    },
  },
  update() {},
});

const Configuration = z.object({
  base_url: z.string().url(),
  token: z.string().meta({ secret: true }),
  page_size: z.coerce.number().default(100),
});

// With a schema: field names are its keys, and tests get the validated, typed configuration.
export const typed = new Connector({
  configuration: Configuration,
  form: {
    fields: [{ name: "base_url" }, { name: "token", type: "password" }],
    tests: {
      reach(configuration) {
        assertType<Equal<typeof configuration.page_size, number>>();
        // @ts-expect-error: not a configuration key
        void configuration.nope;
      },
    },
  },
  update() {},
});

export const typo = new Connector({
  configuration: Configuration,
  form: {
    // @ts-expect-error: "base_ulr" is not a key of the configuration
    fields: [{ name: "base_ulr" }],
  },
  update() {},
});

// Tests alone: the fields come from the schema.
export const testsOnly = new Connector({ configuration: Configuration, form: { tests: { ok: (c) => void c.base_url } }, update() {} });

// @ts-expect-error: a dropdown needs its choices
export const noChoices: FormField = { name: "x", type: "dropdown" };
// @ts-expect-error: a toggle's default is a boolean
export const toggleDefault: FormField = { name: "x", type: "toggle", default: "yes" };
// @ts-expect-error: the types are text, password, hidden, dropdown, toggle and conditional
export const unknownType: FormField = { name: "x", type: "checkbox" };
// @ts-expect-error: a setup test receives the configuration and returns nothing or a promise
export const badTest: SetupForm = { tests: { t: (c: number) => c } };
