// Which way of sending a batch of upserts to PostgreSQL is fastest? The W1 rows, committed
// every `every` rows, sent in batches of `batch` rows by three strategies:
//   values: INSERT … VALUES (…), (…) … ON CONFLICT (id) DO UPDATE (one parameter per value);
//   unnest: INSERT … SELECT * FROM unnest($1::bigint[], $2::text[], …) ON CONFLICT … (one array per column);
//   copy:   COPY into a temporary table (text format), then INSERT … SELECT … ON CONFLICT.
// Usage: node bench/pg-strategies.mjs [--rows N] [--batch B] [--every E] [--runs R]
// It starts a throwaway server (test/support/postgres.ts) and removes it afterwards.
import { createJiti } from "jiti";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { row } from "./generator.mjs";

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return Number(i >= 0 ? args[i + 1] : fallback);
};
const ROWS = flag("rows", 200_000);
const BATCH = flag("batch", 2_000);
const EVERY = flag("every", 10_000);
const RUNS = flag("runs", 3);

const jiti = createJiti(import.meta.url);
const { startPostgres } = await jiti.import("../test/support/postgres.ts");
const server = await startPostgres();

const COLS = ["id", "name", "score", "created_at", "payload", "_fivetran_synced", "_fivetran_deleted", "_connector_generation"];
const TYPES = ["bigint", "text", "double precision", "timestamptz", "jsonb", "timestamptz", "boolean", "bigint"];
const SET = COLS.filter((c) => c !== "id").map((c) => `"${c}" = excluded."${c}"`).join(", ");
const CONFLICT = `ON CONFLICT ("id") DO UPDATE SET ${SET}`;

function values(i, synced) {
  const r = row(i);
  return [r.id, r.name, r.score, r.created_at, JSON.stringify(r.payload), synced, false, 1];
}

const copyText = (v) =>
  v === null ? "\\N" : typeof v === "string" ? v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t") : String(v);

const strategies = {
  async values(client, rows) {
    const params = [];
    const tuples = rows.map((r) => `(${r.map((v) => (params.push(v), `$${params.length}`)).join(", ")})`);
    await client.query(`INSERT INTO items (${COLS.map((c) => `"${c}"`).join(", ")}) VALUES ${tuples.join(", ")} ${CONFLICT}`, params);
  },
  async unnest(client, rows) {
    const arrays = COLS.map((_, j) => rows.map((r) => r[j]));
    const casts = TYPES.map((t, j) => `$${j + 1}::${t}[]`).join(", ");
    await client.query(`INSERT INTO items (${COLS.map((c) => `"${c}"`).join(", ")}) SELECT * FROM unnest(${casts}) ${CONFLICT}`, arrays);
  },
  async copy(client, rows) {
    const text = rows.map((r) => r.map(copyText).join("\t")).join("\n") + "\n";
    await pipeline(Readable.from([Buffer.from(text)]), client.query(copyFrom("COPY stage FROM STDIN")));
    await client.query(`INSERT INTO items SELECT * FROM stage ${CONFLICT}`);
    await client.query("TRUNCATE stage");
  },
};

async function once(name) {
  const client = new pg.Client({ connectionString: server.url() });
  await client.connect();
  await client.query("DROP TABLE IF EXISTS items");
  await client.query(`CREATE TABLE items (${COLS.map((c, j) => `"${c}" ${TYPES[j]}${c === "id" ? " PRIMARY KEY" : ""}`).join(", ")})`);
  await client.query("CREATE TEMP TABLE IF NOT EXISTS stage (LIKE items)");
  const started = process.hrtime.bigint();
  const synced = new Date().toISOString();
  await client.query("BEGIN");
  let batch = [];
  for (let i = 0; i < ROWS; i++) {
    batch.push(values(i, synced));
    const commit = (i + 1) % EVERY === 0;
    if (batch.length === BATCH || commit || i === ROWS - 1) {
      await strategies[name](client, batch);
      batch = [];
    }
    if (commit) {
      await client.query("COMMIT");
      await client.query("BEGIN");
    }
  }
  await client.query("COMMIT");
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [{ n }] = (await client.query("SELECT count(*)::int AS n FROM items")).rows;
  if (n !== ROWS) throw new Error(`${name}: ${n} rows, expected ${ROWS}`);
  await client.end();
  return seconds;
}

try {
  const out = {};
  for (const name of Object.keys(strategies)) await once(name); // warm-up
  for (const name of Object.keys(strategies)) out[name] = [];
  for (let r = 0; r < RUNS; r++) for (const name of Object.keys(strategies)) out[name].push(await once(name));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${ROWS.toLocaleString("en-US")} upserts, batches of ${BATCH}, a commit every ${EVERY}, median of ${RUNS}:`);
  for (const [name, xs] of Object.entries(out)) {
    const s = median(xs);
    console.log(`  ${name.padEnd(7)} ${s.toFixed(2)} s  ${Math.round(ROWS / s).toLocaleString("en-US")} rows/s`);
  }
} finally {
  server.stop();
}
