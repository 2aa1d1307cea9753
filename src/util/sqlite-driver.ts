/**
 * better-sqlite3, for the SQLite destination and the project lock. Through require(): imported from an
 * ES module, a CommonJS package is first scanned for its export names, in every thread that loads it
 * (~6 ms of CPU each start). Its addon is named by path (the `nativeBinding` option) where npm's build
 * put it: the `bindings` package would otherwise find it by reading a stack trace and trying a dozen
 * folders, with two more packages to load, in every thread that opens a database.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

const require = createRequire(import.meta.url);
const Driver = require("better-sqlite3") as typeof BetterSqlite3;

/** build/Release's addon, unless a build bindings would try first is there too: then bindings chooses, as before. */
function addon(): string | undefined {
  const build = path.join(path.dirname(require.resolve("better-sqlite3")), "..", "build");
  const release = path.join(build, "Release", "better_sqlite3.node");
  const earlier = [path.join(build, "better_sqlite3.node"), path.join(build, "Debug", "better_sqlite3.node")];
  return fs.existsSync(release) && !earlier.some((f) => fs.existsSync(f)) ? release : undefined;
}
const nativeBinding = addon();

export class Database extends Driver {
  constructor(filename?: string | Buffer, options: BetterSqlite3.Options = {}) {
    super(filename, nativeBinding === undefined || "nativeBinding" in options ? options : { ...options, nativeBinding });
  }
}
// The package's types, under the names its default export gave them.
export declare namespace Database {
  type Database = BetterSqlite3.Database;
  type Statement = BetterSqlite3.Statement;
}
