/**
 * better-sqlite3 through require(). Imported from an ES module, a CommonJS package is first
 * scanned for its export names, in every thread that loads it (~6 ms of CPU each start).
 */
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

export const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
// The package's types, under the names its default export gave them.
export declare namespace Database {
  type Database = BetterSqlite3.Database;
  type Statement = BetterSqlite3.Statement;
}
