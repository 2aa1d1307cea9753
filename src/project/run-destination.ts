/**
 * Where `connector run` writes, first found wins, as `fivetran run` does: `--destination <url>`,
 * else CONNECTOR_DESTINATION, else `destination.json` in the project. A URL is
 * `postgres://user:password@host:port/database?schema=name` (or postgresql://),
 * `duckdb:<file>` or `sqlite:<file>`. The password may also come from PGPASSWORD, or from
 * the variable that destination.json's `password_env` names, so it need not sit in a file.
 * The read commands (inspect, state, reset, verify) take the same `--destination`.
 */
import fs from "node:fs";
import path from "node:path";
import type { DestinationSpec } from "../destinations/open.js";
import { locationOf, parsePostgresUrl, redactUrl } from "../destinations/postgres/url.js";
import { UsageError } from "../util/errors.js";
import { jsonErrorLocation } from "../util/json.js";
import type { Project } from "./project.js";
import { warehouseFile } from "./destination-choice.js";

export interface RunTarget {
  spec: DestinationSpec;
  /** Where the data goes, for people: a URL without its password, or a file. */
  location: string;
  /** Where the destination was named: --destination, CONNECTOR_DESTINATION or the destination.json file. */
  from: string;
  /** The password, to be hidden in everything printed. */
  password?: string;
}

export const DESTINATION_FILE = "destination.json";

const FORMS = "postgres://user@host:5432/database?schema=name, duckdb:<file> or sqlite:<file>";

/** The connector's name in a shared destination: --name, else the project folder's name. */
export function connectorName(p: Project, flag: string | undefined): string {
  const name = (flag ?? path.basename(p.dir)).trim();
  if (!name) throw new UsageError("--name must not be empty");
  if (name.length > 200) throw new UsageError(`--name is ${name.length} characters long; keep a connector's name under 200`);
  return name;
}

/** Parses one destination URL; `base` is the folder a relative file is resolved against. */
export function parseDestination(text: string, from: string, name: string, base: string, passwordEnv?: { variable: string; value?: string }): RunTarget {
  const value = text.trim();
  const file = /^(duckdb|sqlite):(.*)$/i.exec(value);
  if (file) {
    const kind = file[1]!.toLowerCase() as "duckdb" | "sqlite";
    const rest = file[2]!.replace(/^\/\/(?=\/)/, "");
    if (!rest) throw new UsageError(`${from}: ${kind}: needs a file, as in ${kind}:files/warehouse.${kind === "duckdb" ? "duckdb" : "db"}`);
    const abs = path.resolve(base, rest);
    return { spec: { kind, file: abs }, location: abs, from };
  }
  if (/^postgres(ql)?:\/\//i.test(value)) {
    // An unset password_env variable is no error: PGPASSWORD (or ~/.pgpass, or a server that asks for none) may serve.
    const { connection, schema } = parsePostgresUrl(value, from, passwordEnv?.value);
    if (passwordEnv && connection.password === undefined) connection.passwordEnv = passwordEnv.variable;
    return {
      spec: { kind: "postgres", connection, schema, connector: name },
      location: locationOf(connection, schema),
      from,
      ...(connection.password !== undefined ? { password: connection.password } : {}),
    };
  }
  if (value.toLowerCase().endsWith(".json")) return readDestinationFile(path.resolve(base, value), name);
  const keywords = /^\s*[a-z_]+\s*=/i.test(value) ? `; libpq's keyword form (host=… dbname=…) is not taken: write it as a URL` : "";
  throw new UsageError(`${from} must be a destination URL (${FORMS}) or a destination JSON file, got ${JSON.stringify(redactUrl(value))}${keywords}`);
}

/** destination.json: { "url": "postgres://…", "password_env": "VARIABLE" }. */
export function readDestinationFile(file: string, name: string, env: NodeJS.ProcessEnv = process.env): RunTarget {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === "ENOENT" ? `Destination file not found: ${file}` : `Cannot read the destination file ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${jsonErrorLocation(text, e as Error)})`);
  }
  const o = parsed as Record<string, unknown>;
  if (!o || typeof o !== "object" || Array.isArray(o)) throw new UsageError(`${file} must hold a JSON object like {"url": "postgres://user@host/db?schema=name", "password_env": "PGPASSWORD_WAREHOUSE"}`);
  for (const key of Object.keys(o)) {
    if (key !== "url" && key !== "password_env") throw new UsageError(`${file}: unknown key "${key}"; the keys are url and password_env`);
  }
  if (typeof o.url !== "string" || !o.url.trim()) throw new UsageError(`${file} needs a "url": ${FORMS}`);
  if (o.password_env !== undefined && (typeof o.password_env !== "string" || !o.password_env)) throw new UsageError(`${file}: "password_env" must name an environment variable`);
  const variable = o.password_env as string | undefined;
  return parseDestination(o.url, file, name, path.dirname(file), variable ? { variable, value: env[variable] || undefined } : undefined);
}

/** --destination, else CONNECTOR_DESTINATION, else destination.json in the project; undefined when none names one. */
export function findRunDestination(p: Project, flag: string | undefined, name: string, env: NodeJS.ProcessEnv = process.env): RunTarget | undefined {
  const given = flag ?? (env.CONNECTOR_DESTINATION || undefined);
  const from = flag !== undefined ? "--destination" : "CONNECTOR_DESTINATION";
  if (given !== undefined) {
    // debug's kinds: the project's own warehouse file of that kind.
    const kind = given.trim().toLowerCase();
    if (kind === "sqlite" || kind === "duckdb") {
      const file = warehouseFile(p, kind);
      return { spec: { kind, file }, location: file, from };
    }
    return parseDestination(given, from, name, process.cwd());
  }
  const file = path.join(p.dir, DESTINATION_FILE);
  if (fs.existsSync(file)) return readDestinationFile(file, name, env);
  return undefined;
}

/** The destination of `connector run`: one must be named. */
export function runDestination(p: Project, flag: string | undefined, name: string, env: NodeJS.ProcessEnv = process.env): RunTarget {
  const found = findRunDestination(p, flag, name, env);
  if (found) return found;
  throw new UsageError(
    `connector run needs a destination: pass --destination <url>, set CONNECTOR_DESTINATION, or write ${DESTINATION_FILE} in ${p.dir} ({"url": "postgres://user@host:5432/database?schema=name", "password_env": "WAREHOUSE_PASSWORD"}). The URL is ${FORMS}.`,
  );
}

/** Whether a --destination or CONNECTOR_DESTINATION value names a destination URL or file, rather than debug's kind (sqlite, duckdb). */
export const isDestinationUrl = (value: string | undefined): value is string => value !== undefined && (/^[a-z][a-z0-9+.-]*:/i.test(value.trim()) || value.trim().toLowerCase().endsWith(".json"));

/**
 * What a maintenance command (inspect, state, reset, verify) looks at: `--destination`, else a
 * destination URL in CONNECTOR_DESTINATION; undefined means the project's own warehouse in files/.
 */
export function commandDestination(p: Project, flag: string | undefined, nameFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): RunTarget | undefined {
  const given = flag ?? (isDestinationUrl(env.CONNECTOR_DESTINATION) ? env.CONNECTOR_DESTINATION : undefined);
  if (given === undefined) return undefined;
  return findRunDestination(p, given, connectorName(p, nameFlag), env);
}
