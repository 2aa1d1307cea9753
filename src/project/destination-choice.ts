/**
 * Which destination a project writes to in `connector debug`: SQLite (files/warehouse.db)
 * or DuckDB (files/warehouse.duckdb, schema `tester`, as Fivetran's local tester). The
 * project remembers it by the warehouse it already has, so no flag is needed after the
 * first run, and a flag that names the other kind while data exists is refused.
 */
import fs from "node:fs";
import path from "node:path";
import type { DestinationKind, FileDestinationSpec } from "../destinations/open.js";
import { UsageError } from "../util/errors.js";
import type { Project } from "./project.js";
import { isDestinationUrl } from "./run-destination.js";
import { redactUrl } from "../destinations/postgres/url.js";

export const KINDS: readonly DestinationKind[] = ["sqlite", "duckdb"];

export function warehouseFile(p: Project, kind: DestinationKind): string {
  return kind === "duckdb" ? path.join(p.filesDir, "warehouse.duckdb") : p.warehouse;
}

/** Every file a warehouse of this kind may have, sidecars included. */
export function warehouseFiles(p: Project, kind: DestinationKind): string[] {
  return fileWithSidecars({ kind, file: warehouseFile(p, kind) });
}

/** A warehouse file and the sidecars its kind may leave beside it. */
export function fileWithSidecars({ kind, file }: FileDestinationSpec): string[] {
  return kind === "duckdb" ? [file, `${file}.wal`] : [file, `${file}-wal`, `${file}-shm`];
}

/** The kind of warehouse the project already has, if any. */
export function storedKind(p: Project): DestinationKind | undefined {
  const found = KINDS.filter((k) => fs.existsSync(warehouseFile(p, k)));
  if (found.length > 1) {
    throw new UsageError(
      `This project has two warehouses, ${warehouseFile(p, "sqlite")} and ${warehouseFile(p, "duckdb")}, so it is not clear which one to use. Move the one you no longer need away.`,
    );
  }
  return found[0];
}

export function parseKind(value: string, flag = "--destination"): DestinationKind {
  const v = value.trim().toLowerCase();
  if ((KINDS as readonly string[]).includes(v)) return v as DestinationKind;
  if (isDestinationUrl(value)) {
    throw new UsageError(`${flag} names a destination (${redactUrl(value.trim())}), which is where \`connector run\` writes; this command writes to the project's files/: "sqlite" or "duckdb".`);
  }
  throw new UsageError(`${flag} must be "sqlite" or "duckdb", got ${JSON.stringify(redactUrl(value))}`);
}

/** --destination, else CONNECTOR_DESTINATION, else the warehouse the project has, else SQLite. */
export function chooseDestination(p: Project, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): FileDestinationSpec {
  const given = flag ?? (env.CONNECTOR_DESTINATION || undefined);
  const wanted = given === undefined ? undefined : parseKind(given, flag === undefined ? "CONNECTOR_DESTINATION" : "--destination");
  const stored = storedKind(p);
  if (wanted && stored && wanted !== stored) {
    throw new UsageError(
      `This project's data is in ${stored === "duckdb" ? "DuckDB" : "SQLite"} (${warehouseFile(p, stored)}), not ${wanted === "duckdb" ? "DuckDB" : "SQLite"}. ` +
        `Run \`connector reset\` to start over with --destination ${wanted}, or drop the option to keep using ${stored}.`,
    );
  }
  const kind = wanted ?? stored ?? "sqlite";
  return { kind, file: warehouseFile(p, kind) };
}

/** The warehouse the read-only commands look at: the one the project has (SQLite when it has none yet). */
export function projectWarehouse(p: Project): FileDestinationSpec {
  const kind = storedKind(p) ?? "sqlite";
  return { kind, file: warehouseFile(p, kind) };
}
