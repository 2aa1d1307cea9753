// npm run bench: every workload through the real `connector debug` and through the raw
// better-sqlite3 loop, in the same run, reported as ratios.
// Options: --scale <f> (multiplies row counts), --runs <n> (median of n), --only W1,W6, --json,
// --startup-runs <n> (W6's runs of each command; default max(10, 4 × runs)),
// --postgres <url> (W9 and W9B on a running server, a superuser's URL with its database, instead of a throwaway one)
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const BIN = path.join(ROOT, "bin", "connector.js");

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const scale = Number(flag("scale", "1"));
const runs = Number(flag("runs", "3"));
const only = flag("only", "W1,W1B,W2,W3,W4,W5,W6,W7,W8,W9,W9B,W10,W11").split(",");
const json = args.includes("--json");
const n = (x) => Math.max(1, Math.round(x * scale));
const TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

function measure(cmd, argv) {
  const started = process.hrtime.bigint();
  const r = TIME
    ? spawnSync(TIME, ["-f", "BENCH %M", cmd, ...argv], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
    : spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed (${r.status}):\n${r.stderr}`);
  const rss = /BENCH (\d+)/.exec(r.stderr ?? "");
  return { seconds, rssMB: rss ? Number(rss[1]) / 1024 : undefined };
}

/** measure(), with the command's stdout going to /dev/null rather than into this process. */
function measureToNull(cmd, argv) {
  const out = fs.openSync("/dev/null", "w");
  try {
    const started = process.hrtime.bigint();
    const r = spawnSync(TIME ?? cmd, TIME ? ["-f", "BENCH %M", cmd, ...argv] : argv, { encoding: "utf8", stdio: ["ignore", out, "pipe"], maxBuffer: 64 * 1024 * 1024 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed (${r.status}):\n${r.stderr}`);
    const rss = /BENCH (\d+)/.exec(r.stderr ?? "");
    return { seconds, rssMB: rss ? Number(rss[1]) / 1024 : undefined };
  } finally {
    fs.closeSync(out);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// One project for the whole run: like a developer's second `connector debug`, it finds
// jiti's transform of connector.mjs in the disk cache.
const PROJECT = fs.mkdtempSync(path.join(os.tmpdir(), "connector-bench-"));
fs.copyFileSync(path.join(HERE, "connector.mjs"), path.join(PROJECT, "connector.mjs"));
fs.copyFileSync(path.join(HERE, "generator.mjs"), path.join(PROJECT, "generator.mjs"));

function project(config) {
  fs.rmSync(path.join(PROJECT, "files"), { recursive: true, force: true });
  fs.writeFileSync(path.join(PROJECT, "configuration.json"), JSON.stringify(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]))));
  return PROJECT;
}
measure("node", [BIN, "debug", project({ rows: 1, every: 1, declared: true }), "--json"]);

/** Runs one workload `runs` times on each side, alternating, and keeps the medians. */
function compare({ rows, every, declared = true, updates = 0, deletes = 0, destination = "sqlite", rawBatch = 1 }, times = runs) {
  const engine = [];
  const raw = [];
  for (let i = 0; i < times; i++) {
    const dir = project({ rows, every, declared, updates, deletes });
    engine.push(measure("node", [BIN, "debug", dir, "--json", "--destination", destination]));
    const rawDir = fs.mkdtempSync(path.join(os.tmpdir(), "connector-raw-"));
    const rawScript = destination === "duckdb" ? "raw-duckdb.mjs" : "raw.mjs";
    raw.push(measure("node", [path.join(HERE, rawScript), rawDir, String(rows), String(every), String(updates), String(deletes), String(rawBatch)]));
    fs.rmSync(path.join(dir, "files"), { recursive: true, force: true });
    fs.rmSync(rawDir, { recursive: true, force: true });
  }
  const e = median(engine.map((m) => m.seconds));
  const r = median(raw.map((m) => m.seconds));
  const ops = rows + updates + deletes;
  return { engineSeconds: e, rawSeconds: r, ratio: r / e, engineOpsPerSec: ops / e, rawOpsPerSec: ops / r, engineRssMB: median(engine.map((m) => m.rssMB ?? 0)) };
}

