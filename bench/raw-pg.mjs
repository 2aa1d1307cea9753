// The ceiling for W9: the W1 rows written into PostgreSQL by a hand-written pg loop with no
// SDK, with the same batching as the destination (COPY of 4,096-row chunks into a temporary
// table, merged with INSERT … ON CONFLICT), the same commit points, and the state written
// in the same transaction as each checkpoint's rows.
// Usage: node raw-pg.mjs <url> <schema> <rows> <every>
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { row } from "./generator.mjs";

const [url, schema, rowsArg, everyArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const every = Number(everyArg);
const CHUNK = 4096;

const client = new pg.Client({ connectionString: url });
await client.connect();
const s = `"${schema}"`;
await client.query(`CREATE SCHEMA ${s}`);
await client.query(`CREATE TABLE ${s}.items (id bigint NOT NULL, name text, score double precision, created_at timestamptz, payload jsonb,
  _fivetran_synced timestamptz NOT NULL, _fivetran_deleted boolean NOT NULL DEFAULT false, PRIMARY KEY (id))`);
await client.query(`CREATE TABLE ${s}.state (connector text PRIMARY KEY, state json, seq bigint)`);
await client.query(`CREATE TABLE ${s}.checkpoints (connector text, seq bigint, state json, PRIMARY KEY (connector, seq))`);
await client.query(`INSERT INTO ${s}.state VALUES ('raw', NULL, 0)`);
await client.query("CREATE TEMP TABLE stage (id bigint, name text, score double precision, created_at timestamptz, payload jsonb, _fivetran_synced timestamptz)");
// The table has Fivetran's columns only, as the destination's tables that were never truncated.
const merge = `INSERT INTO ${s}.items (id, name, score, created_at, payload, _fivetran_synced, _fivetran_deleted)
  SELECT id, name, score, created_at, payload, _fivetran_synced, false FROM stage
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, score = EXCLUDED.score, created_at = EXCLUDED.created_at, payload = EXCLUDED.payload,
  _fivetran_synced = EXCLUDED._fivetran_synced, _fivetran_deleted = false`;

const escape = (v) => (/[\\\n\r\t]/.test(v) ? v.replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t")) : v);
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

let lines = [];
async function send() {
  if (lines.length === 0) return;
  const text = lines.join("\n") + "\n";
  lines = [];
  const stream = client.query(copyFrom("COPY stage FROM STDIN"));
  await new Promise((resolve, reject) => {
    stream.on("error", reject);
    stream.on("finish", resolve);
    stream.end(Buffer.from(text));
  });
  await client.query(merge);
  await client.query("TRUNCATE stage");
}

let seq = 0;
async function checkpoint(state) {
  await send();
  const json = JSON.stringify(state);
  seq++;
  await client.query(`INSERT INTO ${s}.checkpoints VALUES ('raw', $1, $2)`, [seq, json]);
  await client.query(`UPDATE ${s}.state SET state = $1, seq = $2 WHERE connector = 'raw'`, [json, seq]);
  await client.query("COMMIT");
  await client.query("BEGIN");
}

await client.query("BEGIN");
for (let i = 0; i < rows; i++) {
  const r = row(i);
  lines.push(`${r.id}\t${escape(r.name)}\t${r.score}\t${r.created_at}\t${escape(JSON.stringify(r.payload))}\t${now()}`);
  if (lines.length >= CHUNK) await send();
  if ((i + 1) % every === 0) await checkpoint({ rows: i + 1 });
}
await checkpoint({ rows });
await client.query("COMMIT");
await client.end();
