// W10: RestClient (connector-sdk/http) against a raw fetch loop making the same requests, over
// a local API in another process; and the peak RSS of paging 1,000,000 items against 100,000, for
// the client and for the raw loop (whose own growth is fetch's and V8's, not the client's).
// Standalone: node bench/http.mjs [--items 20000] [--runs 3] [--memory]
import { fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SIZE = 100;

async function startServer(total) {
  const child = fork(path.join(HERE, "http-server.mjs"), [String(total), String(SIZE)], { stdio: "ignore" });
  const { port } = await new Promise((resolve) => child.once("message", resolve));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** One side's pass over every page, in this process: seconds and items seen. */
export async function pass(kind, url) {
  const { RestClient } = await import(path.join(HERE, "..", "dist", "http.js"));
  const started = process.hrtime.bigint();
  let items = 0;
  if (kind === "client") {
    const api = new RestClient({ baseUrl: url });
    for await (const page of api.paginate("/items", { items: "data", paginator: { type: "page", totalPagesPath: "pages" } })) items += page.items.length;
  } else {
    for (let page = 1; ; page++) {
      // A timeout as the client has one: a cleared timer (AbortSignal.timeout() would keep each request's state for 30 s).
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), 30_000);
      const res = await fetch(`${url}/items?page=${page}`, { headers: { accept: "application/json" }, signal: abort.signal });
      if (!res.ok) throw new Error(`raw loop: ${res.status}`);
      const body = await res.json();
      clearTimeout(timer);
      items += body.data.length;
      if (body.data.length === 0 || page >= body.pages) break;
    }
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, items };
}

/** W10: both sides, alternating, `runs` times each; medians. */
export async function w10(total = 20_000, runs = 3) {
  const server = await startServer(total);
  try {
    await pass("client", server.url);
    await pass("raw", server.url);
    const client = [];
    const raw = [];
    for (let i = 0; i < runs; i++) {
      const c = await pass("client", server.url);
      const r = await pass("raw", server.url);
      if (c.items !== total || r.items !== total) throw new Error(`W10 saw ${c.items} and ${r.items} items of ${total}`);
      client.push(c.seconds);
      raw.push(r.seconds);
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const e = median(client);
    const r = median(raw);
    return { items: total, engineSeconds: e, rawSeconds: r, ratio: r / e, engineOpsPerSec: total / e, rawOpsPerSec: total / r };
  } finally {
    server.stop();
  }
}

/** Peak RSS (MB) of a fresh process that pages through `total` items with RestClient (or, with kind "raw", the raw fetch loop). */
export async function pagingRss(total, kind = "client") {
  const server = await startServer(total);
  try {
    const child = fork(fileURLToPath(import.meta.url), ["--child", server.url, String(total), kind], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
    const result = await new Promise((resolve, reject) => {
      child.once("message", resolve);
      child.once("exit", (code) => code !== 0 && reject(new Error(`paging child exited ${code}`)));
    });
    return result;
  } finally {
    server.stop();
  }
}

const argv = process.argv.slice(2);
if (argv[0] === "--child") {
  const [url, total, kind] = [argv[1], Number(argv[2]), argv[3] ?? "client"];
  const r = await pass(kind, url);
  if (r.items !== total) throw new Error(`saw ${r.items} of ${total}`);
  process.send({ seconds: r.seconds, rssMB: process.resourceUsage().maxRSS / 1024 }, () => process.exit(0));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name, d) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : d);
  const r = await w10(Number(flag("items", "20000")), Number(flag("runs", "3")));
  console.log(JSON.stringify({ W10: r }));
  if (argv.includes("--memory")) {
    for (const kind of ["client", "raw"]) {
      const small = await pagingRss(100_000, kind);
      const big = await pagingRss(1_000_000, kind);
      console.log(JSON.stringify({ W10M: { kind, rss100kMB: small.rssMB, rss1MMB: big.rssMB, growth: big.rssMB / small.rssMB, seconds1M: big.seconds } }));
    }
  }
}
