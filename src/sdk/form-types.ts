/**
 * The public types of a setup form (`form` of a connector definition): what a connector
 * author writes. Checked and resolved by setup/form.ts.
 */
/** The configuration a form fills without a schema: connector.ts's Configuration, restated so the two files do not import each other. */
type Configuration = Record<string, string>;

/** The names a field may take: the configuration's keys when a schema types it, else any string. */
export type FieldName<C> = string extends keyof C ? string : Extract<keyof C, string>;

interface FieldCommon<Name extends string> {
  /** The configuration key the answer is stored under. */
  name: Name;
  /** What the form shows; the name when left out. */
  label?: string;
  /** One line of help under the label. */
  description?: string;
  /** An empty answer is refused. Default false. */
  required?: boolean;
  /** An example value, shown as a hint when the field has no default. */
  placeholder?: string;
}

/** A one-line answer. `password` is never echoed and its value never printed; `hidden` is not asked, and takes its default or `--set`. */
export interface TextField<Name extends string = string> extends FieldCommon<Name> {
  type?: "text" | "password" | "hidden";
  default?: string;
  /** Treat the value as a credential: not echoed, never printed. Default: true for `password` and secret-looking names (api_key, token…). */
  secret?: boolean;
}

/** One choice of a dropdown: its stored value, with an optional label and description. */
export interface DropdownChoice {
  value: string;
  label?: string;
  description?: string;
}

/** One value out of a fixed list. */
export interface DropdownField<Name extends string = string> extends FieldCommon<Name> {
  type: "dropdown";
  choices: readonly (string | DropdownChoice)[];
  default?: string;
}

/** On or off: stored as "true" or "false" (a boolean when the configuration schema wants one). */
export interface ToggleField<Name extends string = string> extends FieldCommon<Name> {
  type: "toggle";
  default?: boolean;
}

/** When another field has a given value (or is empty), as Fivetran's conditional fields. */
export type VisibilityCondition<Name extends string = string> = { field: Name; equals: string | boolean } | { field: Name; empty: true };

/** Fields asked only when a condition on an earlier field holds. */
export interface ConditionalFields<Name extends string = string> {
  type: "conditional";
  when: VisibilityCondition<Name>;
  fields: readonly FormField<Name>[];
}

export type FormField<Name extends string = string> = TextField<Name> | DropdownField<Name> | ToggleField<Name> | ConditionalFields<Name>;

/** A setup test: throw (or reject) to fail, with a message that says what is wrong. */
export type SetupTest<C = Configuration> = (configuration: C) => void | Promise<void>;

/** A connector's setup form: the fields to ask for (derived from the configuration schema when left out) and its named setup tests. */
export interface SetupForm<C = Configuration> {
  /** NoInfer: the field names are checked against the configuration type, never used to guess it. */
  fields?: readonly FormField<FieldName<NoInfer<C>>>[];
  tests?: Record<string, SetupTest<C>>;
}
