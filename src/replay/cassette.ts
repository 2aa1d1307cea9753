/**
 * The cassette: the HTTP exchanges of a recorded sync, as fixtures/<name>/cassette.json.
 * Pretty-printed with sorted keys so that a re-recording shows up as a readable diff;
 * versioned so that a later connector-sdk can still read it. docs/testing.md documents it.
 */
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../util/errors.js";
import { jsonErrorLocation } from "../util/json.js";

export const CASSETTE_VERSION = 1;
export const CASSETTE_FILE = "cassette.json";
export const DEFAULT_CASSETTE = "default";
/** Bodies above this size go to a file of their own under bodies/, so cassette.json stays reviewable. */
export const INLINE_BODY_BYTES = 256 * 1024;

/** A body as stored: JSON that round-trips exactly, text, base64 for binary, or a file beside the cassette. */
export type StoredBody = { json: unknown } | { text: string } | { base64: string } | { file: string };

export type Headers = Record<string, string | string[]>;

export interface Interaction {
  /** Which run made the request: the recorded sync, or the incremental re-run from its final state. */
  run: "sync" | "incremental";
  /** How many checkpoints the run had emitted when the request was made (absent in cassettes recorded before it was kept). Never matched. */
  afterCheckpoints?: number;
  /** From the request to the response's headers, in ms (absent in older cassettes). Never matched. */
  durationMs?: number;
  request: { method: string; url: string; headers: Headers; body?: StoredBody };
  response: { status: number; statusText?: string; headers: Headers; body?: StoredBody };
}

export interface CassetteFile {
  version: number;
  recordedWith: string;
  recordedAt: string;
  interactions: Interaction[];
}

/** An exchange in memory, bodies as bytes. */
export interface Exchange {
  run: Interaction["run"];
  afterCheckpoints?: number;
  durationMs?: number;
  request: { method: string; url: string; headers: Headers; body?: Buffer };
  response: { status: number; statusText?: string; headers: Headers; body?: Buffer };
}

const NAME = /^[A-Za-z0-9][\w.-]*$/;

/** fixtures/<name> in the project; the name is a folder name, never a path. */
export function cassetteDir(projectDir: string, name: string | true | undefined): string {
  const n = typeof name === "string" ? name : DEFAULT_CASSETTE;
  if (!NAME.test(n) || n.includes("..")) {
    throw new UsageError(`"${n}" is not a cassette name: use letters, digits, ".", "_" and "-" (the cassette is stored in fixtures/<name>/).`);
  }
  return path.join(projectDir, "fixtures", n);
}

/** The cassettes a project has: the folders of fixtures/ that hold a cassette.json. */
export function listCassettes(projectDir: string): string[] {
  const root = path.join(projectDir, "fixtures");
  try {
    return fs
      .readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && NAME.test(d.name) && fs.existsSync(path.join(root, d.name, CASSETTE_FILE)))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

const TEXT_TYPE = /^text\/|json|xml|javascript|x-www-form-urlencoded|csv|yaml|graphql/i;

function headerValue(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

/** Text when the bytes are UTF-8 and the content type is textual (or absent); JSON when it round-trips byte for byte. */
function storeBody(bytes: Buffer | undefined, headers: Headers, sidecar: () => string, files: Map<string, Buffer>): StoredBody | undefined {
  if (!bytes) return undefined;
  if (bytes.length > INLINE_BODY_BYTES) {
    const file = sidecar();
    files.set(file, bytes);
    return { file };
  }
  const type = headerValue(headers, "content-type");
  if (type === undefined || TEXT_TYPE.test(type)) {
    let text: string | undefined;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      try {
        const json: unknown = JSON.parse(text);
        if (JSON.stringify(json) === text) return { json };
      } catch {
        // Not JSON: kept as text.
      }
      return { text };
    }
  }
  return { base64: bytes.toString("base64") };
}

function loadBody(body: StoredBody | undefined, dir: string, where: string): Buffer | undefined {
  if (!body) return undefined;
  if ("json" in body) return Buffer.from(JSON.stringify(body.json));
  if ("text" in body && typeof body.text === "string") return Buffer.from(body.text);
  if ("base64" in body && typeof body.base64 === "string") return Buffer.from(body.base64, "base64");
  if ("file" in body && typeof body.file === "string") {
    const file = path.resolve(dir, body.file);
    if (!file.startsWith(dir + path.sep)) throw new UsageError(`${where}: the body file ${body.file} is outside the cassette folder ${dir}`);
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new UsageError(`${where}: cannot read the body file ${file}: ${(e as Error).message}`);
    }
  }
  throw new UsageError(`${where}: a body must be one of {"json"}, {"text"}, {"base64"} or {"file"}`);
}

