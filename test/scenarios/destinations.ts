/**
 * The destinations every scenario runs on (test/e2e/every-destination.test.ts). A new
 * destination is one more row here: how a sync is run into it, where its state is kept, and
 * how its warehouse is read (test/support/warehouse.ts).
 */
import fs from "node:fs";
import path from "node:path";
import type { DestinationKind, DestinationSpec } from "../../src/destinations/open.js";
// The built package, as the CLI runs it: DuckDB's writer thread loads dist/'s JavaScript.
import { loadConnector } from "../../dist/project/loader.js";
import { findConnectorFile, project } from "../../dist/project/project.js";
import { runSync, SyncError, type Counts, type Naming, type RunSyncResult } from "../../dist/testing.js";
import { cli, type CliResult } from "../helpers.js";
import type { TestServer } from "../support/postgres.js";
import { freshSchema } from "../support/use-postgres.js";
import { duckdbWarehouse, postgresWarehouse, sqliteWarehouse, type Warehouse } from "../support/warehouse.js";

/** What a sync in this process said instead of a CLI's output. */
export interface InProcess {
  counts: Counts;
  /** The error's message and the warnings, one a line. */
  said: string;
  /** The state the sync started from. */
  from: unknown;
  /** The state of the last checkpoint committed. */
  state: unknown;
}

/** A sync's outcome: the spawned CLI's, or (`inProcess`) runSync's, with no output of its own and exit 1 for a failed sync. */
export type Ran = CliResult & { inProcess?: InProcess };

/** One scenario's project on one destination. */
export interface Target {
  /** Syncs the project into the destination. */
  sync(): Promise<Ran>;
  /**
   * Where sync() spawns the CLI: the same sync in this process, for the steps that assert nothing only
   * the CLI prints (scenario.ts, `spawned`).
   */
  syncHere?(): Promise<Ran>;
  /** `connector reset`: everything the syncs wrote there, the state included. */
  reset(): Promise<CliResult>;
  /** The flags that point `connector inspect` at the destination. */
  inspect: string[];
  /** How the sync prints the state it starts from. */
  previousState(state: object): string;
  state(): Promise<unknown>;
  /** Replaces the stored state, as an older version of the connector would have left it. */
  setState(state: object): Promise<void>;
  /** Whether the destination holds anything of this connector yet. */
  exists(): Promise<boolean>;
  warehouse(): Promise<Warehouse>;
}

export interface Destination {
  kind: string;
  target(dir: string): Target;
}

const NAME = "example";
const stateFile = (dir: string): string => path.join(dir, "files", "state.json");
const fileState = (dir: string) => ({
  state: async () => JSON.parse(fs.readFileSync(stateFile(dir), "utf8")) as unknown,
  setState: async (state: object) => fs.writeFileSync(stateFile(dir), JSON.stringify(state)),
  previousState: (state: object) => `Previous state:\n${JSON.stringify(state, null, 2)}`,
});

/** The destinations kept in a file of the project's own. */
export type FileKind = Extract<DestinationSpec, { file: string }>["kind"];

/** `connector debug` into a warehouse file of the project, the state in files/state.json. */
function projectFile(kind: FileKind, file: string, open: (file: string) => Warehouse | Promise<Warehouse>): Destination & { kind: FileKind; file: string } {
  return {
    kind,
    file,
    target: (dir) => ({
      ...fileState(dir),
      sync: () => cli(["debug", "--destination", kind], { cwd: dir }),
      reset: () => cli(["reset", "--yes"], { cwd: dir }),
      inspect: [],
      exists: async () => fs.existsSync(path.join(dir, "files", file)),
      warehouse: async () => open(path.join(dir, "files", file)),
    }),
  };
}

/** The destinations `connector debug` writes: a warehouse file in the project's files/ (verify and widening run on these too, in destinations.test.ts). */
export const PROJECT_FILES = [projectFile("sqlite", "warehouse.db", sqliteWarehouse), projectFile("duckdb", "warehouse.duckdb", duckdbWarehouse)];

const readJson = (file: string): unknown => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined);

/**
 * As `connector debug` syncs into a warehouse file, but in this process: the connector loaded as the CLI
 * loads it, runSync() into the project's files/, the committed state kept in files/state.json for the next
 * step. A spawned CLI costs a second or more of CPU (DuckDB's library compiled again in every process); here
 * the library and its writer thread are loaded once per test file. What the CLI prints of its own (the
 * summary, log lines, source locations) is asserted on the destination that keeps the spawned CLI.
 */
