/**
 * Which destination a command writes to or reads, from a flag, the environment or a file.
 *
 * `connector run`, first found wins, as `fivetran run` does: `--destination <url>`, else
 * CONNECTOR_DESTINATION, else `destination.json` in the project. Each destination module
 * parses its own URLs (registry.ts); the password may also come from the variable that
 * destination.json's `password_env` names, so it need not sit in a file.
 *
 * `connector debug` writes to the project's own warehouse in files/, of a kind that keeps a
 * file there (SQLite, DuckDB). The project remembers the kind by the warehouse it already has,
 * so no flag is needed after the first run, and a flag naming another kind while data exists
 * is refused. The maintenance commands (inspect, state, reset, verify) take the same `--destination`.
 */
import fs from "node:fs";
import path from "node:path";
import { allDestinations, DEFAULT_KIND, destinationForms, destinationOf, parseDestinationUrl, type DestinationKind, type DestinationSpec } from "../destinations/registry.js";
import { UsageError } from "../util/errors.js";
import { jsonErrorLocation } from "../util/json.js";
import { redactUrl } from "../util/redact-url.js";
import type { Project } from "./project.js";

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

/** The URL forms, for messages: the server first, then the files. */
const FORMS = destinationForms();

/** The kinds that keep a warehouse in the project's files/: what `connector debug --destination` takes. */
export const PROJECT_KINDS: readonly DestinationKind[] = allDestinations()
  .filter((m) => m.projectFile)
  .map((m) => m.kind);

const quotedKinds = (): string => PROJECT_KINDS.map((k) => JSON.stringify(k)).join(" or ");

/** The connector's name in a shared destination: --name, else the project folder's name. */
export function connectorName(p: Project, flag: string | undefined): string {
  const name = (flag ?? path.basename(p.dir)).trim();
  if (!name) throw new UsageError("--name must not be empty");
  if (name.length > 200) throw new UsageError(`--name is ${name.length} characters long; keep a connector's name under 200`);
  return name;
}

/** Parses one destination URL; `base` is the folder a relative file is resolved against. */
function parseDestination(text: string, from: string, name: string, base: string, passwordEnv?: { variable: string; value?: string }): RunTarget {
  const value = text.trim();
  const parsed = parseDestinationUrl(value, { from, name, base, passwordEnv });
  if (parsed) return { ...parsed, from };
  if (value.toLowerCase().endsWith(".json")) return readDestinationFile(path.resolve(base, value), name);
  const keywords = /^\s*[a-z_]+\s*=/i.test(value) ? `; libpq's keyword form (host=… dbname=…) is not taken: write it as a URL` : "";
  throw new UsageError(`${from} must be a destination URL (${FORMS}) or a destination JSON file, got ${JSON.stringify(redactUrl(value))}${keywords}`);
}

/** A name an environment variable can have in a shell. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** destination.json: { "url": "postgres://…", "password_env": "VARIABLE" }. */
function readDestinationFile(file: string, name: string, env: NodeJS.ProcessEnv = process.env): RunTarget {
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
  // A password typed where its variable's name belongs must not be printed back as an unset variable's name.
  if (typeof o.password_env === "string" && !ENV_NAME.test(o.password_env)) {
    throw new UsageError(`${file}: "password_env" holds the name of the environment variable that holds the password (letters, digits and _, such as WAREHOUSE_PASSWORD), and its value is no such name (not shown, in case it is the password itself: put that in the variable)`);
  }
  const variable = o.password_env as string | undefined;
  return parseDestination(o.url, file, name, path.dirname(file), variable ? { variable, value: env[variable] || undefined } : undefined);
}

