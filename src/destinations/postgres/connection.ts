/**
 * Connecting to a PostgreSQL destination, and the errors of connecting turned into messages
 * that name host, port, database and user, and say what to do.
 */
import pg from "pg";
import { UnavailableError, UsageError } from "../../util/errors.js";
import type { PgConnection, PostgresOptions } from "./url.js";
import { textTypes } from "./values.js";

export { locationOf, type PgConnection, type PostgresOptions } from "./url.js";

const describeTarget = (c: PgConnection): string => `PostgreSQL at ${c.host}:${c.port} (database "${c.database}", user "${c.user}")`;

/**
 * A connection failure as a message that names where and who, and says what to do. Bad
 * credentials, a missing database, missing privileges and SSL the server lacks are usage
 * errors (exit 2, not retried); a server that cannot be reached is a failed sync (exit 1, retried by --retries).
 */
export function connectionError(e: unknown, c: PgConnection, schema: string): Error {
  const err = e as Error & { code?: string };
  const code = err.code ?? "";
  const target = describeTarget(c);
  const cause = err.message || code;
  switch (code) {
    case "28P01":
    case "28000":
      return new UsageError(
        `${target} refused the login: ${cause}. Check the user and the password (in the URL, the variable that destination.json's password_env names, or PGPASSWORD).`,
      );
    case "3D000":
      return new UsageError(`${target}: ${cause}. Create it (CREATE DATABASE "${c.database}") or fix the database in the URL.`);
    case "42501":
      return new UsageError(
        `${target}: ${cause}. The user needs USAGE and CREATE on schema "${schema}" (GRANT USAGE, CREATE ON SCHEMA "${schema}" TO "${c.user}"), or CREATE on the database to make the schema; or choose another schema with ?schema=.`,
      );
    case "ECONNREFUSED":
      return new UnavailableError(`Cannot connect to ${target}: connection refused (ECONNREFUSED). Is the server running and listening on ${c.host}:${c.port}?`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new UnavailableError(`Cannot connect to ${target}: the host "${c.host}" was not found (${code}).`);
    case "ETIMEDOUT":
      return new UnavailableError(`Cannot connect to ${target}: the connection timed out (${code}).`);
  }
  // pg's error has no code: libpq's sslmode=prefer would fall back to plain text, but require and verify-* must not.
  if (/does not support SSL/i.test(cause)) {
    return new UsageError(`${target} does not accept SSL connections, and the URL's sslmode (or PGSSLMODE) requires SSL. Use sslmode=disable or sslmode=prefer to connect without SSL, or turn SSL on in the server.`);
  }
  if (/timeout/i.test(cause)) return new UnavailableError(`Cannot connect to ${target}: ${cause}`);
  return new UnavailableError(`${target}: ${cause}${code ? ` (${code})` : ""}`);
}

const lost = new WeakMap<pg.Client, Error>();

/** Why a client's connection was lost, if it was: pg's own error for the next query only says it "is not queryable". */
export function lostConnection(client: pg.Client, c: PgConnection): Error | undefined {
  const e = lost.get(client);
  return e ? new Error(`the connection to PostgreSQL at ${c.host}:${c.port} was lost: ${e.message}`) : undefined;
}

/** SQLSTATEs of a session the server ended (admin shutdown, crash shutdown, cannot connect now) or a broken link. */
const DROPPED = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006"]);

/** A query's error, said as a lost connection when the server ended the session under it. */
export function describeQueryError(e: unknown, c: PgConnection): unknown {
  const err = e as { code?: unknown; message?: unknown } | null;
  const message = typeof err?.message === "string" ? err.message : "";
  if (message.startsWith("the connection to PostgreSQL")) return e;
  if ((typeof err?.code === "string" && DROPPED.has(err.code)) || /^Connection terminated/.test(message)) {
    return new Error(`the connection to PostgreSQL at ${c.host}:${c.port} was lost: ${message}`);
  }
  return e;
}

/** A connected client: UTC, ISO dates, exact text for the types values.ts reads, named in pg_stat_activity. */
export async function connect(o: PostgresOptions, purpose: string): Promise<pg.Client> {
  const c = o.connection;
  // libpq takes an empty PGPASSWORD as unset, but the pgpass module pg asks skips ~/.pgpass whenever the variable exists.
  if (process.env.PGPASSWORD === "") delete process.env.PGPASSWORD;
  const client = new pg.Client({
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    ...(c.password !== undefined ? { password: c.password } : {}),
    ssl: c.ssl,
    types: textTypes,
    application_name: `connector ${purpose} ${o.connector}`.slice(0, 63),
    connectionTimeoutMillis: 30_000,
    keepAlive: true,
    options: "-c TimeZone=UTC -c DateStyle=ISO,YMD -c extra_float_digits=1 -c client_min_messages=warning",
  });
  // A connection lost between queries surfaces as the next query's error (lostConnection), not as an uncaught event.
  client.on("error", (e) => {
    lost.set(client, e);
  });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    // pg looks in ~/.pgpass only when the server asks for a password, and keeps what it found as client.password.
    throw !client.password && askedForPassword(e) ? missingPassword(c) : connectionError(e, c, o.schema);
  }
  return client;
}

/**
 * A server that asked for a password when there was none: pg fails SCRAM itself, and for md5 and
 * cleartext sends something empty that the server refuses. A server that trusts the user never asks.
 */
const askedForPassword = (e: unknown): boolean => {
  const err = e as { code?: unknown; message?: unknown } | null;
  return err?.code === "28P01" || (typeof err?.message === "string" && /client password must be a (non-empty )?string/.test(err.message));
};

/** Every place a password may come from, in the order they are tried (README, "Run it in production"). */
export function missingPassword(c: PgConnection): UsageError {
  // Named only in the conventional form (WAREHOUSE_PASSWORD): anything else may be a password typed where the name belongs.
  const variable = c.passwordEnv ? (/^[A-Z_][A-Z0-9_]*$/.test(c.passwordEnv) ? ` (${c.passwordEnv}, which is not set)` : " (which is not set)") : "";
  return new UsageError(
    `${describeTarget(c)} asks for a password, and none was given. The password comes from the URL (postgres://${encodeURIComponent(c.user)}:<password>@…, percent-encoded), ` +
      `else the variable that destination.json's password_env names${variable}, else PGPASSWORD, else ~/.pgpass; none of them holds one.`,
  );
}
