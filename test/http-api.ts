import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as a scripted API saw it. */
export interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** 1 for the first request the server saw. */
  n: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Held until this resolves (a test that kills the client mid-request). */
  hold?: Promise<void>;
  /** Drops the connection instead of answering: a network error for the client. */
  drop?: boolean;
}

export interface ScriptedApi {
  url: string;
  log: Seen[];
  close(): Promise<void>;
}

/** A local API on 127.0.0.1 that answers each request as the script says, and logs them all. */
export async function scriptedApi(script: (req: Seen) => Reply | Promise<Reply>): Promise<ScriptedApi> {
  const log: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const seen: Seen = { method: req.method ?? "GET", path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body, at: Date.now(), n: log.length + 1 };
      log.push(seen);
      const reply = await script(seen);
      if (reply.hold) await reply.hold;
      if (reply.drop) {
        req.socket.destroy();
        return;
      }
      const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? {});
      res.on("error", () => {});
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
      res.end(text);
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Items 1…n as rows, `size` to a page. */
export function rows(n: number): { id: number; name: string }[] {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `item ${i + 1}` }));
}
