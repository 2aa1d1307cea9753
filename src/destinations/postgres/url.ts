/**
 * Where a PostgreSQL destination is: a `postgres://` URL parsed into connection settings,
 * and the location shown to people, never with the password. No pg import here: every
 * command that builds a destination spec loads this file.
 */
import os from "node:os";
import { UsageError } from "../../util/errors.js";
import { redactUrl } from "../../util/redact-url.js";
import { isSecretKey } from "../../util/secrets.js";

export interface PgConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Never printed; absent when the server needs none (trust, peer) or ~/.pgpass has it. */
  password?: string;
  /** The variable destination.json's password_env names, when it gave no password: the error for a missing password names it. */
  passwordEnv?: string;
  /** sslmode: disable (false), require (encrypt, no certificate check), verify-ca / verify-full (true). */
  ssl?: boolean | { rejectUnauthorized: false };
}

/** What the writer thread and the readers need: the connection, the schema, and the connector's name. */
export interface PostgresOptions {
  connection: PgConnection;
  schema: string;
  connector: string;
}

/** PostgreSQL's longest identifier, in bytes (NAMEDATALEN - 1); it cuts longer ones silently. */
export const MAX_IDENTIFIER_BYTES = 63;

const SSL_MODES: Record<string, PgConnection["ssl"]> = {
  disable: false,
  allow: false,
  prefer: false,
  require: { rejectUnauthorized: false },
  "no-verify": { rejectUnauthorized: false },
  "verify-ca": true,
  "verify-full": true,
};

const PARAMS = ["schema", "sslmode", "host", "port", "user", "dbname"];
const NO_HOST = "connector-sdk.no-host";

/**
 * Parses `postgres://user:password@host:port/database?schema=name` (or postgresql://). What
 * the URL leaves out comes from PGHOST, PGPORT, PGUSER and PGDATABASE, as for psql; the
 * password from the URL, else `password`, else PGPASSWORD. `where` names the URL's origin.
 */
export function parsePostgresUrl(text: string, where: string, password?: string, env: NodeJS.ProcessEnv = process.env): { connection: PgConnection; schema: string } {
  let url: URL;
  try {
    // libpq takes `postgres://user@/db?host=/socket/folder`; the URL parser needs a host after `@`.
    url = new URL(text.replace(/^(postgres(?:ql)?:\/\/[^/?#]*@)(?=[/?#]|$)/i, `$1${NO_HOST}`));
  } catch {
    throw new UsageError(`${where} is not a valid URL: ${redactUrl(text)}. Write postgres://user@host:5432/database?schema=name, with any @ : / ? # or % in the password percent-encoded (or the password in PGPASSWORD)`);
  }
  // `user:p@ss/word@host` parses as password "p" at host "ss": the rest of the password would be shown as the host.
  const rest = text.slice(text.indexOf("//") + 2);
  const authority = rest.search(/[/?#]/);
  if (/^[^@]*:/.test(rest.slice(0, rest.indexOf("@") + 1)) && authority >= 0 && rest.lastIndexOf("@") > authority) {
    throw new UsageError(`${where} has an @ after its host, so its password cannot be told apart: ${redactUrl(text)}. Percent-encode any @ : / ? # or % in the password (@ is %40, / is %2F), or put the password in PGPASSWORD`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") throw new UsageError(`${where} must start with postgres:// or postgresql://, got ${redactUrl(text)}`);
  for (const key of url.searchParams.keys()) {
    if (!PARAMS.includes(key)) {
      const hint = isSecretKey(key) ? `. The password goes in the URL (postgres://user:password@host/database), in the variable that destination.json's password_env names, in PGPASSWORD or in ~/.pgpass` : "";
      throw new UsageError(`${where}: unknown parameter "${key}" in ${redactUrl(text)}; the parameters are ${PARAMS.join(", ")}${hint}`);
    }
  }
  // URLSearchParams turns bytes that are not UTF-8 (%FF) into U+FFFD silently: a schema would get another name.
  for (const pair of url.search.slice(1).split("&")) {
    const [key, value = ""] = pair.split("=", 2).map((part) => part.replace(/\+/g, " "));
    try {
      decodeURIComponent(value);
    } catch {
      throw new UsageError(`${where}: the value of ${JSON.stringify(decodeURIComponent(key!))} is not valid percent-encoded UTF-8 text; PostgreSQL names are UTF-8, so encode each character as its UTF-8 bytes (ü is %C3%BC)`);
    }
  }
  const q = (k: string): string | undefined => url.searchParams.get(k) || undefined;
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const host = q("host") ?? (url.hostname && url.hostname !== NO_HOST ? decode(url.hostname).replace(/^\[(.*)\]$/, "$1") : undefined) ?? env.PGHOST ?? "localhost";
  const portText = q("port") ?? (url.port || undefined) ?? env.PGPORT ?? "5432";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${where}: the port must be a number from 1 to 65535, got ${JSON.stringify(portText)}`);
  const user = q("user") ?? (url.username ? decode(url.username) : undefined) ?? env.PGUSER ?? os.userInfo().username;
  const database = q("dbname") ?? (url.pathname.length > 1 ? decode(url.pathname.slice(1)) : undefined) ?? env.PGDATABASE ?? user;
  const schema = q("schema") ?? "public";
  // PostgreSQL's names are C strings: it refuses a NUL with a raw "invalid byte sequence", or cuts a user or database name short at it (and no host name holds one).
  for (const [what, name] of [["schema name", schema], ["database name", database], ["user name", user], ["host", host]] as const) {
    if (name.includes("\0")) throw new UsageError(`${where}: the ${what} ${JSON.stringify(name)} holds a NUL character (%00), which PostgreSQL cannot hold in a name; remove it from the URL`);
  }
  if (Buffer.byteLength(schema) > MAX_IDENTIFIER_BYTES) throw new UsageError(`${where}: the schema name "${schema}" is ${Buffer.byteLength(schema)} bytes long; PostgreSQL names hold at most ${MAX_IDENTIFIER_BYTES}`);
  // PostgreSQL refuses CREATE SCHEMA for these, and pg_catalog, pg_toast and pg_temp exist but are no place for data (pg_temp vanishes with the session).
  if (schema.startsWith("pg_")) throw new UsageError(`${where}: the schema name "${schema}" starts with pg_, which PostgreSQL reserves for its system schemas; choose another name with ?schema= (such as ?schema=${schema.slice(3) || "connector"})`);
  const mode = q("sslmode") ?? env.PGSSLMODE ?? "disable";
  if (!(mode in SSL_MODES)) throw new UsageError(`${where}: sslmode must be one of ${Object.keys(SSL_MODES).join(", ")}, got ${JSON.stringify(mode)}`);
  const secret = url.password ? decode(url.password) : (password ?? (env.PGPASSWORD || undefined));
  return { connection: { host, port, database, user, ...(secret !== undefined ? { password: secret } : {}), ssl: SSL_MODES[mode] }, schema };
}

/** The URL to show: `postgres://user@host:port/database?schema=name`, without the password. */
export function locationOf(c: PgConnection, schema: string): string {
  const host = c.host.includes(":") ? `[${c.host}]` : c.host;
  const path = c.host.startsWith("/") ? `${encodeURIComponent(c.user)}@/${encodeURIComponent(c.database)}?host=${encodeURIComponent(c.host)}&port=${c.port}&schema=` : "";
  if (path) return `postgres://${path}${encodeURIComponent(schema)}`;
  return `postgres://${encodeURIComponent(c.user)}@${host}:${c.port}/${encodeURIComponent(c.database)}?schema=${encodeURIComponent(schema)}`;
}

export { redactUrl };