/** Peak RSS of `connector debug` over a run of checkpoints that each carry a state of `stateKB` kilobytes. */
function checkpointMemory(checkpoints, stateKB) {
  const dir = project({ rows: checkpoints, every: 1, declared: true, stateKB });
  const m = measure("node", [BIN, "debug", dir, "--json"]);
  fs.rmSync(path.join(dir, "files"), { recursive: true, force: true });
  return m;
}

function startup(times = Number(flag("startup-runs", String(Math.max(10, runs * 4))))) {
  const hello = fs.mkdtempSync(path.join(os.tmpdir(), "connector-bench-hello-"));
  fs.cpSync(path.join(ROOT, "examples", "hello"), hello, { recursive: true, filter: (s) => !s.includes(`${path.sep}files`) });
  const time = (argv) => median(Array.from({ length: times }, () => measure("node", argv).seconds));
  measure("node", [BIN, "debug", hello]); // warms jiti's transform cache, as any second run would
  const node = time(["-e", "0"]);
  const debug = time([BIN, "debug", hello]);
  const help = time([BIN, "--help"]);
  fs.rmSync(hello, { recursive: true, force: true });
  return { nodeMs: node * 1000, debugMs: debug * 1000, helpMs: help * 1000, debugRatio: debug / node, helpRatio: help / node };
}

const results = {};
const rowsW = n(1_000_000);
if (only.includes("W1")) results.W1 = compare({ rows: rowsW, every: n(10_000) });
// W1B: W1 against a raw loop that writes 32 upserts per statement, as the engine does: no goal, a fairer ceiling.
if (only.includes("W1B")) results.W1B = compare({ rows: rowsW, every: n(10_000), rawBatch: 32 });
if (only.includes("W2")) results.W2 = compare({ rows: rowsW, every: Math.max(1, Math.round(100 * Math.min(1, scale * 10))) }, Math.min(runs, 1) || 1);
if (only.includes("W3")) results.W3 = compare({ rows: rowsW, every: n(10_000), declared: false });
if (only.includes("W4")) results.W4 = compare({ rows: rowsW, every: n(10_000), updates: n(200_000), deletes: n(100_000) });
if (only.includes("W5")) {
  const big = compare({ rows: n(5_000_000), every: n(5_000_000) * 2 }, 1);
  const one = compare({ rows: rowsW, every: rowsW * 2 }, 1);
  results.W5 = { ...big, rssMB: big.engineRssMB, rss1MMB: one.engineRssMB, rssGrowth: big.engineRssMB / one.engineRssMB };
}
if (only.includes("W6")) results.W6 = startup();
if (only.includes("W8")) results.W8 = compare({ rows: rowsW, every: n(10_000), destination: "duckdb" });
const manyW7 = n(20_000);
const fewW7 = n(1_000);
if (only.includes("W7")) {
  const many = checkpointMemory(manyW7, 50);
  const few = checkpointMemory(fewW7, 50);
  results.W7 = { checkpoints: manyW7, seconds: many.seconds, rssMB: many.rssMB ?? 0, checkpoints1k: fewW7, rss1kMB: few.rssMB ?? 0 };
  results.W7.rssGrowth = results.W7.rssMB / results.W7.rss1kMB;
}

// W9: W1 into PostgreSQL through `connector run`, against bench/raw-pg.mjs. W9B: PostgreSQL with the kinds
// alternating (an update every 11 upserts) against the same upserts alone, both through `connector run`. On a
// throwaway server (test/support/postgres.ts, loaded with jiti) that is removed afterwards.
const rowsW9B = n(100_000);

