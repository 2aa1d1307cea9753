/** The five auth types: each adds its credential to a request; the OAuth2 ones fetch and refresh tokens. */
import { httpRuntime } from "../sdk/http-hooks.js";
import { secretStore } from "./runtime.js";
import type { AuthOptions, HeaderRecord, RestResponse } from "./options.js";
import { HttpRequestError, quoteBody } from "./retry.js";
import { seal, sealKey, unseal, type SealKey } from "./token-seal.js";

/** Sends a token request with the client's retries, without auth. */
export type TokenSender = (url: string, form: URLSearchParams) => Promise<RestResponse>;

export interface Authorizer {
  /** Adds the credential; a promise only when a token must be fetched first (no await per request otherwise). */
  apply(url: URL, headers: HeaderRecord): void | Promise<void>;
  /** After a 401: fetches a new access token; false when that cannot help. */
  renew(): Promise<boolean>;
  /** Query parameters that hold a credential, hidden in messages. */
  readonly queryNames: string[];
  /** Whether a value is one of the credentials this auth sends or holds (an API may echo one in its next URLs). */
  holds(value: string): boolean;
}

const NONE: Authorizer = { apply: () => {}, renew: async () => false, queryNames: [], holds: () => false };

export function authorizer(auth: AuthOptions | undefined, send: TokenSender): Authorizer {
  if (!auth) return NONE;
  const runtime = httpRuntime();
  switch (auth.type) {
    case "bearer":
      runtime.secret(auth.token);
      return { ...NONE, holds: (v) => v === auth.token, apply: (_, h) => void (h.authorization = `Bearer ${auth.token}`) };
    case "api-key": {
      runtime.secret(auth.value);
      const holds = (v: string): boolean => v === auth.value;
      if (auth.in === "query") return { ...NONE, holds, queryNames: [auth.name], apply: (u) => u.searchParams.set(auth.name, auth.value) };
      const name = auth.name.toLowerCase();
      return { ...NONE, holds, apply: (_, h) => void (h[name] = auth.value) };
    }
    case "basic": {
      runtime.secret(auth.password);
      const value = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
      runtime.secret(value.slice(6));
      return { ...NONE, holds: (v) => v === auth.password || v === value || v === value.slice(6), apply: (_, h) => void (h.authorization = value) };
    }
    case "oauth2-client-credentials":
    case "oauth2-refresh-token":
      return new OAuth2(auth, send);
  }
}

/** Refresh this long before expiry, or a tenth of the token's life if that is shorter. */
const EARLY_MS = 60_000;

/**
 * The newest refresh token kept for the configured one. A token written back into a configuration (an engine's)
 * is configured in turn and keeps its own successor, so the chain is followed: a run from the original
 * configuration still finds the newest token.
 */
function newestToken(o: { tokenUrl: string; clientId: string; clientSecret?: string; refreshToken: string }, first: SealKey): string {
  let token = o.refreshToken;
  let key = first;
  for (let hop = 0; hop < 64; hop++) {
    const kept = secretStore().get(key.id);
    const next = kept === undefined ? undefined : unseal(key, kept.value);
    if (!next || next === token) break;
    token = next;
    key = sealKey([o.tokenUrl, o.clientId, o.clientSecret ?? "", token]);
  }
  return token;
}

/**
 * The token requests in flight, by the key of the configured credentials: two clients made with the same
 * refresh token (one per stream, say) ask one after the other, each with the newest token, since a provider
 * that rotates would refuse the second of two requests that sent the same token.
 */
const turns = new Map<string, Promise<unknown>>();

class OAuth2 implements Authorizer {
  readonly queryNames: string[] = [];
  private access?: { token: string; expiresAt: number };
  private pending?: Promise<void>;
  private refreshToken?: string;
  private readonly sealKey?: SealKey;
  /** The sealed token in the store when this client last read or wrote it: another value there is another client's rotation. */
  private seenSealed?: string;

