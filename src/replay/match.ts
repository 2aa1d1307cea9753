/**
 * Which recorded exchange answers a request: same method, URL (query parameters in any
 * order), the headers that matter and the body, minus what the project says to ignore.
 */
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../util/errors.js";
import { jsonErrorLocation } from "../util/json.js";
import type { Exchange } from "./cassette.js";
import type { Redactor } from "./redact.js";

/** What to leave out of matching: volatile query parameters and headers (timestamps, nonces), or the whole body. */
export interface MatchIgnore {
  query?: string[];
  headers?: string[];
  body?: boolean;
}

export const REPLAY_CONFIG = "replay.json";

/** Headers that say how a message travels, not what it asks: never recorded, never matched. */
export const TRANSPORT_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
  "te",
  "upgrade",
  "expect",
  "accept-encoding",
  "user-agent",
  "accept-language",
  "sec-fetch-mode",
  "proxy-connection",
  "x-interceptors-internal-request-id",
]);

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** The project's matching rules: fixtures/replay.json beside the cassettes, if there is one. */
export function readReplayConfig(cassette: string): MatchIgnore {
  const file = path.join(path.dirname(cassette), REPLAY_CONFIG);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${jsonErrorLocation(text, e as Error)})`);
  }
  const ignore = (parsed as { ignore?: unknown } | null)?.ignore ?? {};
  return checkIgnore(ignore, file);
}

export function checkIgnore(value: unknown, where: string): MatchIgnore {
  const bad = (): never => {
    throw new UsageError(`${where}: "ignore" must look like {"query": ["timestamp"], "headers": ["x-request-id"], "body": false}, got ${JSON.stringify(value)}`);
  };
  if (!value || typeof value !== "object" || Array.isArray(value)) bad();
  const v = value as Record<string, unknown>;
  const list = (x: unknown): string[] | undefined => (x === undefined ? undefined : Array.isArray(x) && x.every((s) => typeof s === "string") ? (x as string[]) : bad());
  if (v.body !== undefined && typeof v.body !== "boolean") bad();
  for (const k of Object.keys(v)) if (!["query", "headers", "body"].includes(k)) bad();
  return { query: list(v.query), headers: list(v.headers), body: v.body as boolean | undefined };
}

export function mergeIgnore(a: MatchIgnore, b: MatchIgnore | undefined): MatchIgnore {
  return { query: [...(a.query ?? []), ...(b?.query ?? [])], headers: [...(a.headers ?? []), ...(b?.headers ?? [])], body: Boolean(a.body || b?.body) };
}

/** A request reduced to what matching compares. */
export interface Shape {
  method: string;
  origin: string;
  path: string;
  query: [string, string][];
  headers: Map<string, string>;
  body: string;
  /** The URL as shown in messages. */
  url: string;
}

export type RequestLike = Exchange["request"];

export function shapeOf(raw: RequestLike, ignore: MatchIgnore, redactor: Redactor): Shape {
  // Redacted as it was when written, its own credentials included, so that a replayed request matches its recording.
  const req = redactor.request(raw);
  const url = req.url;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { method: req.method.toUpperCase(), origin: url, path: "", query: [], headers: new Map(), body: "", url };
  }
  // Local test servers listen on a new port every run, so a loopback host matches whatever its port.
  const origin = `${u.protocol}//${LOOPBACK.has(u.hostname) ? "localhost" : u.host}`;
  const skipQuery = new Set((ignore.query ?? []).map((q) => q));
  const query = [...u.searchParams].filter(([k]) => !skipQuery.has(k)).sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  const skipHeaders = new Set((ignore.headers ?? []).map((h) => h.toLowerCase()));
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(req.headers)) {
    const n = name.toLowerCase();
    if (TRANSPORT_HEADERS.has(n) || skipHeaders.has(n)) continue;
    headers.set(n, Array.isArray(value) ? value.join(", ") : value);
  }
  const body = ignore.body ? "" : canonicalBody(req.body);
  return { method: req.method.toUpperCase(), origin, path: u.pathname, query, headers, body, url };
}

