/**
 * Finding secrets: which values of a configuration are credentials. By key (api_key, client_secret,
 * everything under `credentials: {…}`), by the marks of its JSON Schema (`secret`, `writeOnly`,
 * `format: "password"`), and inside values: URL passwords, connection-string passwords
 * (key-value-secrets.ts) and JSON text. redactor.ts hides what this finds.
 */
import { validateWith, type StandardSchemaV1 } from "./standard-schema.js";
import { keyValueSecrets } from "./key-value-secrets.js";
import { isPlainObject } from "./describe.js";

/** Shorter values (and blank ones) are never redacted: they are no credential, and hiding them would garble the output. */
export const MIN_SECRET_LENGTH = 4;

/** Words that make a key secret-looking on their own. */
const SECRET_WORDS = new Set([
  "token", "secret", "secrets", "password", "passwd", "pwd", "pass", "passphrase", "credential", "credentials", "creds",
  "auth", "authorization", "bearer", "jwt", "cookie", "private", "dsn", "key",
]);
/** Fused words: apitoken, dbpassword, clientsecret, apikey, accesskey… (but not monkey or turkey). */
const FUSED_SECRET = /(token|secret|secrets|password|passwd|passphrase)$|^(api|access|secret|private|client|auth|ssh|signing|encryption|app|service|account|master|license|subscription|storage|webhook|session|refresh)(key|pass|pwd)$/;
/** `key` after these words names a column or an index, not a credential: primary_key, sort_key, cursor_key. */
const STRUCTURAL_KEY = new Set([
  "primary", "partition", "sort", "foreign", "cursor", "unique", "shard", "sharding", "hash", "range", "row", "join", "group", "grouping",
  "dedup", "dedupe", "natural", "composite", "surrogate", "object", "lookup", "cluster", "clustering", "distribution", "dist", "index",
  "public", "idempotency", "cache", "map", "merge", "match", "order", "record", "entity", "table", "parent", "child", "business",
]);
/** A last word that says the value is about the secret, not the secret: token_url, auth_type, password_file, secret_name. */
const DESCRIPTOR = new Set([
  "url", "uri", "endpoint", "type", "method", "mode", "scheme", "kind", "provider", "host", "server", "domain", "name", "path", "file", "dir",
  "field", "fields", "column", "columns", "format", "prefix", "header", "location", "version", "enabled", "required", "expiry", "expires",
  "expiration", "ttl", "timeout", "length", "count",
]);
/** Values that are settings, not secrets, even under a secret-looking key (auth_enabled: "true"). */
const NOT_A_SECRET = new Set(["true", "false", "yes", "no", "null", "none", "on", "off", "enabled", "disabled", "undefined"]);

/** A key's words: split at `_`, `-`, `.`, spaces and camelCase, lower-cased. `APIKey` → api, key. */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Whether a configuration key names a credential: api_key, apiKey, client_secret, db_password, auth, private_key… but not monkey, primary_key or token_url. */
export function isSecretKey(key: string): boolean {
  const words = keyWords(key);
  if (words.length === 0) return false;
  if (words.length > 1 && DESCRIPTOR.has(words[words.length - 1]!)) return false;
  return words.some((w, i) => (w === "key" ? !STRUCTURAL_KEY.has(words[i - 1] ?? "") : SECRET_WORDS.has(w) || FUSED_SECRET.test(w)));
}

const scalar = (v: unknown): string | undefined =>
  typeof v === "string" ? v : (typeof v === "number" && Number.isFinite(v)) || typeof v === "bigint" ? String(v) : undefined;

/** Every string and number inside a value. */
function collectAll(value: unknown, out: Set<string>, depth = 0): void {
  const s = scalar(value);
  if (s !== undefined) out.add(s);
  else if (depth < 100 && value !== null && typeof value === "object") for (const v of Object.values(value)) collectAll(v, out, depth + 1);
}

