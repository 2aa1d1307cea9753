import { ExitError, UsageError } from "../util/errors.js";
import { jsonSafe } from "../util/exact.js";
import { openReader } from "../destinations/open.js";
import { projectWarehouse } from "../project/destination.js";
import { commandDestination } from "../project/destination.js";
import { project, requireFilesDir, requireProjectDir } from "../project/project.js";
import { num, renderAligned, truncate } from "../ui/format.js";
import { printJson, Ui } from "../ui/logger.js";
import { secrets, writeOut } from "../ui/output.js";

export interface InspectOptions {
  project?: string;
  limit?: string;
  json?: boolean;
  destination?: string;
  name?: string;
}

const cell = (v: unknown): string => (v === null || v === undefined ? "NULL" : Buffer.isBuffer(v) ? `<${v.length} bytes>` : typeof v === "string" ? v : String(v));

export async function inspect(table: string | undefined, opts: InspectOptions): Promise<void> {
  const ui = new Ui({ json: Boolean(opts.json), verbose: false });
  const given = opts.limit === undefined ? 20 : Number(opts.limit);
  if (!Number.isInteger(given) || given < 1) throw new UsageError(`--limit takes a whole number of at least 1, got ${JSON.stringify(opts.limit)}`);
  // A limit beyond any table's size means every row; beyond 2^53 it is no exact number for the database.
  const limit = Math.min(given, Number.MAX_SAFE_INTEGER);
  const p = project(opts.project);
  requireProjectDir(p);
  requireFilesDir(p);
  const target = commandDestination(p, opts.destination, opts.name);
  if (target?.password) secrets().add([target.password]);
  const reader = await openReader(target?.spec ?? projectWarehouse(p));
  try {
    if (table !== undefined) {
      const { columns, rows } = await reader.latestRows(table, limit);
      if (opts.json) printJson(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, jsonSafe(v)]))));
      else if (process.stdout.isTTY) writeOut(renderAligned(columns, rows.map((r) => columns.map((c) => truncate(cell(r[c]), 40)))) + "\n");
      else writeOut([columns, ...rows.map((r) => columns.map((c) => cell(r[c]).replace(/[\t\n]/g, " ")))].map((l) => l.join("\t")).join("\n") + "\n");
      return;
    }
    const tables = await reader.tables();
    const problems = tables.flatMap((t) => t.problems);
    if (opts.json) printJson({ tables, problems });
    else {
      if (tables.length === 0) ui.info("The warehouse has no tables yet.");
      else {
        const rows = tables.map((t) => [t.table, t.primaryKey.join(", "), num(t.rows), num(t.deleted), t.lastSynced ?? "never"]);
        writeOut(renderAligned(["Table", "Primary key", "Rows", "Deleted", "Last synced"], rows, (i) => i === 2 || i === 3) + "\n");
        writeOut("\nColumns (* inferred from the data, not declared in schema()):\n");
        for (const t of tables) {
          const cols = t.columns.map((c) => `${c.name} ${c.type ?? "(untyped)"}${c.declared ? "" : "*"}`).join(", ");
          writeOut(`  ${t.table}: ${cols}\n`);
        }
      }
      for (const p of problems) ui.error(`Problem: ${p}`);
    }
    if (problems.length) throw new ExitError(1);
  } finally {
    await reader.close();
  }
}
