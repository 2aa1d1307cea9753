/**
 * Redaction, applied to every exchange before it is written and to every request before
 * it is matched, so that a replay still matches what the recording wrote.
 *
 * Besides the configuration's secrets, a value that a message carries as a credential (a
 * credential field of a JSON or form body, a credential query parameter or header) is hidden
 * wherever it appears: in the rest of that request, and, for a value a response gave (a token),
 * in every exchange, since a connector sends it on under any name (`X-Weird: v=<token>`). The
 * replay serves those responses redacted, so the requests it makes carry the same [REDACTED].
 */
import type { Exchange, Headers } from "./cassette.js";
import { base64Forms } from "../util/redactor.js";

export const REDACTED = "[REDACTED]";

/** Headers that carry credentials whatever their value. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$|api[-_]?key|token|secret|password|signature|session|credential|auth/i;
/**
 * Query parameters and JSON or form fields whose value is a credential whatever it is. Kept
 * narrow on purpose: a field named "key" or "token" is as often data (an issue key, a page
 * token) as a credential, and redacting data would change what the sync writes.
 */
const SECRET_FIELD = /^(api[-_]?key|apikey|access[-_]?token|refresh[-_]?token|id[-_]?token|auth[-_]?token|client[-_]?secret|password|passwd)$/i;

/**
 * Headers whose whole value is a credential, to be hidden wherever else it appears. Narrower than
 * SECRET_HEADER: a value hidden everywhere must not be data (x-session-expires, www-authenticate).
 */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization)$|(token|api[-_]?key|secret|password|credentials?)$/;
const cookieValue = (pair: string): string | undefined => (pair.includes("=") ? pair.slice(pair.indexOf("=") + 1).trim() : undefined);

/** A credential this short, found by its name, is hidden only where it stands: elsewhere it could be data (as secretValues). */
const MIN_FOUND = 6;
/** What a connector sends under a credential's name by mistake: hidden where it stands, never everywhere. */
const NOT_A_CREDENTIAL = new Set(["undefined", "null", "true", "false", "none", "[object Object]"]);
const JSON_SPACE = new Set([" ", "\t", "\n", "\r"]);

export class Redactor {
  /** Each secret in the forms it can take in a URL, a header or a JSON text. */
  private readonly needles: string[];

  constructor(private readonly secrets: string[]) {
    const forms = new Set<string>();
    for (const s of secrets) {
      if (!s) continue;
      forms.add(s);
      forms.add(encodeURIComponent(s));
      forms.add(new URLSearchParams({ s }).toString().slice(2));
      forms.add(JSON.stringify(s).slice(1, -1));
      forms.add(Buffer.from(s).toString("base64"));
      // Base64 inside a longer encoded text too (`base64("user:" + secret)` in a header of any name, or echoed in a body).
      for (const f of base64Forms(s)) forms.add(f);
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.needles = [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
  }

  /** This redactor, also hiding these values. */
  with(values: Iterable<string>): Redactor {
    const more = [...values].filter((v) => !this.secrets.includes(v));
    return more.length ? new Redactor([...this.secrets, ...more]) : this;
  }

  /** A request as it is written and matched: its own credentials hidden wherever they appear in it. */
  request(req: Exchange["request"]): Exchange["request"] {
    const r = this.with(credentialsOf(req));
    return { method: req.method, url: r.url(req.url), headers: r.headers(req.headers), body: r.body(req.body, contentType(req.headers)) };
  }

  response(res: Exchange["response"]): Exchange["response"] {
    return { status: res.status, statusText: res.statusText, headers: this.headers(res.headers), body: this.body(res.body, contentType(res.headers)) };
  }

  text(value: string): string {
    let out = value;
    for (const n of this.needles) if (out.includes(n)) out = out.split(n).join(REDACTED);
    return out;
  }

  bytes(value: Buffer): Buffer {
    let out = value;
    for (const n of this.needles) {
      const needle = Buffer.from(n);
      if (out.indexOf(needle) < 0) continue;
      const parts: Buffer[] = [];
      let from = 0;
      for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, from)) {
        parts.push(out.subarray(from, at), Buffer.from(REDACTED));
        from = at + needle.length;
      }
      parts.push(out.subarray(from));
      out = Buffer.concat(parts);
    }
    return out;
  }

  /** Credential headers keep their scheme ("Bearer [REDACTED]"), so a replay can still tell schemes apart. */
  headers(headers: Headers): Headers {
    const out: Headers = {};
    for (const [name, value] of Object.entries(headers)) {
      const one = (v: string): string => {
        if (!SECRET_HEADER.test(name)) return this.text(v);
        if (/cookie/i.test(name)) return /=/.test(v) ? v.replace(/=[^;]*/g, `=${REDACTED}`) : REDACTED;
        const scheme = /^([A-Za-z][\w-]*) +\S/.exec(v);
        return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
      };
      out[name] = Array.isArray(value) ? value.map(one) : one(value);
    }
    return out;
  }

