/**
 * fetch, following redirects itself, so that a credential goes only to the origin it is meant for:
 * fetch would send a custom header (an api-key's) on to whatever host a redirect names, and a
 * paginator's next URL or a resume may name another host too.
 */
import type { AuthOptions, HeaderRecord } from "./options.js";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** As fetch's own limit. */
const MAX_REDIRECTS = 20;
/** Headers that carry a credential whatever the auth: the fetch standard drops these on a redirect to another origin. */
const ALWAYS = ["authorization", "proxy-authorization", "cookie"];

/** The headers and query parameters in which this auth puts its credential. */
function credentialNames(auth: AuthOptions | undefined): { headers: string[]; query: string[] } {
  if (auth?.type === "api-key") return auth.in === "query" ? { headers: ALWAYS, query: [auth.name] } : { headers: [...ALWAYS, auth.name.toLowerCase()], query: [] };
  return { headers: ALWAYS, query: [] };
}

/** The request without its credentials, for an origin other than `origin`; undefined when nothing had to be removed. */
function withoutCredentials(url: URL, headers: HeaderRecord, auth: AuthOptions | undefined): { url: URL; headers: HeaderRecord } | undefined {
  const names = credentialNames(auth);
  const header = names.headers.filter((n) => Object.hasOwn(headers, n));
  const query = names.query.filter((n) => url.searchParams.has(n));
  if (header.length === 0 && query.length === 0) return undefined;
  const h = { ...headers };
  for (const n of header) delete h[n];
  const u = new URL(url);
  for (const n of query) u.searchParams.delete(n);
  return { url: u, headers: h };
}

/** A redirect not followed (redirects without end, or a credential body sent on to another origin): the same on every try, so not retried. */
export class UnfollowedRedirectError extends Error {
  override name = "UnfollowedRedirectError";
}

export interface Sent {
  response: Response;
  /** The URL that answered, after any redirect. */
  url: URL;
  /** The body, read as text (as res.json() reads it: arrayBuffer() costs fetch one more copy). */
  text: string;
}

/**
 * One try of a request, its body read: fetch with `redirect: "manual"`, each redirect followed here, sending the
 * client's credentials only to `origin`. `withheld` is told each time a request went out without them.
 * `dispatcher` goes to fetch as it is (see deadline.ts).
 */
export async function fetchToOrigin(
  url: URL,
  init: { method: string; headers: HeaderRecord; body: string | Uint8Array | URLSearchParams | undefined; dispatcher: object; credentialBody?: boolean },
  origin: string,
  auth: AuthOptions | undefined,
  withheld: (url: URL) => void,
): Promise<Sent> {
  let { method, headers, body } = init;
  let u = url;
  for (let hop = 0; ; hop++) {
    let sendUrl = u;
    let sendHeaders = headers;
    if (u.origin !== origin) {
      // An OAuth2 token request's body is its credentials (client secret, refresh token): it goes nowhere else.
      if (init.credentialBody && body !== undefined) throw new UnfollowedRedirectError(`redirected to ${u.origin}, another origin than ${origin}: not followed, as the request's body holds the client's credentials (client secret, refresh token). If that is the provider's own token endpoint, set tokenUrl to it`);
      const bare = withoutCredentials(u, headers, auth);
      if (bare) {
        ({ url: sendUrl, headers: sendHeaders } = bare);
        withheld(sendUrl);
      }
    }
    // `dispatcher` is Node's fetch's own option (undici's), not in the DOM's RequestInit.
    const response = await fetch(sendUrl, { method, headers: sendHeaders, body, redirect: "manual", dispatcher: init.dispatcher } as RequestInit);
    const location = REDIRECTS.has(response.status) ? response.headers.get("location") : null;
    if (location === null) return { response, url: sendUrl, text: await response.text() };
    if (hop >= MAX_REDIRECTS) throw new UnfollowedRedirectError(`more than ${MAX_REDIRECTS} redirects, the last to ${location}`);
    await response.arrayBuffer();
    u = new URL(location, sendUrl);
    // As fetch does: a 303, or a 301 or 302 of a POST, becomes a GET without a body.
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
      if (method !== "HEAD") method = "GET";
      body = undefined;
      headers = { ...headers };
      delete headers["content-type"];
    }
  }
}
