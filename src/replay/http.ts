/**
 * Records or replays every HTTP exchange of the thread it runs in: global fetch (undici)
 * and node:http / node:https, through @mswjs/interceptors. Install it in the thread where
 * the connector runs, around the run; stop() restores the real network.
 */
import zlib from "node:zlib";
import { ClientRequestInterceptor } from "@mswjs/interceptors/ClientRequest";
import { FetchInterceptor } from "@mswjs/interceptors/fetch";
import { SyncFailedError } from "../util/errors.js";
import { activeSync } from "../sdk/active-sync.js";
import { httpRuntime } from "../sdk/http-hooks.js";
import { timing, type Exchange, type Headers } from "./cassette.js";
import { Matcher, TRANSPORT_HEADERS, type MatchIgnore, type Shape } from "./match.js";
import { Redactor } from "./redact.js";
import { refuseSockets } from "./offline.js";

/** A request the cassette has no answer for. It fails the sync, even if the connector catches it. */
export class UnmatchedRequestError extends SyncFailedError {
  override name = "UnmatchedRequestError";
}

/** A connection beside HTTP, which a replay refuses. */
export class OfflineConnectionError extends UnmatchedRequestError {
  override name = "OfflineConnectionError";
}

export type HttpOptions =
  | {
      mode: "record";
      secrets: string[];
      /** Requests that match one of these are answered from it and not recorded again (for the incremental re-run). */
      serve?: Exchange[];
      run?: Exchange["run"];
    }
  | {
      mode: "replay";
      exchanges: Exchange[];
      /** How messages name the cassette, e.g. fixtures/default. */
      label: string;
      /** The cassette's name for the re-record hint, e.g. `connector debug --record nightly`. */
      name: string;
      ignore: MatchIgnore;
      secrets: string[];
    };

export interface HttpSession {
  /** Restores the network (once; a second call gets the same answer); for a recording, resolves to the exchanges in the order they were requested, not yet redacted. */
  stop(): Promise<Exchange[]>;
  /** Replay: how many recorded exchanges were served at least once. */
  readonly served: number;
  /** Replay: the requests that had no recorded answer. */
  readonly unmatched: UnmatchedRequestError[];
  /** The credentials connector-sdk/http registered while the session ran (an api-key value under any name, tokens), to hide in the cassette. */
  readonly secrets: string[];
}

/** Response headers that describe one transfer, not the response: they would be wrong when replayed. */
const TRANSFER_HEADERS = new Set([...TRANSPORT_HEADERS, "date", "content-encoding"]);

const headersOf = (h: globalThis.Headers, drop: Set<string>): Headers => {
  const out: Headers = {};
  for (const [k, v] of h) {
    if (drop.has(k) || k === "set-cookie") continue;
    out[k] = v;
  }
  const cookies = h.getSetCookie();
  if (cookies.length && !drop.has("set-cookie")) out["set-cookie"] = cookies.length === 1 ? cookies[0]! : cookies;
  return out;
};

async function bodyOf(m: Request | Response): Promise<Buffer | undefined> {
  if (m.body === null) return undefined;
  const bytes = Buffer.from(await m.arrayBuffer());
  return bytes.length ? bytes : undefined;
}

/** node:http hands the connector the bytes as sent; the cassette keeps them decoded, so they read as text and replay through fetch too. */
function decode(bytes: Buffer | undefined, encoding: string | null): { bytes: Buffer | undefined; decoded: boolean } {
  if (!bytes || !encoding) return { bytes, decoded: true };
  try {
    const e = encoding.trim().toLowerCase();
    if (e === "gzip" || e === "x-gzip") return { bytes: zlib.gunzipSync(bytes), decoded: true };
    if (e === "deflate") return { bytes: zlib.inflateSync(bytes), decoded: true };
    if (e === "br") return { bytes: zlib.brotliDecompressSync(bytes), decoded: true };
    if (e === "identity") return { bytes, decoded: true };
  } catch {
    // Not what it claims to be: keep the bytes and the header as they came.
  }
  return { bytes, decoded: false };
}

