/**
 * normalize: from what the connector sent to what a destination stores. Naming, the 14
 * logical types, inference and widening, coercion into canonical stored values, the keyless
 * row hash, and the catalog, which sends every schema change to the destination as a
 * SchemaChange value. No SQL and no database. May import: util (and the destination
 * contract's types).
 */
export { Catalog, DELETED, FIVETRAN_ID, SYNCED, type Column, type Table } from "./catalog.js";
export { RowNormalizer } from "./row-normalizer.js";
export { Names } from "./names.js";
export type { LogicalType, Stored } from "./types.js";
