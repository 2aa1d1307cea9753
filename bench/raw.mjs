// The ceiling: the same rows written by a hand-written better-sqlite3 loop with no SDK,
// with the same table, pragmas, transactions and state-file writes.
// Usage: node raw.mjs <dir> <rows> <every> [updates] [deletes] [batch]
// With batch > 1 (W1B), the upserts are written `batch` rows per statement, as the engine writes them.
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { deleteOf, row, updateOf } from "./generator.mjs";

const [dir, rowsArg, everyArg, updatesArg = "0", deletesArg = "0", batchArg = "1"] = process.argv.slice(2);
const batch = Number(batchArg);
const rows = Number(rowsArg);
const every = Number(everyArg);
const updates = Number(updatesArg);
const deletes = Number(deletesArg);
fs.mkdirSync(dir, { recursive: true });
const db = new Database(path.join(dir, "warehouse.db"));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = FULL");
db.exec(`CREATE TABLE items (id INTEGER NOT NULL, name TEXT, score REAL, created_at TEXT, payload TEXT,
  _fivetran_synced TEXT NOT NULL, _fivetran_deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (id))`);
const upsertSql = (n) => `INSERT INTO items (_fivetran_synced, _fivetran_deleted, id, name, score, created_at, payload) VALUES ${Array(n).fill("(?, 0, ?, ?, ?, ?, ?)").join(", ")}
  ON CONFLICT (id) DO UPDATE SET _fivetran_synced = excluded._fivetran_synced, _fivetran_deleted = 0, name = excluded.name, score = excluded.score,
  created_at = excluded.created_at, payload = excluded.payload`;
const upsert = db.prepare(upsertSql(1));
const upsertMany = batch > 1 ? db.prepare(upsertSql(batch)) : undefined;
const held = [];
function flush() {
  for (let k = 0; k < held.length; k += 6) upsert.run(held[k], held[k + 1], held[k + 2], held[k + 3], held[k + 4], held[k + 5]);
  held.length = 0;
}
const update = db.prepare("UPDATE items SET _fivetran_synced = ?, score = ? WHERE id = ?");
const remove = db.prepare("UPDATE items SET _fivetran_deleted = 1, _fivetran_synced = ? WHERE id = ?");
const stateFile = path.join(dir, "state.json");

function checkpoint(state) {
  flush();
  db.exec("COMMIT");
  const tmp = `${stateFile}.tmp`;
  const fd = fs.openSync(tmp, "w");
  fs.writeSync(fd, JSON.stringify(state, null, 2));
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, stateFile);
  const dfd = fs.openSync(dir, "r");
  fs.fsyncSync(dfd);
  fs.closeSync(dfd);
  db.exec("BEGIN IMMEDIATE");
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
db.exec("BEGIN IMMEDIATE");
for (let i = 0; i < rows; i++) {
  const r = row(i);
  if (upsertMany) {
    held.push(now(), r.id, r.name, r.score, r.created_at, JSON.stringify(r.payload));
    if (held.length === batch * 6) {
      upsertMany.run(...held);
      held.length = 0;
    }
  } else {
    upsert.run(now(), r.id, r.name, r.score, r.created_at, JSON.stringify(r.payload));
  }
  if ((i + 1) % every === 0) checkpoint({ rows: i + 1 });
}
checkpoint({ rows });
for (let k = 0; k < updates; k++) {
  const u = updateOf(k);
  update.run(now(), u.score, u.id);
  if ((k + 1) % every === 0) checkpoint({ rows, updates: k + 1 });
}
for (let k = 0; k < deletes; k++) {
  remove.run(now(), deleteOf(k).id);
  if ((k + 1) % every === 0) checkpoint({ rows, updates, deletes: k + 1 });
}
checkpoint({ rows, updates, deletes });
db.exec("COMMIT");
db.close();
