// The local API of W10, in its own process: GET /items?page=N (from 1) returns { data, pages },
// `size` items a page, `total` items in all, generated as they are asked for. Up to 1,000 pages
// (W10's speed run has 200) are kept once made, so that the server's own time per request is small and
// the same for both sides, and the ratio shows the client's cost rather than the server's; the
// memory runs' 10,000 pages are made each time (the server's memory is not measured).
import http from "node:http";

const [total, size] = process.argv.slice(2).map(Number);
const pages = Math.ceil(total / size);
const made = new Map();
const server = http.createServer((req, res) => {
  const page = Number(new URL(req.url, "http://x").searchParams.get("page") ?? 1);
  res.writeHead(200, { "content-type": "application/json" });
  res.end(made.get(page) ?? make(page));
});

function make(page) {
  const data = [];
  for (let id = (page - 1) * size + 1; id <= Math.min(total, page * size); id++) {
    data.push({ id, name: `user ${id}`, email: `user${id}@example.com`, score: id % 997, updated_at: new Date(1_700_000_000_000 + id * 1000).toISOString() });
  }
  const body = JSON.stringify({ data, pages });
  if (pages <= 1000) made.set(page, body);
  return body;
}
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
process.on("disconnect", () => process.exit(0));
