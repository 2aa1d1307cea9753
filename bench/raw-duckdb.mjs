// W8's ceiling: the same rows written by a hand-written @duckdb/node-api appender loop with no SDK, into
// the same table (primary key included), with the same commit points and state-file writes.
// Usage: node raw-duckdb.mjs <dir> <rows> <every>
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { row } from "./generator.mjs";

const [dir, rowsArg, everyArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const every = Number(everyArg);
fs.mkdirSync(dir, { recursive: true });
const instance = await DuckDBInstance.create(path.join(dir, "warehouse.duckdb"));
const con = await instance.connect();
await con.run("CREATE SCHEMA tester");
await con.run(`CREATE TABLE tester.items (id BIGINT NOT NULL, name VARCHAR, score DOUBLE, created_at TIMESTAMPTZ, payload JSON,
  _fivetran_synced TIMESTAMPTZ NOT NULL, _fivetran_deleted BOOLEAN NOT NULL DEFAULT false, PRIMARY KEY (id))`);
const stateFile = path.join(dir, "state.json");

let appender;
async function begin() {
  await con.run("BEGIN TRANSACTION");
  appender = await con.createAppender("items", "tester");
}
async function checkpoint(state) {
  appender.flushSync();
  appender.closeSync();
  await con.run("COMMIT");
  const tmp = `${stateFile}.tmp`;
  const fd = fs.openSync(tmp, "w");
  fs.writeSync(fd, JSON.stringify(state, null, 2));
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, stateFile);
  const dfd = fs.openSync(dir, "r");
  fs.fsyncSync(dfd);
  fs.closeSync(dfd);
  await begin();
}

// One ISO string per millisecond, as the engine does.
let stampMs = -1;
let stamp = "";
const now = () => {
  const ms = Date.now();
  if (ms !== stampMs) {
    stampMs = ms;
    stamp = new Date(ms).toISOString();
  }
  return stamp;
};
await begin();
for (let i = 0; i < rows; i++) {
  const r = row(i);
  appender.appendBigInt(BigInt(r.id));
  appender.appendVarchar(r.name);
  appender.appendDouble(r.score);
  appender.appendVarchar(r.created_at);
  appender.appendVarchar(JSON.stringify(r.payload));
  appender.appendVarchar(now());
  appender.appendBoolean(false);
  appender.endRow();
  if ((i + 1) % every === 0) await checkpoint({ rows: i + 1 });
}
await checkpoint({ rows });
appender.closeSync();
await con.run("COMMIT");
con.closeSync();
instance.closeSync();