function toResponse(x: Exchange["response"], method: string): Response {
  const headers = new globalThis.Headers();
  for (const [k, v] of Object.entries(x.headers)) for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  const noBody = method === "HEAD" || [101, 204, 205, 304].includes(x.status);
  return new Response(noBody ? null : (x.body ?? null), { status: x.status, statusText: x.statusText, headers });
}

function describeRequest(s: Shape): string {
  return `${s.method} ${s.url}`;
}

function unmatchedMessage(got: Shape, matcher: Matcher, label: string, name: string): string {
  const rerecord = `connector debug --record${name === "default" ? "" : " " + name}`;
  const lines = [`No recorded response for ${describeRequest(got)} in the cassette ${label}.`];
  const near = matcher.closest(got);
  if (!near) {
    lines.push(`The cassette holds no requests at all. Record it again with \`${rerecord}\`.`);
    return lines.join("\n");
  }
  lines.push(`The closest recorded request, #${near.index + 1} of ${matcher.exchanges.length}, is ${describeRequest(matcher.recordedShape(near.index))}; it differs in:`);
  for (const d of near.differences) lines.push(`  ${d}`);
  const query = near.differences.filter((d) => d.startsWith("query parameter ")).map((d) => d.slice(16, d.indexOf(":")));
  const headers = near.differences.filter((d) => d.startsWith("header ")).map((d) => d.slice(7, d.indexOf(":")));
  const body = near.differences.some((d) => d.startsWith("body:"));
  const structural = near.differences.some((d) => /^(method|host|path):/.test(d));
  let hint = `If the connector now asks for something else, record the cassette again with \`${rerecord}\`.`;
  if (!structural && (query.length || headers.length || body)) {
    const ignore = { ...(query.length ? { query } : {}), ...(headers.length ? { headers } : {}), ...(body ? { body: true } : {}) };
    hint += ` If these values change on every run (a timestamp, a nonce), let matching ignore them in ${label.replace(/[^/\\]+$/, "")}replay.json: ${JSON.stringify({ ignore })}`;
  }
  lines.push(hint);
  return lines.join("\n");
}

export function offlineMessage(target: string, via: string, label: string): string {
  return (
    `Replay is offline, so the connection to ${target} (${via}) was refused: the cassette ${label} holds HTTP exchanges only (fetch, node:http, node:https), ` +
    `and cannot answer a database driver, gRPC, http2 or another socket. A connector that talks to such a server beside HTTP cannot be replayed; test it with \`connector debug\` against the server.`
  );
}

/** A shorter credential is hidden only where its name shows it is one: everywhere, it could be data (as secretValues). */
const MIN_LEARNED = 6;

