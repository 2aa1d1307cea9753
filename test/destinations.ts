/** Reading a project's warehouse the same way whatever its destination, for tests that run over every destination. */
import path from "node:path";
import { openReader, type DestinationKind } from "../src/destinations/open.js";
import { PROJECT_FILES, type FileKind } from "./scenarios/destinations.js";
import { createRequire } from "node:module";
// Through require(), as the product loads it (src/destinations/duckdb/driver.ts): imported, its ~50 CommonJS files are scanned for their export names first.
const { DuckDBInstance } = createRequire(import.meta.url)("@duckdb/node-api") as typeof import("@duckdb/node-api");

/** The kinds `connector debug` writes, from the scenario table's list of destinations. */
export const DESTINATIONS: FileKind[] = PROJECT_FILES.map((d) => d.kind);

export const warehouseFile = (dir: string, kind: FileKind): string => path.join(dir, "files", PROJECT_FILES.find((d) => d.kind === kind)!.file);

/** The environment that makes `connector debug` write to this destination. */
export const destinationEnv = (kind: DestinationKind): Record<string, string> => ({ CONNECTOR_DESTINATION: kind });

/** A table's rows in the canonical stored form (integers as numbers or bigints, booleans 0/1, dates as ISO text), ordered by primary key. */
export async function tableRows(dir: string, kind: FileKind, table: string, drop: string[] = ["_fivetran_synced"]): Promise<Record<string, unknown>[]> {
  const reader = await openReader({ kind, file: warehouseFile(dir, kind) });
  try {
    return (await reader.rows(table)).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k))));
  } finally {
    await reader.close();
  }
}

/** Every table with its columns' logical types, as the destination's catalog records them. */
export async function catalog(dir: string, kind: FileKind): Promise<Record<string, Record<string, string | null>>> {
  const reader = await openReader({ kind, file: warehouseFile(dir, kind) });
  try {
    return Object.fromEntries((await reader.tables()).map((t) => [t.table, Object.fromEntries(t.columns.map((c) => [c.name, c.type]))]));
  } finally {
    await reader.close();
  }
}

/** Runs SQL against a project's DuckDB warehouse, read-only. */
export async function duck<T = Record<string, unknown>>(dir: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(warehouseFile(dir, "duckdb"), { access_mode: "READ_ONLY" });
  const con = await instance.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjectsJS() as T[];
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}