/** The values under secret-looking keys, at any depth: everything under `credentials: {…}` is secret. */
function secretsByKey(configuration: unknown, out = new Set<string>(), depth = 0): Set<string> {
  if (depth > 100 || configuration === null || typeof configuration !== "object") return out;
  for (const [k, v] of Object.entries(configuration)) {
    if (isSecretKey(k)) {
      const found = new Set<string>();
      collectAll(v, found);
      for (const s of found) if (!NOT_A_SECRET.has(s.toLowerCase())) out.add(s);
    } else secretsByKey(v, out, depth + 1);
  }
  return out;
}

export type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of a Standard Schema, through the Standard JSON Schema interface
 * (`~standard.jsonSchema`, which zod ≥ 4.2 implements), so no validator's internals are read.
 */
export function jsonSchemaOf(schema: unknown): JsonSchema | undefined {
  const converter = (schema as { "~standard"?: { jsonSchema?: { input?: unknown } } } | undefined)?.["~standard"]?.jsonSchema;
  if (!converter || typeof converter.input !== "function") return undefined;
  const input = converter.input as (o: { target: string; libraryOptions?: Record<string, unknown> }) => unknown;
  for (const options of [
    { target: "draft-2020-12", libraryOptions: { unrepresentable: "any" } },
    { target: "draft-2020-12" },
    { target: "draft-07" },
  ]) {
    try {
      const result = input.call(converter, options);
      if (isPlainObject(result)) return result as JsonSchema;
    } catch {
      // try the next target
    }
  }
  return undefined;
}

/** A field is secret when its JSON Schema says `secret: true` (zod: `.meta({ secret: true })`), `writeOnly: true` or `format: "password"`. */
export const isMarked = (node: JsonSchema): boolean => node.secret === true || node.writeOnly === true || node.format === "password";

