/**
 * connector-sdk/http's sealed secrets (rotated refresh tokens) in `_connector.secrets`, written
 * in the checkpoint's transaction. The table is made by the first secret, so a warehouse whose
 * connector never rotated a token has none.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { StoredSecret } from "../destination.js";
import { META_SCHEMA } from "./sql.js";

export async function recordSecrets(con: DuckDBConnection, json: string): Promise<void> {
  await con.run(`CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.secrets (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL, obtained_at BIGINT NOT NULL)`);
  for (const [key, s] of Object.entries(JSON.parse(json) as Record<string, StoredSecret>)) {
    await con.run(`INSERT OR REPLACE INTO ${META_SCHEMA}.secrets VALUES (?, ?, ?)`, [key, s.value, s.at]);
  }
}

export async function storedSecrets(con: DuckDBConnection): Promise<Record<string, StoredSecret>> {
  const found = (await con.runAndReadAll(`SELECT 1 FROM information_schema.tables WHERE table_schema = '${META_SCHEMA}' AND table_name = 'secrets'`)).getRowObjects();
  if (found.length === 0) return {};
  const rows = (await con.runAndReadAll(`SELECT key, value, obtained_at FROM ${META_SCHEMA}.secrets`)).getRowObjects();
  return Object.fromEntries(rows.map((r) => [String(r.key), { value: String(r.value), at: Number(r.obtained_at) }]));
}
