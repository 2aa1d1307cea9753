/**
 * Masking text: a redactor replaces every known secret with `***` in any text or JSON value
 * before it is printed, in every form it can take there (escaped, encoded, cut, split over
 * lines). The UI layer applies it at the output boundary, so a new message is covered without
 * anyone remembering to. secrets.ts finds what it hides.
 */
import { isPlainObject } from "./describe.js";
import { longEnough, MIN_SECRET_LENGTH } from "./secrets.js";

export const MASK = "***";

const TRUNCATION = /…|\.\.\./g;
/** At least this much of a secret, cut by a truncation mark (… or ...), is hidden too. */
const MIN_FRAGMENT = 3;

/** The escapes util.inspect (console.log of an object) writes for control characters. */
const INSPECT_ESCAPES: Record<string, string> = { "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r" };

/**
 * A string as util.inspect writes it between the given quotes, without them: backslashes,
 * that quote and control characters escaped. It quotes with ', or " or ` when the text holds
 * a ', so all three forms can appear, inside a longer string too.
 */
function inspectForm(secret: string, quote: string): string {
  return secret.replace(/[\u0000-\u001f\u007f-\u009f\\'"`]/g, (c) => {
    if (c === "\\" || c === quote) return "\\" + c;
    if ("'\"`".includes(c)) return c;
    return INSPECT_ESCAPES[c] ?? "\\x" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");
  });
}

/** How a secret can appear in text: as is, JSON-escaped (once or twice), as util.inspect quotes it, URL-encoded, and line by line when it spans lines. */
function variants(secret: string): string[] {
  const out = new Set([secret]);
  let escaped = secret;
  for (let i = 0; i < 2; i++) {
    escaped = JSON.stringify(escaped).slice(1, -1);
    out.add(escaped);
  }
  // util.inspect of the secret, and of JSON text that holds it (console.log({ body: JSON.stringify(configuration) })).
  const once = JSON.stringify(secret).slice(1, -1);
  for (const quote of ["'", '"', "`"]) for (const form of [secret, once]) out.add(inspectForm(form, quote));
  out.add(encodeURIComponent(secret));
  // A query string built with URLSearchParams or url.searchParams (as connector-sdk/http does) writes a space as + and escapes !'()~ too.
  out.add(new URLSearchParams({ s: secret }).toString().slice(2));
  if (secret.includes("\n")) for (const line of secret.split(/\r?\n/)) if (line.trim().length >= MIN_SECRET_LENGTH) out.add(line.trim());
  for (const f of unicodeEscapes(secret)) out.add(f);
  return [...out];
}

