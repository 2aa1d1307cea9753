/**
 * The streams an engine discovers. A connector with schema() has one per declared table. One
 * without has the tables and inferred columns `connector debug` wrote to the project's warehouse;
 * `connector build` freezes those into build/<target>/streams.json, so an image (which carries
 * no warehouse) discovers the same streams. With neither, discover fails and says what to do.
 */
import fs from "node:fs";
import path from "node:path";
import type { Naming } from "../normalize/naming.js";
import { parseType } from "../normalize/types.js";
import { warehouseTables } from "../project/warehouse-tables.js";
import { isPlainObject } from "../util/describe.js";
import { UsageError } from "../util/errors.js";
import type { StreamShape } from "./json-schema.js";
import { declaredStreams, readJsonFile, type EngineProject } from "./project-inputs.js";

export type EngineTarget = "airbyte" | "singer";

/** Where `connector build --target <target>` freezes a schema-less connector's streams. */
export const frozenStreamsFile = (ep: EngineProject, target: EngineTarget): string => path.join(ep.p.dir, "build", target, "streams.json");

/** The streams of the project's warehouse; undefined without a warehouse, [] for one with no table yet. */
export async function warehouseStreams(ep: EngineProject): Promise<{ file: string; streams: StreamShape[] } | undefined> {
  const w = await warehouseTables(ep.p);
  if (!w) return undefined;
  const streams = w.tables.map((t) => ({
    name: t.table,
    columns: t.columns.map((c) => ({ name: c.name, type: c.type === null ? null : parseType(c.type), pk: c.primaryKey })),
    key: t.primaryKey,
  }));
  return { file: w.file, streams };
}

/** The streams `discover` lists and a catalog may select. */
export async function engineStreams(ep: EngineProject, configuration: unknown, naming: Naming, target: EngineTarget): Promise<StreamShape[]> {
  if (ep.definition.schema) return declaredStreams(ep, configuration, naming);
  const seen = await warehouseStreams(ep);
  if (seen?.streams.length) return seen.streams;
  const frozen = frozenStreamsFile(ep, target);
  if (fs.existsSync(frozen)) return readFrozen(frozen);
  throw new UsageError(noStreams(ep, target, seen?.file));
}

/** Why a connector without schema() has no stream to offer, and what to do: at discover, or (`building`) at `connector build`. */
export function noStreams(ep: EngineProject, target: EngineTarget, warehouse: string | undefined, building = false): string {
  const rel = (f: string): string => path.relative(ep.p.dir, f) || f;
  const where = warehouse ? `the project's warehouse (${rel(warehouse)}) holds no table yet` : "the project has no warehouse yet";
  const start = `This connector has no schema(), so its streams are the tables \`connector debug\` wrote, and ${where}`;
  if (building) return `${start}, so the ${target === "airbyte" ? "image" : "tap"} could discover no stream. Declare the tables in schema(), or run \`connector debug\` first.`;
  return `${start}, nor is there a catalog frozen by \`connector build --target ${target}\` (${rel(frozenStreamsFile(ep, target))}). Declare the tables in schema(), or run \`connector debug\` first (then \`connector build --target ${target}\` for an image).`;
}

/** The frozen streams as written by `connector build`: anything else is refused, naming the file. */
function readFrozen(file: string): StreamShape[] {
  const raw = readJsonFile(file, "frozen streams");
  const ok =
    isPlainObject(raw) &&
    Array.isArray(raw.streams) &&
    raw.streams.every((s: unknown) => isPlainObject(s) && typeof s.name === "string" && Array.isArray(s.columns) && Array.isArray(s.key));
  if (!ok) throw new UsageError(`The frozen streams file ${file} is not one \`connector build\` wrote. Delete it and run \`connector build\` again.`);
  return (raw as { streams: StreamShape[] }).streams;
}

/**
 * `connector build`: a connector without schema() gets the warehouse's streams frozen into the build (the file
 * written, or undefined). With none to freeze, an Airbyte build fails, for its image could discover nothing;
 * a Singer tap still runs without a catalog, so its build only says so (`note`).
 */
export async function freezeStreams(ep: EngineProject, target: EngineTarget, note: (text: string) => void): Promise<string | undefined> {
  if (ep.definition.schema) return undefined;
  const seen = await warehouseStreams(ep);
  const file = frozenStreamsFile(ep, target);
  if (!seen?.streams.length) {
    if (fs.existsSync(file)) {
      note(`Note: the project's warehouse has no table, so ${path.relative(ep.p.dir, file)} keeps the streams it froze before.\n`);
      return undefined;
    }
    if (target === "airbyte") throw new UsageError(noStreams(ep, target, seen?.file, true));
    note(`Note: ${noStreams(ep, target, seen?.file, true)} The tap still runs without --catalog, emitting every table.\n`);
    return undefined;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ from: path.relative(ep.p.dir, seen.file), streams: seen.streams }, null, 2) + "\n");
  return file;
}