/** A throwaway server, or (`url`, a superuser's, with its database) a running one: what W9 uses of either, url(database, schema), sql() and stop(). */
async function postgres(url) {
  if (!url) {
    const { createJiti } = await import("jiti");
    const { startPostgres } = await createJiti(import.meta.url).import("../test/support/postgres.ts");
    return startPostgres();
  }
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    // Always the given URL's database: W9 writes its schemas there.
    url: (_database, schema) => {
      const u = new URL(url);
      if (schema) u.searchParams.set("schema", schema);
      return u.toString();
    },
    sql: async (text) => (await client.query(text)).rows,
    stop: () => void client.end(),
  };
}
if (only.includes("W9") || only.includes("W9B")) {
  const server = await postgres(flag("postgres", undefined));
  try {
    const every = n(10_000);
    let k = 0;
    const engineRun = (config) => {
      const dir = project(config);
      return measure("node", [BIN, "run", dir, "--destination", server.url("postgres", `w9_engine_${++k}`), "--json"]);
    };
    if (only.includes("W9")) {
      const engine = [];
      const raw = [];
      for (let i = 0; i < runs; i++) {
        engine.push(engineRun({ rows: rowsW, every, declared: true }));
        raw.push(measure("node", [path.join(HERE, "raw-pg.mjs"), server.url(), `w9_raw_${k}`, String(rowsW), String(every)]));
        await server.sql(`DROP SCHEMA w9_engine_${k} CASCADE; DROP SCHEMA w9_raw_${k} CASCADE`);
      }
      const e = median(engine.map((m) => m.seconds));
      const r = median(raw.map((m) => m.seconds));
      results.W9 = { engineSeconds: e, rawSeconds: r, ratio: r / e, engineOpsPerSec: rowsW / e, rawOpsPerSec: rowsW / r, engineRssMB: median(engine.map((m) => m.rssMB ?? 0)) };
    }
    if (only.includes("W9B")) {
      const mixed = [];
      const upserts = [];
      for (let i = 0; i < runs; i++) {
        mixed.push(engineRun({ rows: rowsW9B, every, declared: true, mix: 11 }));
        await server.sql(`DROP SCHEMA w9_engine_${k} CASCADE`);
        upserts.push(engineRun({ rows: rowsW9B, every, declared: true }));
        await server.sql(`DROP SCHEMA w9_engine_${k} CASCADE`);
      }
      const m = median(mixed.map((x) => x.seconds));
      const u = median(upserts.map((x) => x.seconds));
      const updates = Math.floor(rowsW9B / 11);
      results.W9B = { mixedSeconds: m, upsertSeconds: u, ratio: m / u, mixedOpsPerSec: (rowsW9B + updates) / m, upsertOpsPerSec: rowsW9B / u };
    }
  } finally {
    server.stop();
  }
}

// W11: `connector airbyte read` of W1's rows into /dev/null, against `connector debug` of the same rows, alternating in the
// same run; and the read's peak RSS at five times the rows, for a flat memory (as W5: at a tenth of the rows the heap
// has not reached its working size yet, so that comparison measures V8's sizing, not rows kept).
if (only.includes("W11")) {
  const catalog = path.join(PROJECT, "catalog.json");
  fs.writeFileSync(catalog, JSON.stringify({ streams: [{ stream: { name: "items", json_schema: {}, supported_sync_modes: ["incremental"] }, sync_mode: "incremental", destination_sync_mode: "append_dedup" }] }));
  const read = (rows) => {
    const dir = project({ rows, every: n(10_000), declared: true });
    return measureToNull("node", [BIN, "airbyte", "read", dir, "--config", path.join(dir, "configuration.json"), "--catalog", catalog]);
  };
  const airbyte = [];
  const debug = [];
  for (let i = 0; i < runs; i++) {
    airbyte.push(read(rowsW));
    const dir = project({ rows: rowsW, every: n(10_000), declared: true });
    debug.push(measure("node", [BIN, "debug", dir, "--json"]));
    fs.rmSync(path.join(dir, "files"), { recursive: true, force: true });
  }
  const a = median(airbyte.map((m) => m.seconds));
  const d = median(debug.map((m) => m.seconds));
  const big = read(rowsW * 5);
  const rss = median(airbyte.map((m) => m.rssMB ?? 0));
  results.W11 = { airbyteSeconds: a, debugSeconds: d, ratio: d / a, airbyteOpsPerSec: rowsW / a, debugOpsPerSec: rowsW / d, airbyteRssMB: rss, rss5xMB: big.rssMB ?? 0, rssGrowth: (big.rssMB ?? rss) / rss };
}

