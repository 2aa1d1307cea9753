/**
 * DuckDB as a destination module: a warehouse file (schema `tester`, as Fivetran's local
 * tester), written by a client in a writer thread behind `threaded/`. Nothing here loads
 * DuckDB: the writer thread imports destination.ts, and the reader is imported on first use.
 */
import fs from "node:fs";
import path from "node:path";
import type { DestinationCapabilities } from "../destination.js";
import { parseFileUrl, type DestinationModule } from "../module.js";
import { ThreadedDestination } from "../threaded/threaded-destination.js";

export interface DuckdbSpec {
  kind: "duckdb";
  file: string;
  /** A scratch warehouse of verify's held in its writer thread's memory (held.ts): `file` only marks it, no reader can open it. */
  memory?: boolean;
}

const capabilities: DestinationCapabilities = { label: "DuckDB", maxIdentifierLength: 255, maxColumns: 10_000 };
const files = ({ file }: { file: string }): string[] => [file, `${file}.wal`];

export const duckdb: DestinationModule<DuckdbSpec> = {
  kind: "duckdb",
  label: capabilities.label,
  note: "DuckDB, schema tester",
  capabilities,
  form: "duckdb:<file>",
  parse: (text, context) => parseFileUrl("duckdb", "duckdb", text, context),
  url: (spec, file) => `duckdb:${file(spec.file)}`,
  location: (spec) => spec.file,
  projectFile: (filesDir) => path.join(filesDir, "warehouse.duckdb"),
  files,
  create: (spec) =>
    new ThreadedDestination({
      kind: "duckdb",
      location: spec.file,
      capabilities,
      module: new URL("./destination.js", import.meta.url).href,
      options: { file: spec.file, ...(spec.memory ? { memory: true } : {}) },
    }),
  openReader: async (spec) => {
    if (spec.memory) throw new Error(`the scratch warehouse ${spec.file} is held in its writer thread's memory: only its destination reads it back`);
    return (await import("./reader.js")).duckdbReader(spec.file);
  },
  scratch: (place, name) => (place.beside ? undefined : { kind: "duckdb", file: path.join(place.dir, `${name}.duckdb`), ...(place.held ? { memory: true } : {}) }),
  dropScratch: async (place, name) => {
    if (name === undefined) return;
    for (const f of files({ file: path.join(place.dir, `${name}.duckdb`) })) fs.rmSync(f, { force: true });
  },
  refuseInUse: async (spec) => (await import("./in-use.js")).refuseInUse(spec.file),
};