  url(value: string): string {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return this.text(value);
    }
    if (url.password) url.password = REDACTED;
    // Rewritten only when a credential parameter is there: re-encoding would change other parameters' spelling.
    if ([...url.searchParams.keys()].some((k) => SECRET_FIELD.test(k))) {
      const params = [...url.searchParams].map(([k, v]) => [k, SECRET_FIELD.test(k) ? REDACTED : v] as [string, string]);
      url.search = new URLSearchParams(params).toString().split(encodeURIComponent(REDACTED)).join(REDACTED);
    }
    return this.text(url.toString().split(encodeURIComponent(REDACTED)).join(REDACTED));
  }

  /** JSON and form bodies lose the values of credential fields; every body loses the secrets' text. */
  body(value: Buffer | undefined, contentType: string | undefined): Buffer | undefined {
    if (!value) return value;
    const json = parseJson(value, contentType);
    if (json !== undefined) {
      const masked = maskJsonFields(json.text);
      return this.bytes(masked === json.text ? value : Buffer.from(masked));
    }
    if (contentType && /x-www-form-urlencoded/i.test(contentType)) {
      const params = new URLSearchParams(value.toString("utf8"));
      if ([...params.keys()].some((k) => SECRET_FIELD.test(k))) {
        const clean = new URLSearchParams([...params].map(([k, v]) => [k, SECRET_FIELD.test(k) ? REDACTED : v] as [string, string]));
        return this.bytes(Buffer.from(clean.toString()));
      }
    }
    return this.bytes(value);
  }
}

const contentType = (h: Headers): string | undefined => {
  const v = Object.entries(h).find(([k]) => k.toLowerCase() === "content-type")?.[1];
  return Array.isArray(v) ? v[0] : v;
};

/** A body that is JSON: by its content type, or, whatever the type says, by its first character and a successful parse. */
function parseJson(value: Buffer, type: string | undefined): { text: string; parsed: unknown } | undefined {
  if (!(type && /json/i.test(type)) && !/^\s*[[{]/.test(value.subarray(0, 64).toString("utf8"))) return undefined;
  const text = value.toString("utf8");
  try {
    return { text, parsed: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * Valid JSON text with the string value of every credential field replaced where it stands, so
 * the body keeps its layout, pretty-printed or compact, and its key order: a Python server's
 * `{"access_token": "…"}` is redacted as surely as compact JSON.
 */
function maskJsonFields(text: string): string {
  let out = "";
  let copied = 0;
  const skipSpace = (at: number): number => {
    while (at < text.length && JSON_SPACE.has(text[at]!)) at++;
    return at;
  };
  // A loop, not a regular expression: a string of megabytes would exhaust the regular expression's stack.
  const stringAt = (at: number): string => {
    let end = at + 1;
    while (end < text.length && text.charCodeAt(end) !== 34) end += text.charCodeAt(end) === 92 ? 2 : 1;
    return text.slice(at, end + 1);
  };
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '"') continue;
    const token = stringAt(i);
    i += token.length - 1;
    const colon = skipSpace(i + 1);
    if (text[colon] !== ":" || !SECRET_FIELD.test(JSON.parse(token) as string)) continue;
    const at = skipSpace(colon + 1);
    if (text[at] !== '"') continue;
    const value = stringAt(at);
    if (JSON.parse(value) !== REDACTED) {
      out += text.slice(copied, at) + JSON.stringify(REDACTED);
      copied = at + value.length;
    }
    i = at + value.length - 1;
  }
  return copied ? out + text.slice(copied) : text;
}

/** The values a message carries as credentials: credential fields of its body, credential parameters of its URL, the credential in a credential header. */
export function credentialsOf(message: { url?: string; headers: Headers; body?: Buffer }): string[] {
  const found = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === "string" && v.trim().length >= MIN_FOUND && !v.includes(REDACTED) && !NOT_A_CREDENTIAL.has(v)) found.add(v);
  };
  if (message.url) {
    try {
      const url = new URL(message.url);
      add(decodeURIComponent(url.password));
      for (const [k, v] of url.searchParams) if (SECRET_FIELD.test(k)) add(v);
    } catch {
      // Not a URL: its text is redacted as text.
    }
  }
  for (const [name, value] of Object.entries(message.headers)) {
    const n = name.toLowerCase();
    for (const v of Array.isArray(value) ? value : [value]) {
      // A Set-Cookie's first pair is the cookie; the rest are its attributes (Path, Expires, HttpOnly).
      if (n === "set-cookie") add(cookieValue(v.split(";")[0]!));
      else if (n === "cookie") for (const pair of v.split(";")) add(cookieValue(pair));
      else if (CREDENTIAL_HEADER.test(n)) add(/^[A-Za-z][\w-]* +(\S.*)$/.exec(v)?.[1] ?? v);
    }
  }
  if (message.body) {
    const type = contentType(message.headers);
    const json = parseJson(message.body, type);
    const walk = (v: unknown, depth: number): void => {
      if (depth > 100 || !v || typeof v !== "object") return;
      for (const [k, x] of Object.entries(v)) {
        if (SECRET_FIELD.test(k)) add(x);
        walk(x, depth + 1);
      }
    };
    if (json) walk(json.parsed, 0);
    else if (type && /x-www-form-urlencoded/i.test(type)) for (const [k, v] of new URLSearchParams(message.body.toString("utf8"))) if (SECRET_FIELD.test(k)) add(v);
  }
  return [...found];
}

/** The credentials the responses of a recording gave (tokens, session cookies): hidden in every exchange of its cassette. */
export function responseCredentials(exchanges: Exchange[]): string[] {
  return [...new Set(exchanges.flatMap((x) => credentialsOf(x.response)))];
}