// W10: RestClient against a raw fetch loop over the same pages of a local API (bench/http.mjs),
// and the peak RSS of paging 1,000,000 items against 100,000.
if (only.includes("W10")) {
  const { w10, pagingRss } = await import("./http.mjs");
  // Rounds of one client process and one raw process, each paging back to back (bench/http.mjs).
  // A scaled-down run (the suite's) keeps the harness honest with fewer processes: its figures are not read.
  const full = scale >= 1;
  results.W10 = await w10(n(20_000), full ? Math.max(10, runs) : 2);
  // Peak RSS moves by a tenth from one fresh process to the next (V8 sizes its heap to the garbage rate), so each
  // figure is the median of three processes, the sizes and sides interleaved; the raw fetch loop's own growth,
  // measured the same way, is what fetch (undici) and V8's heap sizing give without the client.
  const memory = { client: { small: [], big: [] }, raw: { small: [], big: [] } };
  for (let i = 0; i < (full ? 3 : 1); i++) {
    for (const kind of i % 2 ? ["raw", "client"] : ["client", "raw"]) {
      memory[kind].small.push(await pagingRss(n(100_000), kind));
      memory[kind].big.push(await pagingRss(n(1_000_000), kind));
    }
  }
  const mid = (runs, key) => median(runs.map((r) => r[key]));
  const small = { rssMB: mid(memory.client.small, "rssMB") };
  const big = { rssMB: mid(memory.client.big, "rssMB"), rssHalfMB: mid(memory.client.big, "rssHalfMB"), seconds: mid(memory.client.big, "seconds") };
  const rawSmall = { rssMB: mid(memory.raw.small, "rssMB") };
  const rawBig = { rssMB: mid(memory.raw.big, "rssMB"), rssHalfMB: mid(memory.raw.big, "rssHalfMB") };
  results.W10M = {
    processes: memory.client.small.length,
    rss100kMB: small.rssMB,
    rss1MMB: big.rssMB,
    rssGrowth: big.rssMB / small.rssMB,
    seconds1M: big.seconds,
    rawRss100kMB: rawSmall.rssMB,
    rawRss1MMB: rawBig.rssMB,
    rawGrowth: rawBig.rssMB / rawSmall.rssMB,
    // The peak after the first 500,000 items of the same runs: the second half's growth, once V8 has sized its heap.
    rss500kMB: big.rssHalfMB,
    secondHalfGrowth: big.rssMB / big.rssHalfMB,
    rawRss500kMB: rawBig.rssHalfMB,
    rawSecondHalfGrowth: rawBig.rssMB / rawBig.rssHalfMB,
  };
}

const goals = {
  W10: (r) => r.ratio >= 0.95,
  W10M: (r) => r.rssGrowth <= 1.2,
  W1: (r) => r.ratio >= 0.9,
  W2: (r) => r.ratio >= 0.75,
  W3: (r) => r.ratio >= 0.75,
  W4: (r) => r.ratio >= 0.8,
  W8: (r) => r.ratio >= 0.7,
  W5: (r) => r.rssMB <= 250 && r.rssGrowth <= 1.3,
  W7: (r) => r.rssMB < 300 && r.rssGrowth <= 1.3,
  W9: (r) => r.ratio >= 0.7,
  W9B: (r) => r.ratio <= 2.0,
  W11: (r) => r.ratio >= 1.0 && r.rssGrowth <= 1.3,
};

