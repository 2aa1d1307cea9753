/**
 * One destination's face to the rest of the code: what it can hold (capabilities), how its
 * spec is parsed, how it is built and read back, where verify and replay put scratch copies,
 * and the optional abilities a command asks for by presence, never by the destination's name
 * (a state it keeps itself, its own lock, dropping a connector's tables, recovering the last
 * checkpoint of a stopped worker). Each `destinations/<kind>/index.ts` exports one; the table
 * is `registry.ts`. An index.ts loads its heavy client (DuckDB, pg) only on first use.
 */
import path from "node:path";
import { UsageError } from "../util/errors.js";
import type { CheckpointRecord, Destination, DestinationCapabilities } from "./destination.js";
import type { WarehouseReader } from "./reader.js";
import type { StateStore } from "../state/store.js";

/** Where a destination text was found, and what it needs to become a spec. */
export interface ParseContext {
  /** Where the text came from, for messages: --destination, CONNECTOR_DESTINATION or a destination file. */
  from: string;
  /** The connector's name in a shared destination. */
  name: string;
  /** The folder a relative file is resolved against. */
  base: string;
  /** destination.json's password_env: the variable, and its value when set. */
  passwordEnv?: { variable: string; value?: string };
}

/** A parsed destination: the spec, where it is for people (no password), and the password to hide. */
export interface Parsed<Spec> {
  spec: Spec;
  location: string;
  password?: string;
}

/** Where verify and `connector test` put scratch warehouses: a folder of their own, and for a server, the destination the user named. */
export interface ScratchPlace<Spec = unknown> {
  /** An empty folder, removed by the caller at the end. */
  dir: string;
  /** Tells this run's scratch warehouses apart from another's in a shared server. */
  id: string;
  /** The destination the user named (verify --destination <url>), beside which the scratch warehouses go. */
  beside?: Spec;
  /**
   * verify's: each scratch warehouse is read back only through the destination that wrote it (Destination.snapshot),
   * in this process, while it runs, and its syncs are interrupted in-process, never by a real crash: a kind may hold it in memory.
   */
  held?: boolean;
}

export interface DestinationModule<Spec extends { kind: string }> {
  readonly kind: Spec["kind"];
  /** Its name for people: "SQLite". */
  readonly label: string;
  /** Declared once: read by normalize (identifier length, column limit) and by the sync (a state kept in the destination). */
  readonly capabilities: DestinationCapabilities;
  /** Said beside its location in `connector debug`'s header, when a reader needs to know where to look. */
  readonly note?: string;
  /** How a destination URL of this kind is written, for messages: "sqlite:<file>". */
  readonly form: string;
  /** A destination URL of this kind as a spec; undefined when the text is not of this kind. */
  parse(text: string, context: ParseContext): Parsed<Spec> | undefined;
  /** The URL that names `spec` again, for a follow-up command (a file kind: `sqlite:<file>`); none for a server, whose location is shown. */
  url?(spec: Spec, file: (abs: string) => string): string;
  /** Where the data goes, for messages: a file path, or a URL without its password. */
  location(spec: Spec): string;
  /** A warehouse file kind: the project's own warehouse in `filesDir` (connector debug --destination <kind>). */
  projectFile?(filesDir: string): string;
  /** Every file the destination keeps, sidecars included: what reset deletes and what the project lock covers. None for a server. */
  files?(spec: Spec): string[];
  create(spec: Spec): Destination;
  openReader(spec: Spec): Promise<WarehouseReader>;
  /**
   * A scratch warehouse `name` in `place`, for verify and replay. Undefined when this kind takes no
   * scratch warehouse beside what the user named (a file: verify never writes into a real warehouse file).
   */
  scratch(place: ScratchPlace<Spec>, name: string): Spec | undefined;
  /** What verify says about where its scratch warehouses go, when they are not in a temporary folder. */
  scratchNote?(place: ScratchPlace<Spec>): string;
  /** Removes scratch warehouse `name` (or, without one, every scratch warehouse of `place`). */
  dropScratch(place: ScratchPlace<Spec>, name?: string): Promise<void>;
  /** A destination that keeps the connector's state itself (capabilities.stateInDestination). */
  stateStore?(spec: Spec, location: string): StateStore;
  /** Takes its own lock per connector (while a run holds it, no maintenance command may touch the connector); else the project's lock file. */
  readonly ownLock?: boolean;
  /** Reset of a connector kept in a shared server: drop its tables (some, or all with its state and history), under its lock. */
  reset?(spec: Spec, location: string, plan: ResetPlan): Promise<void>;
  /**
   * The newest checkpoint of run `run` after seq `after`, read once the worker that committed it stopped:
   * for a destination that commits in the connector's thread, which may stop between a commit and its acknowledgement.
   */
  recoverLastCheckpoint?(spec: Spec, run: number, after: number): CheckpointRecord | undefined;
  /**
   * Refuses, with a UsageError naming the holder, while another process holds the warehouse open by a lock of
   * the database's own that the project lock does not see (a DuckDB shell): reset asks before deleting its files.
   */
  refuseInUse?(spec: Spec): Promise<void>;
  /** A warehouse of this kind held in memory (the default kind's: open.ts memoryWarehouse). */
  memory?(): MemoryWarehouse;
}

/** A warehouse in this process's memory, gone once closed: runSync()'s default, and a recording's incremental probe. */
export interface MemoryWarehouse {
  destination: Destination;
  /** A reader over the destination's own connection, the only one that sees its rows; closing it closes the destination. */
  reader(): WarehouseReader;
}

/** What `connector reset` hands a destination that resets itself: the tables named, and how to speak and ask. */
export interface ResetPlan {
  /** --table's names; none resets everything. */
  tables?: string[];
  /** Matches the names against the connector's tables, as stored or after Fivetran naming. */
  resolve(known: string[], names: string[]): string[];
  say(text: string): void;
  /** Asks before anything is dropped (true at once with --yes). */
  confirm(): Promise<boolean>;
}

/** The file kinds' URL: `kind:<file>`, relative to `base`. */
export function parseFileUrl<K extends string>(kind: K, ext: string, text: string, context: ParseContext): Parsed<{ kind: K; file: string }> | undefined {
  const m = new RegExp(`^${kind}:(.*)$`, "i").exec(text.trim());
  if (!m) return undefined;
  const rest = m[1]!.replace(/^\/\/(?=\/)/, "");
  if (!rest) throw new UsageError(`${context.from}: ${kind}: needs a file, as in ${kind}:files/warehouse.${ext}`);
  const file = path.resolve(context.base, rest);
  return { spec: { kind, file }, location: file };
}
