/**
 * SQLite as a destination module: a warehouse file written inline on the connector's thread
 * (better-sqlite3 is synchronous), `files/warehouse.db` in a project. It commits in the
 * connector's own thread, so a worker stopped between a commit and its acknowledgement leaves
 * a checkpoint only the file knows: recoverLastCheckpoint reads it back.
 */
import fs from "node:fs";
import path from "node:path";
import { parseFileUrl, type DestinationModule } from "../module.js";
import { SqliteDestination } from "./destination.js";
import { CAPABILITIES } from "./file.js";
import { readerOver, sqliteReader } from "./inspect.js";
import { lastCheckpointOfRun } from "./read.js";

export interface SqliteSpec {
  kind: "sqlite";
  /** `:memory:` for a warehouse that lives as long as the process. */
  file: string;
}

export const sqlite: DestinationModule<SqliteSpec> = {
  kind: "sqlite",
  label: CAPABILITIES.label,
  capabilities: CAPABILITIES,
  form: "sqlite:<file>",
  parse: (text, context) => parseFileUrl("sqlite", "db", text, context),
  url: (spec, file) => `sqlite:${file(spec.file)}`,
  location: (spec) => spec.file,
  projectFile: (filesDir) => path.join(filesDir, "warehouse.db"),
  files: ({ file }) => [file, `${file}-wal`, `${file}-shm`],
  create: (spec) => new SqliteDestination(spec.file),
  openReader: async (spec) => sqliteReader(spec.file),
  scratch: (place, name) => (place.beside ? undefined : { kind: "sqlite", file: path.join(place.dir, `${name}.db`) }),
  dropScratch: async (place, name) => {
    if (name === undefined) return;
    for (const f of sqlite.files!({ kind: "sqlite", file: path.join(place.dir, `${name}.db`) })) fs.rmSync(f, { force: true });
  },
  recoverLastCheckpoint: (spec, run, after) => lastCheckpointOfRun(spec.file, run, after),
  memory: () => {
    const destination = new SqliteDestination(":memory:");
    return { destination, reader: () => readerOver(destination.db, () => destination.close()) };
  },
};
