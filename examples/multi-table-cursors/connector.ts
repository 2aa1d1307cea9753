// A port of the multi-table example of Fivetran's state-management guide: one
// timestamp cursor per table, and a checkpoint after each table.
//
// The Python original reads "users_cursor" and "orders_cursor" from the state but
// checkpoints a dict keyed "users" and "orders", so every sync starts over from its
// default. Here the state schema names the keys once, for reading and for writing,
// and `connector debug` warns about any saved key the schema does not know.
import { readFileSync } from "node:fs";
import { Connector, log, op } from "connector-sdk";
import { z } from "zod";

const EPOCH = "2000-01-01T00:00:00Z";
const TABLES = ["users", "orders"] as const;
type Table = (typeof TABLES)[number];

const State = z.object({
  users_cursor: z.string().default(EPOCH),
  orders_cursor: z.string().default(EPOCH),
});
type State = z.output<typeof State>;

declare module "connector-sdk" {
  interface Register {
    state: State;
  }
}

interface SourceRecord {
  id: number;
  updated_at: string;
  [column: string]: unknown;
}

// Stands in for the source API: the records of a table changed after a timestamp, oldest first.
function fetchTableDataSince(table: Table, since: string): SourceRecord[] {
  const records = JSON.parse(readFileSync(new URL(`./data/${table}.json`, import.meta.url), "utf8")) as SourceRecord[];
  return records.filter((r) => Date.parse(r.updated_at) > Date.parse(since)).sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at));
}

export default new Connector({
  state: State,
  schema: () => [
    { table: "users", primary_key: ["id"], columns: { updated_at: "UTC_DATETIME" } },
    { table: "orders", primary_key: ["id"], columns: { total: "DECIMAL(12,2)", updated_at: "UTC_DATETIME" } },
  ],
  update(configuration, state) {
    const cursors: State = { ...state };
    for (const table of TABLES) {
      const key = `${table}_cursor` as const;
      for (const record of fetchTableDataSince(table, cursors[key])) {
        op.upsert(table, record);
        cursors[key] = record.updated_at;
      }
      op.checkpoint(cursors);
      log.info(`${table} synced up to ${cursors[key]}`);
    }
  },
});
