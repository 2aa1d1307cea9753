/**
 * Deferred truncate on SQLite (destination.ts): a truncate records a point (table, generation) in
 * `_connector_truncates`; finish() marks deleted the rows last written at or before each table's latest point.
 * A table gets `_connector_generation` from its first truncate only, so a table never truncated keeps
 * Fivetran's columns.
 */
import { DELETED, GENERATION } from "../../normalize/catalog.js";
import { GENERATION_SQL, q, touch } from "./ddl.js";
import type { Database } from "../../util/sqlite-driver.js";
import type { Warehouse } from "./warehouse.js";

/** Each database's prepared insert of a truncate point: a sync may record a million of them, and preparing it each time cost most of their time. */
const inserts = new WeakMap<Database.Database, Database.Statement>();

/**
 * Records a pending truncate point in the open transaction; applyTruncates() applies it. A table without
 * `_connector_generation` gets it first, 0 in every row: each was written before this point.
 */
export function recordTruncate(w: Warehouse, table: string, point: number): void {
  const t = w.tables.get(table);
  if (t && !t.generated) {
    w.db.exec(`ALTER TABLE ${q(t.name)} ADD COLUMN ${GENERATION_SQL}`);
    t.generated = true;
    touch(t);
  }
  let insert = inserts.get(w.db);
  if (!insert) inserts.set(w.db, (insert = w.db.prepare("INSERT INTO _connector_truncates (table_name, generation) VALUES (?, ?)")));
  insert.run(table, point);
}

/**
 * Applies the pending truncates: marks deleted every row of each table last written at or before
 * its latest pending point, removes them, and records the run. Returns the rows marked per table.
 */
export function applyTruncates(w: Warehouse, run: number, time: string): Record<string, number> {
  const truncated: Record<string, number> = {};
  const pending = w.db.prepare("SELECT table_name AS t, max(generation) AS point FROM _connector_truncates GROUP BY table_name ORDER BY table_name").all() as { t: string; point: number }[];
  for (const { t, point } of pending) {
    // A table without the column did not exist at its truncate point: every row of it came later.
    truncated[t] = w.tables.get(t)?.generated ? w.db.prepare(`UPDATE ${q(t)} SET ${q(DELETED)} = 1 WHERE ${q(GENERATION)} <= ? AND ${q(DELETED)} = 0`).run(point).changes : 0;
  }
  w.db.exec("DELETE FROM _connector_truncates");
  w.db.prepare("INSERT OR IGNORE INTO _connector_runs (run, time) VALUES (?, ?)").run(run, time);
  return truncated;
}
