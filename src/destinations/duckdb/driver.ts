/**
 * @duckdb/node-api, through require(): imported from an ES module, a CommonJS package is first scanned for
 * its export names, and this one's index re-exports about fifty files, each scanned in turn: about 0.15 s
 * of CPU in every thread that loads DuckDB (a writer thread at every sync into DuckDB, inspect, verify).
 */
import { createRequire } from "node:module";

type DuckDB = typeof import("@duckdb/node-api");
let loaded: DuckDB | undefined;

export function duckdb(): DuckDB {
  return (loaded ??= createRequire(import.meta.url)("@duckdb/node-api") as DuckDB);
}
