/**
 * normalize: from what the connector sent to what a destination stores. Naming, the 14
 * logical types, inference and widening, coercion into canonical stored values, the keyless
 * row hash, and the catalog, which sends every schema change to the destination as a
 * SchemaChange value. No SQL and no database. May import: util.
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
