import fs from "node:fs";
import { UsageError } from "../util/errors.js";
import { normalizeName } from "../normalize/naming.js";
import type { Project } from "./project.js";
import type { Warehouse } from "../destinations/sqlite/warehouse.js";

export interface ResetTarget {
  file: string;
  exists: boolean;
}

/** What a full reset deletes: the state file and the warehouse with its WAL sidecars, nothing else. */
export function resetTargets(p: Project, stateFile: string): ResetTarget[] {
  return [stateFile, p.warehouse, `${p.warehouse}-wal`, `${p.warehouse}-shm`].map((file) => ({ file, exists: fs.existsSync(file) }));
}

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
export function resolveTables(w: Warehouse, names: string[]): string[] {
  const known = [...w.tables.keys()];
  return names.map((n) => {
    if (w.tables.has(n)) return n;
    const normal = normalizeName(n, "table");
    if (w.tables.has(normal)) return normal;
    throw new UsageError(`No table "${n}" in the warehouse. Tables: ${known.length ? known.sort().join(", ") : "(none)"}`);
  });
}

/** Drops tables' rows and column metadata in one transaction; the state and other tables are untouched. */
export function dropTables(w: Warehouse, tables: string[]): void {
  w.begin();
  try {
    for (const t of tables) w.dropTable(t);
    w.commit();
  } catch (e) {
    w.rollback();
    throw e;
  }
}
