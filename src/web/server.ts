/**
 * The web view's server: node:http, bound to 127.0.0.1 unless told otherwise. A request needs
 * the session cookie, which the printed URL's token buys once; a Host header other than the
 * bound address is refused (DNS rebinding). Every response passes the secret redactor.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import os from "node:os";
import { CSS, JS } from "./assets.js";
import { checkpointPage, runsPage, timeline } from "./checkpoint-pages.js";
import { BadRequest, NotFound } from "./errors.js";
import { esc, html, page, type Html } from "./html.js";
import { httpPage, learnCassetteSecrets } from "./http-page.js";
import { Live } from "./live.js";
import { overview, tablePage } from "./pages.js";
import type { ProjectSource } from "./source.js";

export interface UiServerOptions {
  host: string;
  port: number;
}

export interface UiServer {
  /** The URL to open, token included. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

/** Host headers that name this server: the bound address, and localhost for a loopback one, at the bound port. */
function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set<string>([host]);
  if (host === "127.0.0.1" || host === "::1" || host === "localhost") for (const n of ["localhost", "127.0.0.1", "::1"]) names.add(n);
  if (host === "0.0.0.0" || host === "::") {
    names.add("localhost").add(os.hostname());
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(a.address);
  }
  return new Set([...names].map((n) => (n.includes(":") ? `[${n}]:${port}` : `${n}:${port}`)));
}

const same = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function cookie(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? "").split(";")) {
    const i = pair.indexOf("=");
    if (i > 0 && pair.slice(0, i).trim() === name) return pair.slice(i + 1).trim();
  }
  return undefined;
}

/** A route's parameter; a malformed %-escape is the request's fault, not the server's. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest(`The address holds a malformed %-escape: ${segment}`);
  }
}

export async function startServer(source: ProjectSource, options: UiServerOptions): Promise<UiServer> {
  const token = randomBytes(24).toString("base64url");
  learnCassetteSecrets(source);
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  const hosts = allowedHosts(options.host, port);
  const cookieName = `connector_ui_${port}`;
  const live = new Live(source);
  const connector = source.project.dir.split(/[\\/]/).pop() ?? "connector";

  const send = (res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void => {
    const text = type.startsWith("text/html") ? source.redactor.text(body) : body;
    res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(text), ...extra });
    res.end(text);
  };
  const frame = (section: string, title: string, body: Html, live = false): string => page({ title, section, connector, body, live });
  const problem = (res: http.ServerResponse, status: number, title: string, text: string): void =>
    send(res, status, "text/html; charset=utf-8", frame("", title, html`<h1>${title}</h1><p class="notice error" role="alert">${text}</p><p><a href="/">Overview</a></p>`));

  server.on("request", (req, res) => {
    void (async () => {
      if (!hosts.has(String(req.headers.host ?? "").toLowerCase())) {
        res.writeHead(403, { "Content-Type": "text/plain; charset=utf-8" }).end(`Forbidden: the Host header ${esc(req.headers.host ?? "(none)")} is not this server's address.\n`);
        return;
      }
      // Before the token is looked at: a POST carrying it must not buy a cookie either.
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { ...SECURITY_HEADERS, Allow: "GET, HEAD" }).end();
        return;
      }
      const url = new URL(req.url ?? "/", "http://local");
      const given = url.searchParams.get("token");
      if (given !== null && same(given, token)) {
        url.searchParams.delete("token");
        res.writeHead(303, { ...SECURITY_HEADERS, "Set-Cookie": `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`, Location: url.pathname + url.search }).end();
        return;
      }
      const held = cookie(req.headers.cookie, cookieName);
      if (held === undefined || !same(held, token)) {
        problem(res, 401, "Not signed in", "Open the URL that `connector ui` printed: it carries the token that lets this browser in.");
        return;
      }
      const p = url.pathname;
      const q = url.searchParams;
      try {
        if (p === "/assets/app.css") return send(res, 200, "text/css; charset=utf-8", CSS);
        if (p === "/assets/app.js") return send(res, 200, "text/javascript; charset=utf-8", JS);
        if (p === "/events") return live.subscribe(req, res, SECURITY_HEADERS);
        if (p === "/") return send(res, 200, "text/html; charset=utf-8", frame("/", "Overview", await overview(source), true));
        if (p === "/checkpoints") return send(res, 200, "text/html; charset=utf-8", frame("/checkpoints", "Checkpoints", await timeline(source, q), true));
        if (p === "/runs") return send(res, 200, "text/html; charset=utf-8", frame("/runs", "Runs", await runsPage(source), true));
        if (p === "/http") return send(res, 200, "text/html; charset=utf-8", frame("/http", "HTTP", httpPage(source)));
        const table = /^\/tables\/([^/]+)$/.exec(p);
        if (table) {
          const name = decodeSegment(table[1]!);
          return send(res, 200, "text/html; charset=utf-8", frame("/", name, await tablePage(source, name, q)));
        }
        const cp = /^\/checkpoints\/([^/]+)$/.exec(p);
        if (cp) {
          const seq = decodeSegment(cp[1]!);
          return send(res, 200, "text/html; charset=utf-8", frame("/checkpoints", `Checkpoint ${seq}`, await checkpointPage(source, seq)));
        }
        problem(res, 404, "Not found", `There is no page ${p}.`);
      } catch (e) {
        if (e instanceof NotFound) problem(res, 404, "Not found", e.message);
        else if (e instanceof BadRequest) problem(res, 400, "Bad request", e.message);
        else problem(res, 500, "Cannot show this page", e instanceof Error ? e.message : String(e));
      }
    })();
  });

  const shown = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${shown}:${port}/?token=${token}`,
    port,
    close: async () => {
      live.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