const fmt = (x, d = 2) => x.toFixed(d);
const k = (x) => Math.round(x).toLocaleString("en-US");
const lines = [];
const desc = {
  W1: `${k(rowsW)} rows, 5 declared columns, checkpoint every ${k(n(10_000))}`,
  W2: `W1 with a checkpoint every ${k(Math.max(1, Math.round(100 * Math.min(1, scale * 10))))} rows`,
  W3: "W1 with no schema(): every column inferred",
  W4: `W1, then ${k(n(200_000))} partial updates and ${k(n(100_000))} deletes`,
  W1B: "W1 against a raw loop that also writes 32 rows per statement",
  W8: "W1 into DuckDB (--destination duckdb), against a raw @duckdb/node-api appender loop",
  W9: "W1 into PostgreSQL (connector run) against a raw pg loop",
};
lines.push(["Workload", "What", "Engine", "Raw", "Engine ÷ raw", "Goal", "Met"]);
for (const id of ["W1", "W1B", "W2", "W3", "W4", "W8", "W9"]) {
  const r = results[id];
  if (!r) continue;
  const goal = { W1: "≥ 0.90", W1B: "none", W2: "≥ 0.75", W3: "≥ 0.75", W4: "≥ 0.80", W8: "≥ 0.70", W9: "≥ 0.70" }[id];
  lines.push([id, desc[id], `${fmt(r.engineSeconds)} s (${k(r.engineOpsPerSec)} ops/s)`, `${fmt(r.rawSeconds)} s (${k(r.rawOpsPerSec)} ops/s)`, fmt(r.ratio), goal, goals[id] ? (goals[id](r) ? "yes" : "no") : "-"]);
}
if (results.W9B) {
  const r = results.W9B;
  const what = `PostgreSQL (connector run): ${k(rowsW9B)} upserts with an update every 11, against the upserts alone`;
  lines.push(["W9B", what, `mixed: ${fmt(r.mixedSeconds)} s (${k(r.mixedOpsPerSec)} ops/s)`, `upserts only: ${fmt(r.upsertSeconds)} s (${k(r.upsertOpsPerSec)} ops/s)`, `${fmt(r.ratio)} (mixed ÷ upserts)`, "≤ 2.00", goals.W9B(r) ? "yes" : "no"]);
}
if (results.W11) {
  const r = results.W11;
  const what = `connector airbyte read of W1's ${k(rowsW)} rows into /dev/null, against connector debug of the same rows`;
  lines.push(["W11", what, `${fmt(r.airbyteSeconds)} s (${k(r.airbyteOpsPerSec)} ops/s), peak RSS ${fmt(r.airbyteRssMB, 0)} MB`, `debug: ${fmt(r.debugSeconds)} s (${k(r.debugOpsPerSec)} ops/s)`, `${fmt(r.ratio)} (debug ÷ airbyte); RSS at ${k(rowsW * 5)} rows ${fmt(r.rss5xMB, 0)} MB, ${fmt(r.rssGrowth)} ×`, "≥ 1.00, RSS ≤ 1.3 ×", goals.W11(r) ? "yes" : "no"]);
}
if (results.W5) {
  const r = results.W5;
  lines.push(["W5", `${k(n(5_000_000))} rows, no checkpoint until the end`, `peak RSS ${fmt(r.rssMB, 0)} MB`, `${k(rowsW)} rows: ${fmt(r.rss1MMB, 0)} MB`, `${fmt(r.rssGrowth)} ×`, "≤ 250 MB, ≤ 1.3 ×", goals.W5(r) ? "yes" : "no"]);
}
if (results.W6) {
  const r = results.W6;
  lines.push(["W6", "connector debug on examples/hello (median)", `${fmt(r.debugMs, 0)} ms`, `node -e 0: ${fmt(r.nodeMs, 0)} ms`, `${fmt(r.debugRatio, 1)} ×`, "≤ 6 ×, < 300 ms", r.debugRatio <= 6 && r.debugMs < 300 ? "yes" : "no"]);
  lines.push(["W6", "connector --help (median)", `${fmt(r.helpMs, 0)} ms`, `node -e 0: ${fmt(r.nodeMs, 0)} ms`, `${fmt(r.helpRatio, 1)} ×`, "≤ 2.5 ×", r.helpRatio <= 2.5 ? "yes" : "no"]);
}