function canonicalBody(body: Buffer | undefined): string {
  if (!body || body.length === 0) return "";
  const text = body.toString("utf8");
  try {
    return stableJson(JSON.parse(text));
  } catch {
    return Buffer.from(text, "utf8").equals(body) ? text : `base64:${body.toString("base64")}`;
  }
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

const show = (v: string | undefined): string => (v === undefined ? "(absent)" : JSON.stringify(v.length > 120 ? v.slice(0, 119) + "…" : v));

/** How a request differs from a recorded one, one line per difference; empty when they match. */
export function differences(recorded: Shape, got: Shape): string[] {
  const out: string[] = [];
  if (recorded.method !== got.method) out.push(`method: recorded ${recorded.method}, got ${got.method}`);
  if (recorded.origin !== got.origin) out.push(`host: recorded ${recorded.origin}, got ${got.origin}`);
  if (recorded.path !== got.path) out.push(`path: recorded ${recorded.path}, got ${got.path}`);
  const params = new Set([...recorded.query.map(([k]) => k), ...got.query.map(([k]) => k)]);
  for (const k of [...params].sort()) {
    const a = recorded.query.filter(([x]) => x === k).map(([, v]) => v);
    const b = got.query.filter(([x]) => x === k).map(([, v]) => v);
    if (a.join("\0") !== b.join("\0")) out.push(`query parameter ${k}: recorded ${show(a.length ? a.join(", ") : undefined)}, got ${show(b.length ? b.join(", ") : undefined)}`);
  }
  for (const h of [...new Set([...recorded.headers.keys(), ...got.headers.keys()])].sort()) {
    const a = recorded.headers.get(h);
    const b = got.headers.get(h);
    if (a !== b) out.push(`header ${h}: recorded ${show(a)}, got ${show(b)}`);
  }
  if (recorded.body !== got.body) out.push(`body: recorded ${show(recorded.body || undefined)}, got ${show(got.body || undefined)}`);
  return out;
}

/** A rough distance, so the closest recorded request is one to the same endpoint. */
function distance(recorded: Shape, got: Shape): number {
  let d = 0;
  if (recorded.method !== got.method) d += 100;
  if (recorded.origin !== got.origin) d += 100;
  if (recorded.path !== got.path) d += 50;
  return d + differences(recorded, got).length;
}

/** Serves recorded exchanges in order: each request gets the first unused match, and the last match again once all are used. */
export class Matcher {
  private shapes: Shape[];
  private readonly used: boolean[];

  constructor(
    readonly exchanges: Exchange[],
    private readonly ignore: MatchIgnore,
    private redactor: Redactor,
  ) {
    this.shapes = exchanges.map((x) => shapeOf(x.request, ignore, redactor));
    this.used = exchanges.map(() => false);
  }

  /** Hides these values too, from now on: credentials the connector's HTTP client learned as it ran. */
  learn(values: string[]): void {
    this.redactor = this.redactor.with(values);
    this.shapes = this.exchanges.map((x) => shapeOf(x.request, this.ignore, this.redactor));
  }

  get servedCount(): number {
    return this.used.filter(Boolean).length;
  }

  shape(req: RequestLike): Shape {
    return shapeOf(req, this.ignore, this.redactor);
  }

  /** The index of the exchange that answers, or undefined. */
  find(got: Shape): number | undefined {
    let last: number | undefined;
    for (let i = 0; i < this.shapes.length; i++) {
      if (differences(this.shapes[i]!, got).length) continue;
      if (!this.used[i]) {
        this.used[i] = true;
        return i;
      }
      last = i;
    }
    return last;
  }

  closest(got: Shape): { index: number; differences: string[] } | undefined {
    let best: number | undefined;
    let bestDistance = Infinity;
    for (let i = 0; i < this.shapes.length; i++) {
      const d = distance(this.shapes[i]!, got);
      if (d < bestDistance) {
        best = i;
        bestDistance = d;
      }
    }
    return best === undefined ? undefined : { index: best, differences: differences(this.shapes[best]!, got) };
  }

  recordedShape(i: number): Shape {
    return this.shapes[i]!;
  }
}