function inProcess(kind: FileKind, file: string, open: (file: string) => Warehouse | Promise<Warehouse>): Destination {
  const cliTarget = projectFile(kind, file, open).target;
  return { kind, target: (dir) => ({ ...cliTarget(dir), sync: () => syncHere(dir, kind) }) };
}

/** Syncs a project into its warehouse file of `kind` in this process, as `connector debug --destination <kind>` would (see inProcess). */
export async function syncHere(dir: string, kind: DestinationKind, options: { naming?: Naming } = {}): Promise<Ran> {
  fs.mkdirSync(path.join(dir, "files"), { recursive: true });
  const from = readJson(stateFile(dir)) ?? {};
  const ran = await syncInto(dir, `${kind}:${path.join(dir, "files", PROJECT_FILES.find((d) => d.kind === kind)!.file)}`, { state: from, ...options });
  fs.writeFileSync(stateFile(dir), JSON.stringify(ran.inProcess!.state));
  return ran;
}

/**
 * runSync() of the project's connector and configuration into `destination` (as `connector run --destination`
 * takes it), in this process, starting from `state` (default {}), or from the state the destination keeps
 * itself; `from` in the result is the state the sync says it started from (runSync's previousState).
 */
export async function syncInto(dir: string, destination: string, options: { state?: unknown; name?: string; naming?: Naming } = {}): Promise<Ran> {
  const { state = {}, name, naming } = options;
  // connector.ts, .mts, .js or .mjs, found as the CLI finds it.
  const definition = await loadConnector(findConnectorFile(project(dir)));
  let result: RunSyncResult;
  let error: SyncError | undefined;
  try {
    result = await runSync(definition, {
      destination,
      ...(name ? { name } : {}),
      ...(naming ? { naming } : {}),
      state: state as Record<string, unknown>,
      configuration: readJson(path.join(dir, "configuration.json")) ?? {},
      keepRows: false,
      keepCheckpoints: false,
    });
  } catch (e) {
    if (!(e instanceof SyncError)) throw e;
    error = e;
    result = e.result;
  }
  const said = [error?.message ?? "", ...result.warnings].join("\n");
  return { exitCode: error ? 1 : 0, stdout: "", stderr: said, inProcess: { counts: result.counts, said, from: result.previousState, state: result.state } };
}

/**
 * Every destination; `pg` is the file's database on the shared PostgreSQL server (usePostgres). SQLite
 * keeps the spawned CLI (`connector debug`) for every step whose CLI output is asserted and for at least
 * one step of each scenario, and syncs the other steps in this process; DuckDB and PostgreSQL sync in
 * this process, each loading its client and writer thread once per test file.
 */
export function destinations(pg: () => TestServer): Destination[] {
  const sqlite = PROJECT_FILES[0]!;
  return [
    { kind: sqlite.kind, target: (dir) => ({ ...sqlite.target(dir), syncHere: () => syncHere(dir, sqlite.kind) }) },
    inProcess("duckdb", "warehouse.duckdb", duckdbWarehouse),
    {
      kind: "postgres",
      target: (dir) => {
        const schema = freshSchema("ex");
        const url = () => pg().url(pg().database, schema);
        const at = () => ["--destination", url(), "--name", NAME];
        const table = `"${schema}"._connector_state`;
        const stored = async () => (await pg().sql<{ state: unknown }>(`SELECT state FROM ${table} WHERE connector = $1`, [NAME]))[0]?.state;
        return {
          // In this process, as `connector run` syncs: the state is the destination's own (_connector_state), read by the sync, not passed to it.
          sync: async () => syncInto(dir, url(), { name: NAME }),
          reset: () => cli(["reset", ...at(), "--yes"], { cwd: dir }),
          get inspect() {
            return at();
          },
          previousState: (state) => `Previous state: ${JSON.stringify(state)}`,
          state: stored,
          setState: async (state) => void (await pg().sql(`UPDATE ${table} SET state = $2 WHERE connector = $1`, [NAME, JSON.stringify(state)])),
          exists: async () => (await pg().sql("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = '_connector_columns'", [schema])).length > 0,
          warehouse: async () => postgresWarehouse(pg(), schema, NAME),
        };
      },
    },
  ];
}