/** Encoders that escape beyond what JSON needs: Go (< > &), Python's ensure_ascii and others (non-ASCII), PHP (/), and every character, in either case of hex digit. */
function unicodeEscapes(secret: string): string[] {
  const u = (c: string): string => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
  const json = JSON.stringify(secret).slice(1, -1);
  const some = [/[<>&]/g, /[\u007f-\uffff]/g, /[<>&'=\u007f-\uffff]/g].map((chars) => json.replace(chars, u));
  const all = [...secret].map((c) => (c.length === 1 ? u(c) : u(c[0]!) + u(c[1]!))).join("");
  const forms = [...some, ...some.map((f) => f.replace(/\//g, "\\/")), all];
  return forms.flatMap((f) => [f, f.replace(/\\u([0-9a-f]{4})/g, (_m, h: string) => "\\u" + h.toUpperCase())]);
}

/** Hex shorter than this (a secret under 8 bytes) is not looked for: digits alone would match ordinary numbers. */
const MIN_HEX = 16;

/** A secret's bytes in hex, as Buffer.toString("hex") and util.inspect of a Buffer (`<Buffer 74 6f …>`) show them. */
export function hexForms(secret: string): string[] {
  const hex = Buffer.from(secret).toString("hex");
  if (hex.length < MIN_HEX) return [];
  const spaced = hex.match(/../g)!.join(" ");
  return [hex, hex.toUpperCase(), spaced, spaced.toUpperCase()];
}

/** Base64 text shorter than this is not looked for: it would match ordinary words. */
const MIN_BASE64 = 8;

/**
 * A secret base64-encoded (and base64url), alone or inside a longer encoded text such as
 * `Basic base64(user:password)`: there its encoding depends on how many bytes precede it
 * (mod 3), so the part that only its own bytes decide is looked for at each of the three offsets.
 * A few bytes at either end, which share a base64 character with their neighbours, may stay visible.
 */
export function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const out: string[] = [];
  const alone = bytes.toString("base64");
  out.push(alone, alone.replace(/=+$/, ""));
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    out.push(encoded.slice(offset === 0 ? 0 : 4, Math.floor((offset + bytes.length) / 3) * 4));
  }
  const forms = out.filter((f) => f.length >= MIN_BASE64);
  return [...new Set(forms.flatMap((f) => [f, f.replace(/\+/g, "-").replace(/\//g, "_")]))];
}

/** Replaces every known secret with `***` in text and in JSON values. */
export class Redactor {
  private secrets = new Set<string>();
  private patterns: string[] = [];
  /** The patterns a truncation may cut: base64 and hex forms start and end anywhere in a word, so they are left out. */
  private cuttable: string[] = [];

  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  add(secrets: Iterable<string>): void {
    const before = this.secrets.size;
    for (const s of secrets) if (longEnough(s)) this.secrets.add(s);
    if (this.secrets.size === before) return;
    const all = new Set<string>();
    for (const s of this.secrets) for (const v of variants(s)) all.add(v);
    this.cuttable = [...all].sort((a, b) => b.length - a.length);
    for (const s of this.secrets) for (const v of [...base64Forms(s), ...hexForms(s)]) all.add(v);
    this.patterns = [...all].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.secrets.size;
  }

  /** Whether the text holds a secret in any of its forms (a truncated one aside). */
  holds(text: string): boolean {
    return this.patterns.some((p) => text.includes(p));
  }

  text(text: string): string {
    if (this.patterns.length === 0 || text.length === 0) return text;
    let out = text;
    for (const p of this.patterns) if (out.includes(p)) out = out.split(p).join(MASK);
    return this.fragments(out);
  }

  /** A deep copy with every string (and object key) redacted, and every number that equals a secret replaced. */
  value<T>(value: T): T {
    if (this.patterns.length === 0) return value;
    return this.walk(value, 0) as T;
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === "string") return this.text(value);
    if (typeof value === "number" || typeof value === "bigint") return this.secrets.has(String(value)) ? MASK : value;
    if (value === null || typeof value !== "object" || depth > 2000) return value;
    if (Array.isArray(value)) return value.map((v) => this.walk(v, depth + 1));
    if (!isPlainObject(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.text(k), this.walk(v, depth + 1)]));
  }

  /** A secret cut by truncation ("tok_9f8e7…", or "...e7d6c" at the start of a cut) leaves a fragment next to the mark: hide it. */
  private fragments(text: string): string {
    if (!text.includes("…") && !text.includes("...")) return text;
    const cuts: [number, number][] = [];
    for (const m of text.matchAll(TRUNCATION)) {
      const start = m.index!;
      const end = start + m[0].length;
      for (const p of this.cuttable) {
        const before = longest(p.length - 1, (k) => start - k >= 0 && text[start - k] === p[0] && text.slice(start - k, start) === p.slice(0, k));
        if (before >= MIN_FRAGMENT) cuts.push([start - before, start]);
        const after = longest(p.length - 1, (k) => text[end] === p[p.length - k] && text.slice(end, end + k) === p.slice(p.length - k));
        if (after >= MIN_FRAGMENT) cuts.push([end, end + after]);
      }
    }
    if (cuts.length === 0) return text;
    cuts.sort((a, b) => b[0] - a[0]);
    let out = text;
    let limit = Infinity;
    for (const [from, to] of cuts) {
      const until = Math.min(to, limit);
      if (from >= until) continue;
      out = out.slice(0, from) + MASK + out.slice(until);
      limit = from;
    }
    return out;
  }
}

function longest(max: number, fits: (k: number) => boolean): number {
  for (let k = max; k >= MIN_FRAGMENT; k--) if (fits(k)) return k;
  return 0;
}
