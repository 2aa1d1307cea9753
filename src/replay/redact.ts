/**
 * Redaction, applied to every exchange before it is written and to every request before
 * it is matched, so that a replay still matches what the recording wrote.
 */
import type { Headers } from "./cassette.js";

export const REDACTED = "[REDACTED]";

/** Headers that carry credentials whatever their value. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$|api[-_]?key|token|secret|password|signature|session|credential|auth/i;
/**
 * Query parameters and JSON or form fields whose value is a credential whatever it is. Kept
 * narrow on purpose: a field named "key" or "token" is as often data (an issue key, a page
 * token) as a credential, and redacting data would change what the sync writes.
 */
const SECRET_FIELD = /^(api[-_]?key|apikey|access[-_]?token|refresh[-_]?token|id[-_]?token|auth[-_]?token|client[-_]?secret|password|passwd)$/i;

export class Redactor {
  /** Each secret in the forms it can take in a URL, a header or a JSON text. */
  private readonly needles: string[];

  constructor(secrets: string[]) {
    const forms = new Set<string>();
    for (const s of secrets) {
      if (!s) continue;
      forms.add(s);
      forms.add(encodeURIComponent(s));
      forms.add(new URLSearchParams({ s }).toString().slice(2));
      forms.add(JSON.stringify(s).slice(1, -1));
      forms.add(Buffer.from(s).toString("base64"));
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.needles = [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
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
    if (contentType && /json/i.test(contentType)) {
      try {
        const text = value.toString("utf8");
        const parsed = JSON.parse(text) as unknown;
        let changed = false;
        const walk = (v: unknown): unknown => {
          if (Array.isArray(v)) return v.map(walk);
          if (v && typeof v === "object") {
            return Object.fromEntries(
              Object.entries(v).map(([k, x]) => {
                if (SECRET_FIELD.test(k) && typeof x === "string" && x !== REDACTED) {
                  changed = true;
                  return [k, REDACTED];
                }
                return [k, walk(x)];
              }),
            );
          }
          return v;
        };
        const clean = walk(parsed);
        if (changed && JSON.stringify(parsed) === text) return this.bytes(Buffer.from(JSON.stringify(clean)));
      } catch {
        // Not JSON after all: the secrets' text is still removed below.
      }
    } else if (contentType && /x-www-form-urlencoded/i.test(contentType)) {
      const params = new URLSearchParams(value.toString("utf8"));
      if ([...params.keys()].some((k) => SECRET_FIELD.test(k))) {
        const clean = new URLSearchParams([...params].map(([k, v]) => [k, SECRET_FIELD.test(k) ? REDACTED : v] as [string, string]));
        return this.bytes(Buffer.from(clean.toString()));
      }
    }
    return this.bytes(value);
  }
}
