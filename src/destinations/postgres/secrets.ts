/**
 * connector-sdk/http's sealed secrets (rotated refresh tokens) in `_connector_secrets`, one row
 * per connector and key, written in the checkpoint's transaction. The table is made by the first
 * secret (checked first: CREATE … IF NOT EXISTS needs the CREATE privilege even when nothing is made).
 */
import type pg from "pg";
import type { StoredSecret } from "../destination.js";
import { q } from "./schema.js";

const TABLE = "_connector_secrets";

async function exists(client: pg.Client, schema: string): Promise<boolean> {
  const r = await client.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [`${q(schema)}.${q(TABLE)}`]);
  return r.rows[0]?.t != null;
}

export async function recordSecrets(client: pg.Client, schema: string, connector: string, json: string): Promise<void> {
  if (!(await exists(client, schema))) {
    await client.query(`CREATE TABLE IF NOT EXISTS ${q(schema)}.${q(TABLE)} (connector text NOT NULL, key text NOT NULL, value text NOT NULL, obtained_at bigint NOT NULL, PRIMARY KEY (connector, key))`);
  }
  for (const [key, s] of Object.entries(JSON.parse(json) as Record<string, StoredSecret>)) {
    await client.query(
      `INSERT INTO ${q(schema)}.${q(TABLE)} (connector, key, value, obtained_at) VALUES ($1, $2, $3, $4) ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value, obtained_at = excluded.obtained_at`,
      [connector, key, s.value, s.at],
    );
  }
}

export async function storedSecrets(client: pg.Client, schema: string, connector: string): Promise<Record<string, StoredSecret>> {
  if (!(await exists(client, schema))) return {};
  const r = await client.query<{ key: string; value: string; at: string }>(`SELECT key, value, obtained_at AS at FROM ${q(schema)}.${q(TABLE)} WHERE connector = $1`, [connector]);
  return Object.fromEntries(r.rows.map((row) => [row.key, { value: row.value, at: Number(row.at) }]));
}
