import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

// A stand-in for a real REST API, serving fixtures/users.json on 127.0.0.1:
//   GET /users?updated_since=<iso>&after_id=<n>&limit=<n>
// returns { data: [...], has_more } ordered by (updated_at, id), the records after the
// given (updated_at, id) pair: the keyset pagination many APIs offer.

interface User {
  id: number;
  updated_at: string;
}

export interface FixtureServer {
  url: string;
  close(): Promise<void>;
}

export async function startFixtureServer(file = new URL("./fixtures/users.json", import.meta.url)): Promise<FixtureServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/users") {
      res.writeHead(404).end();
      return;
    }
    const since = Date.parse(url.searchParams.get("updated_since") ?? "1970-01-01T00:00:00Z");
    const afterId = Number(url.searchParams.get("after_id") ?? 0);
    const limit = Number(url.searchParams.get("limit") ?? 100);
    const users = (JSON.parse(readFileSync(file, "utf8")) as User[])
      .filter((u) => Date.parse(u.updated_at) > since || (Date.parse(u.updated_at) === since && u.id > afterId))
      .sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id - b.id);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ data: users.slice(0, limit), has_more: users.length > limit }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
