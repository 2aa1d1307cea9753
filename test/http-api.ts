import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";

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

/** A random token of a kind ("rt", "at"), unique to a test, so that a leak of it is found in any output. */
export const newToken = (kind: string): string => `${kind}-${randomBytes(12).toString("hex")}`;

/**
 * An OAuth2 API (issue 22) whose token endpoint rotates the refresh token on every call and refuses
 * an old one (and a wrong client secret, s3cret-client); /items?page=n serves three pages of three
 * rows behind the current access token. `issued` lists every token it gave; set `state.hold` to
 * hold the answer to page 1. The caller closes `api`.
 */
export async function rotatingOAuthApi(firstRefresh: string) {
  const issued: string[] = [firstRefresh];
  const state = { refresh: firstRefresh, access: "", refused: 0, hold: undefined as Promise<void> | undefined };
  const source = rows(9);
  const api = await scriptedApi((r: Seen) => {
    if (r.path === "/token") {
      const form = new URLSearchParams(r.body);
      if (form.get("grant_type") !== "refresh_token" || form.get("refresh_token") !== state.refresh || form.get("client_secret") !== "s3cret-client") {
        state.refused++;
        return { status: 400, body: { error: "invalid_grant" } };
      }
      state.refresh = newToken("rt");
      state.access = newToken("at");
      issued.push(state.refresh, state.access);
      return { body: { access_token: state.access, refresh_token: state.refresh, expires_in: 3600, token_type: "bearer" } };
    }
    if (r.headers.authorization !== `Bearer ${state.access}`) return { status: 401, body: { error: "invalid_token" } };
    const page = Number(r.query.page);
    const reply = { body: { data: source.slice((page - 1) * 3, page * 3), pages: 3 } };
    return page === 1 && state.hold ? { ...reply, hold: state.hold } : reply;
  });
  return { api, issued, state };
}

/** The servers a test file starts, each closed after the test that started it. */
export interface ClosedAfterEach {
  /** Starts a scripted API that is closed after this test. */
  start(script: (req: Seen) => Reply | Promise<Reply>): Promise<ScriptedApi>;
  /** Closes these (any server with close()) after this test. */
  push(...servers: { close(): Promise<void> }[]): void;
}

/** For a test file: every API started or pushed here is closed after each test, pass or fail. */
export function closedAfterEach(): ClosedAfterEach {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const a of open.splice(0)) await a.close();
  });
  return {
    start: async (script) => {
      const a = await scriptedApi(script);
      open.push(a);
      return a;
    },
    push: (...servers) => void open.push(...servers),
  };
}
