/** better-sqlite3, as util/sqlite-driver.ts loads it (the project lock uses it too). */
export { Database } from "../../util/sqlite-driver.js";