/** Starts recording or replaying in this thread. Only one session may run at a time. */
export function installHttp(o: HttpOptions): HttpSession {
  const redactor = new Redactor(o.secrets);
  const fetchInterceptor = new FetchInterceptor();
  const httpInterceptor = new ClientRequestInterceptor();
  const exchanges: (Exchange | undefined)[] = [];
  const byId = new Map<string, number>();
  const startedAt = new Map<string, number>();
  const pending: Promise<unknown>[] = [];
  const unmatched: UnmatchedRequestError[] = [];
  const matcher = o.mode === "replay" ? new Matcher(o.exchanges, o.ignore, redactor) : o.serve?.length ? new Matcher(o.serve, {}, redactor) : undefined;

  const listen = (interceptor: FetchInterceptor | ClientRequestInterceptor, viaFetch: boolean): void => {
    interceptor.on("request", async ({ request, requestId, controller }) => {
      const started = performance.now();
      const afterCheckpoints = activeSync()?.checkpoints?.();
      const raw = {
        method: request.method,
        url: request.url,
        headers: headersOf(request.headers, TRANSPORT_HEADERS),
        body: await bodyOf(request.clone()).catch(() => undefined),
      };
      const hit = matcher ? matcher.find(matcher.shape(raw)) : undefined;
      if (hit !== undefined) {
        const x = (o.mode === "replay" ? o.exchanges : o.serve!)[hit]!;
        controller.respondWith(toResponse(x.response, request.method));
        return;
      }
      if (o.mode === "replay") {
        const error = new UnmatchedRequestError(unmatchedMessage(matcher!.shape(raw), matcher!, o.label, o.name));
        unmatched.push(error);
        // Fail the sync even if the connector catches the network error and carries on.
        activeSync()?.fail(error);
        controller.errorWith(error);
        return;
      }
      byId.set(requestId, exchanges.length);
      startedAt.set(requestId, started);
      exchanges.push({ run: o.run ?? "sync", ...(afterCheckpoints === undefined ? {} : { afterCheckpoints }), request: raw, response: { status: 0, headers: {} } });
    });
    if (o.mode === "record") {
      interceptor.on("response", ({ response, isMockedResponse, requestId }) => {
        const at = byId.get(requestId);
        if (isMockedResponse || at === undefined) return;
        const durationMs = Math.round(performance.now() - (startedAt.get(requestId) ?? performance.now()));
        let copy: Response;
        try {
          copy = response.clone();
        } catch {
          return;
        }
        pending.push(
          bodyOf(copy).then(
            (body) => {
              // fetch has already decoded the body; node:http has not.
              const { bytes, decoded } = viaFetch ? { bytes: body, decoded: true } : decode(body, response.headers.get("content-encoding"));
              const drop = decoded ? TRANSFER_HEADERS : new Set([...TRANSFER_HEADERS].filter((h) => h !== "content-encoding"));
              const x = exchanges[at]!;
              x.response = { status: response.status, statusText: response.statusText || undefined, headers: headersOf(response.headers, drop), body: bytes };
              x.durationMs = durationMs;
            },
            () => {
              // The connector gave up on the body half-way: there is nothing whole to replay.
              exchanges[at] = undefined;
            },
          ),
        );
      });
    }
  };
  // connector-sdk/http registers each credential it uses (configured under any name, or obtained): the cassette hides those
  // too, and a replay hides them in the requests it matches, as the recording did.
  const runtime = httpRuntime();
  const tell = runtime.secret;
  const learned = new Set<string>();
  runtime.secret = (value) => {
    tell(value);
    if (value.length < MIN_LEARNED || learned.has(value)) return;
    learned.add(value);
    matcher?.learn([value]);
  };
  listen(fetchInterceptor, true);
  listen(httpInterceptor, false);
  fetchInterceptor.apply();
  httpInterceptor.apply();
  // connector-sdk/http then counts its back-off and rate-limit waits without sleeping them, and keeps no rotated refresh
  // token it is given. So does a recording's incremental re-run, served the recorded answers: their refresh tokens are
  // stale by then, and kept as the newest they would lock the next run out (its token requests are always served).
  httpRuntime().replay = o.mode === "replay" || (o.serve?.length ?? 0) > 0;
  const restoreSockets =
    o.mode === "replay"
      ? refuseSockets((target, via) => {
          const error = new OfflineConnectionError(offlineMessage(target, via, o.label));
          unmatched.push(error);
          const sync = activeSync();
          // Outside a sync (the connector's top-level code, as it loads), the call itself throws: no sync would fail for it.
          if (!sync) throw error;
          sync.fail(error);
          return error;
        })
      : () => {};

  let stopped: Promise<Exchange[]> | undefined;
  return {
    get served() {
      return o.mode === "replay" ? matcher!.servedCount : 0;
    },
    unmatched,
    get secrets() {
      return [...learned];
    },
    stop() {
      stopped ??= (async () => {
        await Promise.allSettled(pending);
        if (runtime.secret !== tell) runtime.secret = tell;
        fetchInterceptor.dispose();
        httpInterceptor.dispose();
        httpRuntime().replay = false;
        restoreSockets();
        // A request that never got a response (a network error) has nothing to replay.
        return exchanges.filter((x): x is Exchange => x !== undefined && x.response.status > 0);
      })();
      return stopped;
    },
  };
}

/** The exchanges as they will be written: credentials and secret configuration values replaced by [REDACTED]. `secrets` should include the responses' credentials (responseCredentials). */
export function redactExchanges(exchanges: Exchange[], secrets: string[]): Exchange[] {
  const r = new Redactor(secrets);
  return exchanges.map((x) => ({ run: x.run, ...timing(x), request: r.request(x.request), response: r.response(x.response) }));
}