/** --destination, else CONNECTOR_DESTINATION, else destination.json in the project; undefined when none names one. */
function findRunDestination(p: Project, flag: string | undefined, name: string, env: NodeJS.ProcessEnv = process.env): RunTarget | undefined {
  const given = flag ?? (env.CONNECTOR_DESTINATION || undefined);
  const from = flag !== undefined ? "--destination" : "CONNECTOR_DESTINATION";
  if (given !== undefined) {
    // debug's kinds: the project's own warehouse file of that kind.
    const kind = PROJECT_KINDS.find((k) => k === given.trim().toLowerCase());
    if (kind) {
      const spec = projectSpec(p, kind);
      return { spec, location: destinationOf(spec).location(spec), from };
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

/** The project's own warehouse of a kind, in files/. */
export function projectSpec(p: Project, kind: DestinationKind): DestinationSpec {
  return { kind, file: destinationOf(kind).projectFile!(p.filesDir) } as DestinationSpec;
}

/** A warehouse for the header of `connector debug`: where it is, and what a reader should know of it (DuckDB's schema). */
export function describeWarehouse(spec: DestinationSpec): { location: string; note?: string } {
  const m = destinationOf(spec);
  return { location: m.location(spec), ...(m.note ? { note: m.note } : {}) };
}

/** Every file a destination keeps, sidecars included; none for a server. */
export const destinationFiles = (spec: DestinationSpec): string[] => destinationOf(spec).files?.(spec) ?? [];

/** Every file the project's warehouse of this kind may have. */
export const warehouseFiles = (p: Project, kind: DestinationKind): string[] => destinationFiles(projectSpec(p, kind));

/** Whether a file destination is the project's own warehouse, which `connector debug` writes. */
export const isProjectWarehouse = (p: Project, spec: DestinationSpec): boolean => PROJECT_KINDS.some((k) => destinationFiles(projectSpec(p, k))[0] === destinationFiles(spec)[0]);

/** The kind of warehouse the project already has, if any. */
function storedKind(p: Project): DestinationKind | undefined {
  const found = PROJECT_KINDS.filter((k) => fs.existsSync(destinationFiles(projectSpec(p, k))[0]!));
  if (found.length > 1) {
    const files = found.map((k) => destinationFiles(projectSpec(p, k))[0]);
    throw new UsageError(`This project has two warehouses, ${files.join(" and ")}, so it is not clear which one to use. Move the one you no longer need away.`);
  }
  return found[0];
}

export function parseKind(value: string, flag = "--destination"): DestinationKind {
  const v = value.trim().toLowerCase();
  const kind = PROJECT_KINDS.find((k) => k === v);
  if (kind) return kind;
  if (isDestinationUrl(value)) {
    throw new UsageError(`${flag} names a destination (${redactUrl(value.trim())}), which is where \`connector run\` writes; this command writes to the project's files/: ${quotedKinds()}.`);
  }
  throw new UsageError(`${flag} must be ${quotedKinds()}, got ${JSON.stringify(redactUrl(value))}`);
}

/** --destination, else CONNECTOR_DESTINATION, else the warehouse the project has, else the default kind (SQLite). */
export function chooseDestination(p: Project, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): DestinationSpec {
  const given = flag ?? (env.CONNECTOR_DESTINATION || undefined);
  const wanted = given === undefined ? undefined : parseKind(given, flag === undefined ? "CONNECTOR_DESTINATION" : "--destination");
  const stored = storedKind(p);
  if (wanted && stored && wanted !== stored) {
    const label = (k: DestinationKind): string => destinationOf(k).label;
    throw new UsageError(
      `This project's data is in ${label(stored)} (${destinationFiles(projectSpec(p, stored))[0]}), not ${label(wanted)}. ` +
        `Run \`connector reset\` to start over with --destination ${wanted}, or drop the option to keep using ${stored}.`,
    );
  }
  return projectSpec(p, wanted ?? stored ?? DEFAULT_KIND);
}

/** The warehouse the read-only commands look at: the one the project has (the default kind when it has none yet). */
export function projectWarehouse(p: Project): DestinationSpec {
  return projectSpec(p, storedKind(p) ?? DEFAULT_KIND);
}

/** The kind of scratch warehouse for verify and `connector test`: debug's choice (a flag, or CONNECTOR_DESTINATION naming a kind), else the project's. */
export function scratchKind(p: Project, flag?: string, env: NodeJS.ProcessEnv = process.env): DestinationKind {
  if (flag === undefined && isDestinationUrl(env.CONNECTOR_DESTINATION)) return projectWarehouse(p).kind;
  return chooseDestination(p, flag, env).kind;
}
