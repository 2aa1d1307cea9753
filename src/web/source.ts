/** What the web view reads, and how: every read opens the warehouse read-only and closes it, so a sync can always take it. */
import fs from "node:fs";
import path from "node:path";
import { openReader, type DestinationSpec } from "../destinations/open.js";
import type { WarehouseReader } from "../destinations/reader.js";
import { readConfigurationFile } from "../project/configuration.js";
import { CRASH_DIR } from "../project/crash-reports.js";
import { destinationFiles, projectWarehouse } from "../project/destination.js";
import { readRunRecords, type RunRecord } from "../project/run-records.js";
import { configurationFile, findConnectorFile, type Project } from "../project/project.js";
import { connectorState, type ConnectorState } from "../project/state-store.js";
import { destinationOf } from "../destinations/registry.js";
import type { StateObject, StateSource } from "../state/state.js";
import { configurationSecrets } from "../util/secrets.js";
import { Redactor } from "../util/redactor.js";
import { esc } from "./html.js";

export interface ProjectSource {
  project: Project;
  connectorFile: string;
  spec: DestinationSpec;
  /** The destination as a person reads it: a file, or a PostgreSQL schema (no password). */
  location: string;
  store: ConnectorState;
  /** The state file the project's syncs write (unused where the destination keeps the state). */
  stateFile: string;
  /** Hides the configuration's secrets (and the destination's password) in everything served. */
  redactor: Redactor;
}

export function projectSource(project: Project, state: StateSource, target?: { spec: DestinationSpec; location: string; password?: string }): ProjectSource {
  const spec = target?.spec ?? projectWarehouse(project);
  // The state is where the destination keeps it, else in the state file.
  const keeper = target && destinationOf(target.spec).stateStore ? target : undefined;
  const redactor = new Redactor();
  if (target?.password) hideSecrets(redactor, [target.password]);
  try {
    const file = configurationFile(project, undefined);
    if (file) hideSecrets(redactor, configurationSecrets(undefined, readConfigurationFile(file)));
  } catch {
    // No configuration file, or one that does not parse: nothing of it to hide.
  }
  const location = target?.location ?? path.relative(project.dir, destinationOf(spec).location(spec));
  return { project, connectorFile: findConnectorFile(project), spec, location, store: connectorState(project, state, keeper), stateFile: state.file, redactor };
}

/**
 * Teaches the redactor the secrets as a page holds them: the redactor reads the finished HTML, where
 * a secret with & < > " or ' is escaped (and, inside shown JSON, JSON-escaped first).
 */
export function hideSecrets(redactor: Redactor, secrets: Iterable<string>): void {
  const forms = new Set<string>();
  for (const secret of secrets) {
    let form = secret;
    for (let i = 0; i < 3; i++) {
      forms.add(form).add(esc(form));
      form = JSON.stringify(form).slice(1, -1);
    }
  }
  redactor.add(forms);
}

/** What a read gave: its value, or why the warehouse could not be read (missing, locked by a sync, damaged), said plainly. */
export type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

export async function withReader<T>(source: ProjectSource, read: (reader: WarehouseReader) => Promise<T>): Promise<Read<T>> {
  let reader: WarehouseReader;
  try {
    reader = await openReader(source.spec);
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
  try {
    return { ok: true, value: await read(reader) };
  } finally {
    await reader.close();
  }
}

export async function readState(source: ProjectSource): Promise<Read<StateObject | undefined>> {
  try {
    return { ok: true, value: (await source.store.exists()) ? await source.store.read() : undefined };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

export interface CrashReport {
  file: string;
  time: string;
  reason: string;
  command: string[];
  error: unknown;
  counts: unknown;
  lastCheckpoint?: { seq: number | null; time: string | null };
  log: string[];
}

/** The project's crash reports, newest first. */
export function crashReports(source: ProjectSource): CrashReport[] {
  const dir = path.join(source.project.dir, CRASH_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const out: CrashReport[] = [];
  for (const name of names.sort().reverse()) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as Partial<CrashReport>;
      out.push({ file: `${CRASH_DIR}/${name}`, time: String(r.time ?? ""), reason: String(r.reason ?? ""), command: r.command ?? [], error: r.error, counts: r.counts, lastCheckpoint: r.lastCheckpoint, log: r.log ?? [] });
    } catch {
      // A file that is not a report: left out.
    }
  }
  return out;
}

/** The run records (files/runs.jsonl) of the destination this view shows, oldest first. */
export function runRecords(source: ProjectSource): RunRecord[] {
  const { spec, project } = source;
  const file = destinationFiles(spec)[0];
  const mine = (r: RunRecord): boolean =>
    r.destination?.kind === spec.kind && (file === undefined ? r.destination.location === source.location : path.resolve(project.dir, r.destination.location) === path.resolve(file));
  return readRunRecords(project.dir).filter(mine);
}
