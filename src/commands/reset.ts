import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../util/errors.js";
import { lockProjectAndWarehouses } from "../project/lock.js";
import { project, requireProjectDir, stateSource } from "../project/project.js";
import { deleteTargets, dropTables, presentKinds, resetTargets, resolveTables } from "../project/reset.js";
import { createDestination } from "../destinations/open.js";
import { destinationOf, type DestinationSpec } from "../destinations/registry.js";
import { commandDestination, destinationFiles, isProjectWarehouse, projectSpec, projectWarehouse, warehouseFiles } from "../project/destination.js";
import { Ui } from "../ui/logger.js";
import { canPrompt, confirm } from "../ui/prompt.js";
import { secrets } from "../ui/output.js";

export interface ResetOptions {
  state?: string;
  table?: string[];
  yes?: boolean;
  destination?: string;
  name?: string;
}

export async function reset(dir: string | undefined, opts: ResetOptions): Promise<void> {
  const ui = new Ui({ json: false, verbose: false });
  const p = project(dir);
  requireProjectDir(p);
  const state = stateSource(p, opts.state);
  if (!opts.yes && !canPrompt()) {
    throw new UsageError("connector reset deletes data and asks first, but there is no terminal to ask on. Pass --yes to reset without asking.");
  }
  const target = commandDestination(p, opts.destination, opts.name);
  if (target?.password) secrets().add([target.password]);
  // A destination that resets a connector itself (a server shared by connectors) does, under its own lock.
  const resets = target && destinationOf(target.spec).reset;
  if (target && resets) {
    const yes = Boolean(opts.yes);
    return resets(target.spec, target.location, { tables: opts.table, resolve: resolveTables, say: (text) => ui.info(text), confirm: async () => yes || confirm("Continue?") });
  }
  // A file destination (`connector run --destination sqlite:…` or duckdb:…) is reset like the project's own warehouse, with its state file.
  const warehouse = target?.spec;
  const next = warehouse && !isProjectWarehouse(p, warehouse) ? "`connector run`" : "`connector debug`";
  // The warehouse files too: another project's \`connector run\` may be writing to them.
  const files = warehouse ? destinationFiles(warehouse).slice(0, 1) : opts.table?.length ? warehouseFile(projectWarehouse(p)) : presentWarehouses(p);
  const release = lockProjectAndWarehouses(p, "reset", files);
  try {
    if (opts.table?.length) await resetTables(ui, warehouse ?? projectWarehouse(p), opts.table, state.file, Boolean(opts.yes), next);
    else await resetAll(ui, p, warehouse, state.file, Boolean(opts.yes), next);
  } finally {
    release();
  }
}

/** The warehouse of each kind that has any file in files/: what a full reset deletes. */
const presentWarehouses = (p: ReturnType<typeof project>): string[] => presentKinds(p).map((k) => warehouseFiles(p, k)[0]!);

/** The main file of a warehouse, which the lock covers. */
const warehouseFile = (spec: DestinationSpec): string[] => destinationFiles(spec).slice(0, 1);

async function resetAll(ui: Ui, p: ReturnType<typeof project>, warehouse: DestinationSpec | undefined, stateFile: string, yes: boolean, next: string): Promise<void> {
  const targets = resetTargets(p, stateFile, warehouse);
  const present = targets.filter((t) => t.exists);
  const shown = (file: string): string => path.relative(process.cwd(), file) || file;
  const absent = targets.filter((t) => !t.exists);
  if (absent.length) ui.info(`Not present, nothing to delete: ${absent.map((t) => shown(t.file)).join(", ")}`);
  if (present.length === 0) {
    ui.info(`Nothing to reset: the next ${next} is already a first run.`);
    return;
  }
  // A database's own lock (a DuckDB shell holding the file) is one the project lock does not see.
  for (const spec of warehouse ? [warehouse] : presentKinds(p).map((k) => projectSpec(p, k))) await destinationOf(spec).refuseInUse?.(spec);
  ui.info(`This deletes:\n${present.map((t) => `  ${shown(t.file)}`).join("\n")}`);
  if (!yes && !(await confirm("Continue?"))) {
    ui.info("Reset cancelled; nothing was deleted.");
    return;
  }
  for (const file of deleteTargets(present)) ui.info(`Deleted ${shown(file)}`);
  ui.info(`Reset done: the next ${next} is a historical sync from {}.`);
}

async function resetTables(ui: Ui, spec: DestinationSpec, names: string[], stateFile: string, yes: boolean, next: string): Promise<void> {
  const [file] = destinationFiles(spec);
  if (file !== undefined && !fs.existsSync(file)) throw new UsageError(`No warehouse at ${file}: there are no tables to reset.`);
  const destination = createDestination(spec);
  try {
    await destination.ready?.();
    const catalog = destination.open();
    const tables = resolveTables(catalog.tables.map((t) => t.name), names);
    ui.info(`This drops the rows and column metadata of: ${tables.join(", ")}. The state and the other tables are kept.`);
    if (!yes && !(await confirm("Continue?"))) {
      ui.info("Reset cancelled; nothing was dropped.");
      return;
    }
    dropTables(destination, tables);
    ui.info(`Dropped ${tables.join(", ")}.`);
    ui.info(
      `The state in ${stateFile} still holds the cursor for ${tables.length > 1 ? "these tables" : "this table"}, so the next sync resumes from it and will not reload the dropped rows. ` +
        `Remove that cursor first, for example with \`connector state unset <key>\` (see \`connector state show\`), then run ${next}.`,
    );
  } finally {
    destination.close();
  }
}
