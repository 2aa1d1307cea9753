import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

// A stand-in for a real REST API, serving fixtures/users.json on 127.0.0.1:
//   GET /users?updated_since=<iso>&after_id=<n>&limit=<n>[&cursor=<token>]
// returns { data: [...], next_cursor } ordered by (updated_at, id): the records after the given
// (updated_at, id) pair, or after the position an earlier page's next_cursor names. next_cursor
// is null on the last page: the keyset pagination many APIs offer.

interface User {
  id: number;
  updated_at: string;
}

export interface FixtureServer {
  url: string;
  /** Each request's path and query, in order. */
  requests: string[];
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** Answer the first request with this status (503, 429…) and `Retry-After: 0`, as a busy API would. */
  failFirst?: number;
}

const encode = (u: User): string => Buffer.from(JSON.stringify([u.updated_at, u.id])).toString("base64url");
const decode = (cursor: string): [string, number] => JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [string, number];

export async function startFixtureServer(file = new URL("./fixtures/users.json", import.meta.url), options: FixtureOptions = {}): Promise<FixtureServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? "/");
    const url = new URL(req.url ?? "/", "http://localhost");
    if (options.failFirst && requests.length === 1) {
      res.writeHead(options.failFirst, { "retry-after": "0", "content-type": "application/json" }).end(JSON.stringify({ error: "try again" }));
      return;
    }
    if (url.pathname !== "/users") {
      res.writeHead(404).end();
      return;
    }
    const cursor = url.searchParams.get("cursor");
    const [sinceText, afterId] = cursor ? decode(cursor) : [url.searchParams.get("updated_since") ?? "1970-01-01T00:00:00Z", Number(url.searchParams.get("after_id") ?? 0)];
    const since = Date.parse(sinceText);
    const limit = Number(url.searchParams.get("limit") ?? 100);
    const users = (JSON.parse(readFileSync(file, "utf8")) as User[])
      .filter((u) => Date.parse(u.updated_at) > since || (Date.parse(u.updated_at) === since && u.id > afterId))
      .sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id - b.id);
    const data = users.slice(0, limit);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ data, next_cursor: users.length > limit ? encode(data.at(-1)!) : null }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