/** Headers with sorted names, so the file diffs well. Bodies keep their key order: it is data. */
function sortedHeaders(h: Headers): Headers {
  return Object.fromEntries(Object.keys(h).sort().map((k) => [k, h[k]!]));
}

/** Writes cassette.json (and bodies/ for large bodies) into a fresh folder; the caller swaps it into place. */
export function writeCassette(dir: string, exchanges: Exchange[], recordedWith: string): void {
  const files = new Map<string, Buffer>();
  const interactions: Interaction[] = exchanges.map((x, i) => {
    const n = String(i + 1).padStart(4, "0");
    return {
      run: x.run,
      ...timing(x),
      request: {
        method: x.request.method,
        url: x.request.url,
        headers: sortedHeaders(x.request.headers),
        body: storeBody(x.request.body, x.request.headers, () => `bodies/${n}-request.bin`, files),
      },
      response: {
        status: x.response.status,
        ...(x.response.statusText ? { statusText: x.response.statusText } : {}),
        headers: sortedHeaders(x.response.headers),
        body: storeBody(x.response.body, x.response.headers, () => `bodies/${n}-response.bin`, files),
      },
    };
  });
  const cassette: CassetteFile = { version: CASSETTE_VERSION, recordedWith, recordedAt: new Date().toISOString(), interactions };
  fs.mkdirSync(dir, { recursive: true });
  const text = JSON.stringify(cassette, null, 2);
  fs.writeFileSync(path.join(dir, CASSETTE_FILE), text + "\n");
  for (const [file, bytes] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), bytes);
  }
}

/** Reads a cassette folder; anything unreadable is a UsageError that names the file. */
export function readCassette(dir: string): Exchange[] {
  const file = path.join(dir, CASSETTE_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new UsageError(`No cassette at ${file}. Record one with \`connector debug --record${path.basename(dir) === DEFAULT_CASSETTE ? "" : " " + path.basename(dir)}\`.`);
    }
    throw new UsageError(`Cannot read the cassette ${file}: ${(e as Error).message}`);
  }
  let parsed: CassetteFile;
  try {
    parsed = JSON.parse(text) as CassetteFile;
  } catch (e) {
    throw new UsageError(`The cassette ${file} is not valid JSON (${jsonErrorLocation(text, e as Error)}). Record it again with \`connector debug --record\`.`);
  }
  if (!parsed || typeof parsed !== "object" || typeof parsed.version !== "number" || !Array.isArray(parsed.interactions)) {
    throw new UsageError(`The cassette ${file} is not a connector-sdk cassette (it needs "version" and "interactions").`);
  }
  if (parsed.version > CASSETTE_VERSION) {
    throw new UsageError(`The cassette ${file} has format version ${parsed.version}, newer than this connector-sdk reads (${CASSETTE_VERSION}). Upgrade connector-sdk.`);
  }
  return parsed.interactions.map((x, i) => {
    const where = `${file}, interaction ${i + 1}`;
    if (!x?.request || !x.response || typeof x.request.method !== "string" || typeof x.request.url !== "string" || typeof x.response.status !== "number") {
      throw new UsageError(`${where}: needs request.method, request.url and response.status`);
    }
    return {
      run: x.run === "incremental" ? "incremental" : "sync",
      ...timing(x),
      request: { method: x.request.method, url: x.request.url, headers: x.request.headers ?? {}, body: loadBody(x.request.body, dir, where) },
      response: { status: x.response.status, statusText: x.response.statusText, headers: x.response.headers ?? {}, body: loadBody(x.response.body, dir, where) },
    };
  });
}

/** The optional place and timing of an exchange, kept only when they are whole numbers. */
export function timing(x: { afterCheckpoints?: unknown; durationMs?: unknown }): Pick<Exchange, "afterCheckpoints" | "durationMs"> {
  const ok = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 0;
  return { ...(ok(x.afterCheckpoints) ? { afterCheckpoints: x.afterCheckpoints } : {}), ...(ok(x.durationMs) ? { durationMs: x.durationMs } : {}) };
}

/** Replaces a folder by another in two renames, so a reader never sees half of each. */
export function swapInto(fresh: string, target: string): void {
  const old = `${target}.old-${process.pid}`;
  fs.rmSync(old, { recursive: true, force: true });
  const existed = fs.existsSync(target);
  if (existed) fs.renameSync(target, old);
  fs.renameSync(fresh, target);
  if (existed) fs.rmSync(old, { recursive: true, force: true });
}