if (results.W7) {
  const r = results.W7;
  lines.push(["W7", `${k(r.checkpoints)} checkpoints, each with a 50 KB state`, `peak RSS ${fmt(r.rssMB, 0)} MB (${fmt(r.seconds, 1)} s)`, `${k(r.checkpoints1k)} checkpoints: ${fmt(r.rss1kMB, 0)} MB`, `${fmt(r.rssGrowth)} ×`, "< 300 MB, ≤ 1.3 ×", goals.W7(r) ? "yes" : "no"]);
}

if (results.W10) {
  const r = results.W10;
  lines.push(["W10", `RestClient.paginate over ${k(r.items)} items, 100 a page, against a raw fetch loop; ${r.runs} processes each`, `${fmt(r.engineSeconds)} s (${k(r.engineOpsPerSec)} items/s)`, `${fmt(r.rawSeconds)} s (${k(r.rawOpsPerSec)} items/s)`, fmt(r.ratio), "≥ 0.95", goals.W10(r) ? "yes" : "no"]);
  lines.push(["W10", `the same in CPU time of the paging processes; rounds' ratios ${fmt(r.ratioSpread[1])} to ${fmt(r.ratioSpread[2])} (quartiles)`, `${fmt(r.engineCpuSeconds)} s CPU`, `${fmt(r.rawCpuSeconds)} s CPU`, fmt(r.cpuRatio), "—", "—"]);
  const m = results.W10M;
  lines.push(["W10", `RestClient paging ${k(n(1_000_000))} items (${fmt(m.seconds1M, 1)} s); median of ${m.processes} process${m.processes === 1 ? "" : "es"} a figure`, `peak RSS ${fmt(m.rss1MMB, 0)} MB`, `${k(n(100_000))} items: ${fmt(m.rss100kMB, 0)} MB`, `${fmt(m.rssGrowth)} ×`, "≤ 1.2 ×", goals.W10M(m) ? "yes" : "no"]);
  lines.push(["W10", `raw fetch loop paging ${k(n(1_000_000))} items, for comparison`, `peak RSS ${fmt(m.rawRss1MMB, 0)} MB`, `${k(n(100_000))} items: ${fmt(m.rawRss100kMB, 0)} MB`, `${fmt(m.rawGrowth)} ×`, "—", "—"]);
  lines.push(["W10", `the second half of the ${k(n(1_000_000))} items: RestClient, then the raw loop`, `${fmt(m.rss1MMB, 0)} / ${fmt(m.rawRss1MMB, 0)} MB`, `after ${k(n(500_000))}: ${fmt(m.rss500kMB, 0)} / ${fmt(m.rawRss500kMB, 0)} MB`, `${fmt(m.secondHalfGrowth)} / ${fmt(m.rawSecondHalfGrowth)} ×`, "—", "—"]);
}

fs.rmSync(PROJECT, { recursive: true, force: true });
const machine = { date: new Date().toISOString().slice(0, 10), cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, scale, runs };
if (json) {
  process.stdout.write(JSON.stringify({ machine, results }, null, 2) + "\n");
} else {
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const row = (l) => "| " + l.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  process.stdout.write(`connector-sdk benchmarks, ${machine.date}: ${machine.cpus} cores (${machine.cpu}), ${machine.memoryGB} GB, Node ${machine.node}, scale ${scale}, median of ${runs}\n\n`);
  process.stdout.write([row(lines[0]), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...lines.slice(1).map(row)].join("\n") + "\n");
}