  constructor(
    private readonly o: Extract<AuthOptions, { type: "oauth2-client-credentials" | "oauth2-refresh-token" }>,
    private readonly send: TokenSender,
  ) {
    const runtime = httpRuntime();
    if (o.clientSecret) runtime.secret(o.clientSecret);
    if (o.type === "oauth2-refresh-token") {
      runtime.secret(o.refreshToken);
      this.sealKey = sealKey([o.tokenUrl, o.clientId, o.clientSecret ?? "", o.refreshToken]);
      this.refreshToken = newestToken(o, this.sealKey);
      this.seenSealed = secretStore().get(this.sealKey.id)?.value;
      if (this.refreshToken !== o.refreshToken) runtime.secret(this.refreshToken);
    }
  }

  /** Takes up a token another client of the same credentials has rotated to since this one last looked. */
  private catchUp(): void {
    const kept = secretStore().get(this.sealKey!.id);
    if (kept === undefined || kept.value === this.seenSealed) return;
    this.seenSealed = kept.value;
    const newest = newestToken(this.o as Extract<AuthOptions, { type: "oauth2-refresh-token" }>, this.sealKey!);
    if (newest !== this.refreshToken) {
      this.refreshToken = newest;
      httpRuntime().secret(newest);
    }
  }

  apply(_: URL, headers: HeaderRecord): void | Promise<void> {
    if (!this.access || Date.now() >= this.access.expiresAt) return this.fetchToken().then(() => void (headers.authorization = `Bearer ${this.access!.token}`));
    headers.authorization = `Bearer ${this.access.token}`;
  }

  async renew(): Promise<boolean> {
    await this.fetchToken();
    return true;
  }

  holds(value: string): boolean {
    return value === this.access?.token || value === this.refreshToken || value === this.o.clientSecret || (this.o.type === "oauth2-refresh-token" && value === this.o.refreshToken);
  }

