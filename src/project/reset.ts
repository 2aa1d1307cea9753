import fs from "node:fs";
import { UsageError } from "../util/errors.js";
import { normalizeName } from "../normalize/naming.js";
import type { Project } from "./project.js";
import type { Destination } from "../destinations/destination.js";
import { destinationFiles, PROJECT_KINDS, warehouseFiles } from "./destination.js";
import { DEFAULT_KIND, type DestinationSpec } from "../destinations/registry.js";
import { leftoverTempFiles } from "../state/state.js";

export interface ResetTarget {
  file: string;
  exists: boolean;
}

/**
 * What a full reset deletes: the state file, the temp files an interrupted write of it left, and the warehouse
 * (the project's own, of each kind it has, or the file `warehouse` names) with its sidecars, nothing else.
 */
export function resetTargets(p: Project, stateFile: string, warehouse?: DestinationSpec): ResetTarget[] {
  // The files of each kind of warehouse the project has (any of them left behind), else the default kind's, named as absent.
  const kinds = presentKinds(p);
  const warehouses = warehouse ? destinationFiles(warehouse) : (kinds.length ? kinds : [DEFAULT_KIND]).flatMap((k) => warehouseFiles(p, k));
  const leftovers = leftoverTempFiles(stateFile, true);
  return [stateFile, ...leftovers, ...new Set(warehouses)].map((file) => ({ file, exists: fs.existsSync(file) }));
}

/** The kinds of warehouse of which the project has any file in files/. */
export const presentKinds = (p: Project) => PROJECT_KINDS.filter((k) => warehouseFiles(p, k).some((f) => fs.existsSync(f)));

export function deleteTargets(targets: ResetTarget[]): string[] {
  const deleted: string[] = [];
  for (const t of targets) {
    try {
      fs.unlinkSync(t.file);
      deleted.push(t.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new UsageError(`Cannot delete ${t.file}: ${(e as Error).message}`);
    }
  }
  return deleted;
}

/** Matches names as stored, or as they would be after Fivetran naming, so `--table userData` finds user_data. */
export function resolveTables(known: string[], names: string[]): string[] {
  const has = new Set(known);
  return names.map((n) => {
    if (has.has(n)) return n;
    const normal = normalizeName(n, "table");
    if (has.has(normal)) return normal;
    throw new UsageError(`No table "${n}" in the warehouse. Tables: ${known.length ? known.sort().join(", ") : "(none)"}`);
  });
}

/** Drops tables' rows and column metadata in one transaction; the state and other tables are untouched. */
export function dropTables(d: Destination, tables: string[]): void {
  try {
    for (const table of tables) d.apply({ kind: "dropTable", table });
    d.commit(null, () => {});
  } catch (e) {
    d.rollback();
    throw e;
  }
}