export function resolveRef(node: JsonSchema, root: JsonSchema): JsonSchema {
  for (let hops = 0; typeof node.$ref === "string" && node.$ref.startsWith("#") && hops < 20; hops++) {
    let target: unknown = root;
    for (const part of node.$ref.slice(1).split("/").filter(Boolean)) {
      target = isPlainObject(target) ? target[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    }
    if (!isPlainObject(target)) break;
    node = { ...(target as JsonSchema), ...Object.fromEntries(Object.entries(node).filter(([k]) => k !== "$ref")) };
  }
  return node;
}

function walkMarked(node: unknown, value: unknown, root: JsonSchema, out: Set<string>, depth: number): void {
  if (depth > 100 || !isPlainObject(node) || value === null || value === undefined) return;
  const n = resolveRef(node as JsonSchema, root);
  if (isMarked(n)) return collectAll(value, out);
  for (const k of ["allOf", "anyOf", "oneOf"]) {
    const list = n[k];
    if (Array.isArray(list)) for (const sub of list) walkMarked(sub, value, root, out, depth + 1);
  }
  if (Array.isArray(value)) {
    const prefix = Array.isArray(n.prefixItems) ? n.prefixItems : Array.isArray(n.items) ? n.items : [];
    value.forEach((v, i) => walkMarked(prefix[i] ?? (Array.isArray(n.items) ? n.additionalItems : n.items), v, root, out, depth + 1));
  } else if (isPlainObject(value)) {
    const props = isPlainObject(n.properties) ? (n.properties as JsonSchema) : {};
    for (const [k, v] of Object.entries(value)) {
      walkMarked(Object.hasOwn(props, k) ? props[k] : n.additionalProperties, v, root, out, depth + 1);
    }
  }
}

/** The values that a configuration schema marks secret, found in one or more configuration values (raw and validated). */
export function secretsBySchema(schema: unknown, ...values: unknown[]): Set<string> {
  const out = new Set<string>();
  const root = jsonSchemaOf(schema);
  if (root) for (const v of values) walkMarked(root, v, root, out, 0);
  return out;
}

/**
 * The password of a URL's userinfo (`postgres://admin:S3cret@db/x`): the rest of the URL is no
 * secret. Typed without percent-encoding, the password may hold `@`, `/`, `?` or `#`, so each
 * text up to an `@` is taken as a password.
 */
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:(\S+)@/gi;
/**
 * A value that is one URL and nothing else may also have a user name with `@` (Azure's
 * `user@server`) or a space, or a password with spaces: its password runs from the first `:`
 * after `scheme://` to the last `@`, as redactUrl (postgres/url.ts) hides it.
 */
const WHOLE_URL_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#]*:(.+)@[^@]*$/is;

function urlPasswords(match: string): string[] {
  const out: string[] = [];
  for (let at = match.indexOf("@"); at !== -1; at = match.indexOf("@", at + 1)) out.push(match.slice(0, at));
  return [...out, match];
}

/** A configuration value that is JSON text (a service account's key file, say), parsed; undefined when it is not. */
function parseJsonText(s: string): unknown {
  if (!/^\s*[[{]/.test(s)) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/**
 * Secrets that hide inside ordinary-looking values: the password of a connection string (a URL's,
 * or a `Password=` pair, key-value-secrets.ts), and values under secret-looking keys of a configuration value that is JSON text. JSON
 * text inside JSON text is followed a few levels deep.
 */
function embeddedSecrets(value: unknown, out: Set<string>, level = 0): void {
  const strings = new Set<string>();
  collectAll(value, strings);
  for (const s of strings) {
    const whole = WHOLE_URL_PASSWORD.exec(s.trim());
    for (const m of [...s.matchAll(URL_PASSWORD), ...(whole ? [whole] : [])]) {
      for (const password of urlPasswords(m[1]!)) {
        out.add(password);
        try {
          out.add(decodeURIComponent(password));
        } catch {
          // not percent-encoded
        }
      }
    }
    for (const password of keyValueSecrets(s, isSecretKey)) out.add(password);
    const parsed = level < 3 ? parseJsonText(s) : undefined;
    if (parsed === null || typeof parsed !== "object") continue;
    secretsByKey(parsed, out);
    embeddedSecrets(parsed, out, level + 1);
  }
}

/** Every secret of a configuration: values under secret-looking keys, and values its schema marks secret. */
export function configurationSecrets(schema: unknown, ...values: unknown[]): string[] {
  const out = new Set<string>();
  for (const v of values) secretsByKey(v, out);
  for (const s of secretsBySchema(schema, ...values)) out.add(s);
  for (const v of values) embeddedSecrets(v, out);
  // A secret that is itself JSON (a service account's key file, say): each value in it is secret too.
  for (const s of [...out]) {
    if (!/^\s*[[{]/.test(s)) continue;
    try {
      collectAll(JSON.parse(s), out);
    } catch {
      // not JSON after all
    }
  }
  return [...out].filter(longEnough);
}

/** Shorter values, or blank ones, would match by chance all over the output. */
export const longEnough = (s: string): boolean => s.trim().length >= MIN_SECRET_LENGTH;

/** Whether a schema could mark any value of this configuration secret that its keys do not already make secret. */
export function mayHoldUnmarkedSecrets(configuration: unknown): boolean {
  const all = new Set<string>();
  collectAll(configuration, all);
  const known = secretsByKey(configuration);
  return [...all].some((v) => longEnough(v) && !known.has(v));
}

/** The secrets of a configuration for a loaded connector: its raw values and, when its schema accepts them, the validated ones. */
export async function connectorSecrets(schema: StandardSchemaV1<unknown, unknown> | undefined, configuration: unknown): Promise<string[]> {
  let validated: unknown;
  if (schema) {
    try {
      const r = await validateWith(schema, configuration);
      if (r.ok) validated = r.value;
    } catch {
      // A schema that throws is reported by the run that uses it.
    }
  }
  return configurationSecrets(schema, configuration, validated);
}

/**
 * The secret values of a configuration (under secret-looking keys at any depth, or marked
 * secret by its schema), to warn if they leak into state. Short values are ignored: they match by chance.
 */
export function secretValues(configuration: unknown, schema?: unknown): string[] {
  return configurationSecrets(schema, configuration).filter((v) => v.length >= 6);
}