  /** One token request at a time: concurrent requests wait for the same one. */
  private fetchToken(): Promise<void> {
    this.pending ??= this.inTurn().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** A refresh-token request after any other client's for the same credentials, with the newest token. */
  private inTurn(): Promise<void> {
    if (!this.sealKey) return this.tokenRequest();
    const id = this.sealKey.id;
    const mine = (turns.get(id) ?? Promise.resolve()).then(() => {
      this.catchUp();
      return this.tokenRequest();
    });
    const done = mine.catch(() => {});
    turns.set(id, done);
    void done.then(() => {
      if (turns.get(id) === done) turns.delete(id);
    });
    return mine;
  }

  /** What to do about a refusal with this RFC 6749 5.2 error code. */
  private hint(code: string | undefined): string {
    // invalid_client is the client's id or secret, not the refresh token, which is then still good.
    if (code === "invalid_client") return " The client was refused (invalid_client): check clientId and clientSecret; the refresh token is not at fault and is kept.";
    if (this.o.type === "oauth2-refresh-token") return " The refresh token was refused: if it was revoked or has expired, put a new one in the configuration (refreshToken); a new configured token replaces any rotated one kept by earlier runs.";
    return " Check clientId, clientSecret and scope.";
  }

  private async tokenRequest(): Promise<void> {
    const o = this.o;
    const form = new URLSearchParams();
    if (o.type === "oauth2-refresh-token") {
      form.set("grant_type", "refresh_token");
      form.set("refresh_token", this.refreshToken!);
    } else {
      form.set("grant_type", "client_credentials");
      if (o.scope) form.set("scope", o.scope);
    }
    form.set("client_id", o.clientId);
    if (o.clientSecret) form.set("client_secret", o.clientSecret);
    const response = await this.send(o.tokenUrl, form);
    if (response.status < 200 || response.status >= 300) {
      throw new HttpRequestError(`OAuth2 token request POST ${o.tokenUrl} answered ${response.status}: ${quoteBody(response.text())}.${this.hint(oauthError(response))}`, "POST", o.tokenUrl, response.status, 1, response);
    }
    let body: { access_token?: unknown; expires_in?: unknown; refresh_token?: unknown };
    try {
      body = response.json();
    } catch {
      // Some providers answer as a form (access_token=…&refresh_token=…), whatever the Accept header asked: read it as
      // the token answer it is. Quoting it in an error would print the tokens, and a rotated refresh token would be lost.
      const form = formAnswer(response);
      if (!form) throw new HttpRequestError(`OAuth2 token request POST ${o.tokenUrl} answered with a body that is not JSON (${response.headers.get("content-type") ?? "no content type"}): ${quoteBody(response.text())}`, "POST", o.tokenUrl, response.status, 1, response);
      body = form;
    }
    if (typeof body?.access_token !== "string" || !body.access_token) {
      // Some providers refuse with a 200 and an RFC 6749 error body: its code and description say why, the key names do not.
      const e = body !== null && typeof body === "object" ? (body as { error?: unknown; error_description?: unknown }) : {};
      if (typeof e.error === "string") {
        const about = typeof e.error_description === "string" && e.error_description ? `: ${JSON.stringify(e.error_description.length > 300 ? e.error_description.slice(0, 300) + "…" : e.error_description)}` : "";
        throw new HttpRequestError(`OAuth2 token request POST ${o.tokenUrl} answered ${response.status} with the error ${JSON.stringify(e.error)}${about}, and no access_token.${this.hint(e.error)}`, "POST", o.tokenUrl, response.status, 1, response);
      }
      throw new HttpRequestError(`OAuth2 token request POST ${o.tokenUrl} answered without an access_token (keys: ${Object.keys(body ?? {}).join(", ") || "none"}).`, "POST", o.tokenUrl, response.status, 1, response);
    }
    const runtime = httpRuntime();
    runtime.secret(body.access_token);
    const lifeMs = typeof body.expires_in === "number" || typeof body.expires_in === "string" ? Number(body.expires_in) * 1000 : NaN;
    this.access = { token: body.access_token, expiresAt: Number.isFinite(lifeMs) && lifeMs > 0 ? Date.now() + lifeMs - Math.min(EARLY_MS, lifeMs / 10) : Infinity };
    if (o.type === "oauth2-refresh-token" && typeof body.refresh_token === "string" && body.refresh_token && body.refresh_token !== this.refreshToken) {
      const previous = this.refreshToken!;
      this.refreshToken = body.refresh_token;
      runtime.secret(body.refresh_token);
      // Kept before the new token is used at all: the provider may have invalidated the old one already.
      if (!runtime.replay) {
        secretStore().put(this.sealKey!.id, { value: seal(this.sealKey!, body.refresh_token), at: Date.now() });
        // Read back: what the store holds now (the old value, if it could not be written) is what other clients see.
        this.seenSealed = secretStore().get(this.sealKey!.id)?.value;
        runtime.rotated?.(previous, body.refresh_token, o.refreshToken);
      }
    }
  }
}

/** A token answer sent as a form (application/x-www-form-urlencoded) rather than JSON, as an object; undefined when it is not one. */
function formAnswer(response: RestResponse): Record<string, string> | undefined {
  const text = response.text().trim();
  const type = response.headers.get("content-type") ?? "";
  if (!/application\/x-www-form-urlencoded/i.test(type) && !/^[\w.~%+-]+=[^&\s]*(&[\w.~%+-]+=[^&\s]*)*$/.test(text)) return undefined;
  const form = Object.fromEntries(new URLSearchParams(text));
  return typeof form.access_token === "string" || typeof form.error === "string" ? form : undefined;
}

/** The `error` code of an OAuth2 error answer (RFC 6749 5.2), if the body is one. */
function oauthError(response: RestResponse): string | undefined {
  try {
    const body = response.json<{ error?: unknown }>();
    return typeof body?.error === "string" ? body.error : undefined;
  } catch {
    return undefined;
  }
}
