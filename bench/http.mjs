// W10: RestClient (connector-sdk/http) against a raw fetch loop making the same requests, over
// a local API in another process; and the peak RSS of paging 1,000,000 items against 100,000, for
// the client and for the raw loop (whose own growth is fetch's and V8's, not the client's).
// Standalone: node bench/http.mjs [--items 20000] [--runs 10] [--memory] [--same-process]
import { fork } from "node:child_process";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A full GC between passes, so that neither side pays for the garbage the other left. */
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
const SIZE = 100;

async function startServer(total) {
  const child = fork(path.join(HERE, "http-server.mjs"), [String(total), String(SIZE)], { stdio: "ignore" });
  const { port } = await new Promise((resolve) => child.once("message", resolve));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** One side's pass over every page, in this process: seconds (wall), CPU seconds of this process (user + sys), and items seen; `onPage(n)` after the nth page, if given; a full GC first unless `collect` is false. */
export async function pass(kind, url, onPage, collect = true) {
  const { RestClient } = await import(process.env.W10_DIST ?? path.join(HERE, "..", "dist", "http.js"));
  if (collect) gc();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let items = 0;
  if (kind === "client") {
    const api = new RestClient({ baseUrl: url });
    let n = 0;
    for await (const page of api.paginate("/items", { items: "data", paginator: { type: "page", totalPagesPath: "pages" } })) {
      items += page.items.length;
      onPage?.(++n);
    }
  } else {
    // The same requests as the client's (the same URLs, an Accept header, a timeout), each body read
    // as text and parsed (res.json()), and the same stop rule: what the client must do, no more.
    for (let page = 1; ; page++) {
      // A timeout as a fetch loop has one: a signal and a cleared timer (AbortSignal.timeout() would keep each request's
      // state for 30 s). The client passes fetch no signal but a dispatcher of its own (src/http/deadline.ts): cheaper, not less.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), 30_000);
      const res = await fetch(`${url}/items?page=${page}`, { headers: { accept: "application/json" }, signal: abort.signal });
      if (!res.ok) throw new Error(`raw loop: ${res.status}`);
      const body = await res.json();
      clearTimeout(timer);
      items += body.data.length;
      onPage?.(page);
      if (body.data.length === 0 || page >= body.pages) break;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const c = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (c.user + c.system) / 1e6, items };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quartiles = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
  return [at(0), at(0.25), at(0.75), at(1)];
};

/**
 * W10: each side in processes of its own, as a connector runs the client alone, against one server: `rounds`
 * rounds of one client process and one raw process, the order swapped every round. Each process makes five
 * warm-up passes, then `passes` passes back to back with no forced GC, so that the GC work a side causes is
 * paid within its own passes, as a long paging run pays it. `ratio` is raw ÷ client of the medians of every
 * pass (seconds); `ratioSpread` the quartiles of the rounds' own ratios (medians of a process each), and
 * `cpuRatio` the same figure in CPU time of the paging processes (the server's is not in it).
 */
export async function w10(total = 20_000, rounds = 10, passes = 6) {
  const server = await startServer(total);
  try {
    const client = [];
    const raw = [];
    const rounds_ = [];
    for (let i = 0; i < rounds; i++) {
      const got = {};
      for (const kind of i % 2 ? ["raw", "client"] : ["client", "raw"]) got[kind] = await speedChild(kind, server.url, total, passes);
      for (const p of [...got.client, ...got.raw]) if (p.items !== total) throw new Error(`W10 saw ${p.items} items of ${total}`);
      client.push(...got.client);
      raw.push(...got.raw);
      rounds_.push({ wall: median(got.raw.map((p) => p.seconds)) / median(got.client.map((p) => p.seconds)), cpu: median(got.raw.map((p) => p.cpuSeconds)) / median(got.client.map((p) => p.cpuSeconds)) });
    }
    const e = median(client.map((c) => c.seconds));
    const r = median(raw.map((c) => c.seconds));
    const ec = median(client.map((c) => c.cpuSeconds));
    const rc = median(raw.map((c) => c.cpuSeconds));
    return {
      items: total,
      runs: rounds,
      passesPerProcess: passes,
      engineSeconds: e,
      rawSeconds: r,
      ratio: r / e,
      engineOpsPerSec: total / e,
      rawOpsPerSec: total / r,
      // min, lower quartile, upper quartile, max of the rounds' ratios
      ratioSpread: quartiles(rounds_.map((x) => x.wall)),
      pairRatioMedian: median(rounds_.map((x) => x.wall)),
      engineCpuSeconds: ec,
      rawCpuSeconds: rc,
      cpuRatio: rc / ec,
      cpuRatioSpread: quartiles(rounds_.map((x) => x.cpu)),
    };
  } finally {
    server.stop();
  }
}

/** This script in a process of its own with `args`, and the one message it sends back. */
function inChild(args) {
  const child = fork(fileURLToPath(import.meta.url), args, { stdio: ["ignore", "pipe", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => code !== 0 && reject(new Error(`bench/http.mjs ${args[0]} ${args[1]} exited ${code}`)));
  });
}

/** One process of one side: five warm-up passes, then `passes` measured ones, back to back. */
const speedChild = (kind, url, total, passes) => inChild(["--speed", kind, url, String(total), String(passes)]);

/**
 * W10 as it was measured until 2026-12-07 (`--same-process`), kept to reproduce docs/performance.md: both sides
 * in this process, a full GC before every pass, `runs` pairs with the order swapped every pair. Two things in it
 * are not a sync's: the forced GC leaves V8's sweeping to run inside the next pass (a third more CPU a pass), and
 * each side's JIT feedback and garbage land on the other.
 */
export async function w10SameProcess(total = 20_000, runs = 9) {
  const server = await startServer(total);
  try {
    for (let i = 0; i < 5; i++) {
      await pass("client", server.url);
      await pass("raw", server.url);
    }
    const client = [];
    const raw = [];
    for (let i = 0; i < runs; i++) {
      const order = i % 2 ? ["raw", "client"] : ["client", "raw"];
      const got = {};
      for (const kind of order) got[kind] = await pass(kind, server.url);
      if (got.client.items !== total || got.raw.items !== total) throw new Error(`W10 saw ${got.client.items} and ${got.raw.items} items of ${total}`);
      client.push(got.client);
      raw.push(got.raw);
    }
    const e = median(client.map((c) => c.seconds));
    const r = median(raw.map((c) => c.seconds));
    const pairs = client.map((c, i) => raw[i].seconds / c.seconds);
    const cpuPairs = client.map((c, i) => raw[i].cpuSeconds / c.cpuSeconds);
    const ec = median(client.map((c) => c.cpuSeconds));
    const rc = median(raw.map((c) => c.cpuSeconds));
    return {
      items: total,
      runs,
      engineSeconds: e,
      rawSeconds: r,
      ratio: r / e,
      engineOpsPerSec: total / e,
      rawOpsPerSec: total / r,
      // min, lower quartile, upper quartile, max of the pairs' ratios
      ratioSpread: quartiles(pairs),
      pairRatioMedian: median(pairs),
      engineCpuSeconds: ec,
      rawCpuSeconds: rc,
      cpuRatio: rc / ec,
      cpuRatioSpread: quartiles(cpuPairs),
    };
  } finally {
    server.stop();
  }
}

/**
 * The client's own cost per request, without the network: the global fetch replaced, for the length of
 * this call, by one that answers the same pages from memory (a new Response each time), and both sides
 * run against it, alternating, in CPU time of this process. No server and no sockets, so no scheduling
 * noise from them: what is left is what the client does per request beyond fetch + res.json().
 */
export async function w10Overhead(total = 20_000, runs = 15) {
  const pages = Math.ceil(total / SIZE);
  const real = globalThis.fetch;
  globalThis.fetch = memoryFetch(total);
  try {
    const url = "http://127.0.0.1:9";
    for (let i = 0; i < 3; i++) {
      await pass("client", url);
      await pass("raw", url);
    }
    const client = [];
    const raw = [];
    for (let i = 0; i < runs; i++) {
      for (const kind of i % 2 ? ["raw", "client"] : ["client", "raw"]) (kind === "client" ? client : raw).push((await pass(kind, url)).cpuSeconds);
    }
    const c = median(client);
    const r = median(raw);
    return { requests: pages, clientCpuMs: c * 1000, rawCpuMs: r * 1000, extraUsPerRequest: ((c - r) * 1e6) / pages };
  } finally {
    globalThis.fetch = real;
  }
}

/** A fetch that answers W10's pages from memory (a new Response each time), as the server would. */
function memoryFetch(total) {
  const pages = Math.ceil(total / SIZE);
  const bodies = [];
  for (let p = 1; p <= pages; p++) {
    const data = [];
    for (let id = (p - 1) * SIZE + 1; id <= Math.min(total, p * SIZE); id++) data.push({ id, name: `user ${id}`, email: `user${id}@example.com`, score: id % 997, updated_at: new Date(1_700_000_000_000 + id * 1000).toISOString() });
    bodies.push(new TextEncoder().encode(JSON.stringify({ data, pages })));
  }
  return async (input) => {
    const page = Number(new URL(String(input)).searchParams.get("page"));
    return new Response(bodies[page - 1], { status: 200, headers: { "content-type": "application/json" } });
  };
}

/** Peak RSS (MB) of a fresh process that pages through `total` items with RestClient (or, with kind "raw", the raw fetch loop). */
export async function pagingRss(total, kind = "client") {
  const server = await startServer(total);
  try {
    return await inChild(["--child", server.url, String(total), kind]);
  } finally {
    server.stop();
  }
}

const argv = process.argv.slice(2);
if (argv[0] === "--passes") {
  // n passes of one side over W10's 20,000 items, and nothing else: to count instructions on a busy machine,
  // where times say little (see docs/performance.md, W10):
  // valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null node bench/http.mjs --passes client 4
  // and the same with 10: the difference over 6 is one pass (the server's process is not counted).
  // With --in-memory, fetch answers from memory as in W10O (no sockets, no server): the client's own work per request,
  // and counts that move less from run to run than those with sockets.
  const [kind, n] = [argv[1], Number(argv[2])];
  if (argv.includes("--in-memory")) {
    globalThis.fetch = memoryFetch(20_000);
    for (let i = 0; i < n; i++) await pass(kind, "http://127.0.0.1:9");
  } else {
    const server = await startServer(20_000);
    for (let i = 0; i < n; i++) await pass(kind, server.url);
    server.stop();
  }
} else if (argv[0] === "--speed") {
  const [kind, url, total, passes] = [argv[1], argv[2], Number(argv[3]), Number(argv[4])];
  for (let i = 0; i < 5; i++) await pass(kind, url, undefined, false);
  const out = [];
  for (let i = 0; i < passes; i++) out.push(await pass(kind, url, undefined, false));
  if (out.some((p) => p.items !== total)) throw new Error(`W10 ${kind} saw fewer than ${total} items`);
  process.send(out, () => process.exit(0));
} else if (argv[0] === "--child") {
  const [url, total, kind] = [argv[1], Number(argv[2]), argv[3] ?? "client"];
  // The peak RSS after half the pages too: whether the second half still grows, once V8 has sized its heap.
  const half = Math.ceil(total / SIZE / 2);
  let rssHalfMB = 0;
  const r = await pass(kind, url, (n) => n === half && (rssHalfMB = process.resourceUsage().maxRSS / 1024));
  if (r.items !== total) throw new Error(`saw ${r.items} of ${total}`);
  process.send({ seconds: r.seconds, rssMB: process.resourceUsage().maxRSS / 1024, rssHalfMB }, () => process.exit(0));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name, d) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : d);
  const r = argv.includes("--same-process") ? await w10SameProcess(Number(flag("items", "20000")), Number(flag("runs", "9"))) : await w10(Number(flag("items", "20000")), Number(flag("runs", "10")));
  console.log(JSON.stringify({ W10: r }));
  console.log(JSON.stringify({ W10O: await w10Overhead(Number(flag("items", "20000")), Number(flag("runs", "9")) + 6) }));
  if (argv.includes("--memory")) {
    for (const kind of ["client", "raw"]) {
      const small = await pagingRss(100_000, kind);
      const big = await pagingRss(1_000_000, kind);
      console.log(JSON.stringify({ W10M: { kind, rss100kMB: small.rssMB, rss500kMB: big.rssHalfMB, rss1MMB: big.rssMB, growth: big.rssMB / small.rssMB, secondHalfGrowth: big.rssMB / big.rssHalfMB, seconds1M: big.seconds } }));
    }
  }
}
