export { Connector } from "./core/connector.js";
export type { ColumnType, Configuration, ConnectorDefinition, State, TableDefinition, UpdateResult } from "./core/connector.js";
export { op } from "./core/operations.js";
export { log } from "./core/log.js";
export { DATA_TYPES } from "./core/types.js";
export type { DataType } from "./core/types.js";
export type { JsonValue } from "./core/state.js";
export type { StandardSchemaV1, InferOutput } from "./core/standard-schema.js";
export type { Counts, TableCounts } from "./core/counts.js";
