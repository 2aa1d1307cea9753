import type { SetupForm } from "./form-types.js";
import type { StandardSchemaV1 } from "../util/standard-schema.js";
import type { DataType } from "../normalize/types.js";

/** A column type in schema(): one of the 14 types, "DECIMAL(p,s)", or { type: "DECIMAL", precision, scale }. */
export type ColumnType =
  | Exclude<DataType, "DECIMAL">
  | Lowercase<Exclude<DataType, "DECIMAL">>
  | `DECIMAL(${number},${number})`
  | { type: "DECIMAL"; precision: number; scale: number };

/** One table declared by schema(). Declared tables and columns exist even before a row arrives. */
export interface TableDefinition {
  table: string;
  primary_key?: string[];
  /** `undefined` entries are ignored; they appear when TypeScript unifies the object literals of several tables. */
  columns?: Record<string, ColumnType | undefined>;
}

/** Configuration without a schema: Fivetran's flat object of strings. */
export type Configuration = Record<string, string>;

/** State without a schema: a JSON object, {} on the first sync. */
export type State = Record<string, unknown>;

/** What update() may return: nothing, a promise, or a (async) generator, which the engine drains. */
export type UpdateResult = void | Promise<void> | Iterable<unknown> | AsyncIterable<unknown>;

/** What a connector is made of: `update`, and optionally `schema` and the configuration and state validators. */
export interface ConnectorDefinition<C = Configuration, S = State> {
  /** A Standard Schema (zod 4, for example) that validates and coerces configuration.json before anything runs. */
  configuration?: StandardSchemaV1<unknown, C>;
  /** A Standard Schema for the state: its defaults give the first-run values, and every checkpoint is checked against it. */
  state?: StandardSchemaV1<unknown, S>;
  /** Declares tables, primary keys and column types. */
  schema?: (configuration: C) => TableDefinition[] | Promise<TableDefinition[]>;
  /** Reads the source from `state` on and emits operations. */
  update: (configuration: C, state: S) => UpdateResult;
  /** The setup form `connector configuration` asks for (derived from `configuration` when its fields are left out), and the setup tests `--test` runs. */
  form?: SetupForm<C>;
}

const MARK = Symbol.for("connector-sdk.connector");

/** A connector: the default export (or the export named `connector`) of connector.ts. */
export class Connector<C = Configuration, S = State> {
  readonly [MARK] = true;
  readonly definition: ConnectorDefinition<C, S>;

  constructor(definition: ConnectorDefinition<C, S>) {
    if (!definition || typeof definition.update !== "function") {
      throw new TypeError("new Connector({ update }) needs an update(configuration, state) function");
    }
    this.definition = definition;
  }
}

/** Accepts a Connector from any copy of this package, or a plain { update, schema? } object. */
export function asDefinition(value: unknown): ConnectorDefinition<unknown, unknown> | undefined {
  if (!value || (typeof value !== "object" && typeof value !== "function")) return undefined;
  const v = value as { [MARK]?: boolean; definition?: unknown; update?: unknown; schema?: unknown };
  if (v[MARK] && v.definition) return v.definition as ConnectorDefinition<unknown, unknown>;
  if (typeof v.update === "function" && (v.schema === undefined || typeof v.schema === "function")) {
    return v as ConnectorDefinition<unknown, unknown>;
  }
  return undefined;
}
