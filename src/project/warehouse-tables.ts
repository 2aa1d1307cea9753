/** The tables of the project's own warehouse, as `connector debug` left them: the streams of a connector without schema(). */
import fs from "node:fs";
import { openReader } from "../destinations/open.js";
import type { TableSummary } from "../destinations/reader.js";
import { destinationFiles, projectWarehouse } from "./destination.js";
import type { Project } from "./project.js";

/** The warehouse's file and its tables with their columns (declared and inferred); undefined when the project has no warehouse. */
export async function warehouseTables(p: Project): Promise<{ file: string; tables: TableSummary[] } | undefined> {
  const spec = projectWarehouse(p);
  const file = destinationFiles(spec)[0];
  if (file === undefined || !fs.existsSync(file)) return undefined;
  const reader = await openReader(spec);
  try {
    return { file, tables: await reader.tables() };
  } finally {
    await reader.close();
  }
}
