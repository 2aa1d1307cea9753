/** Helpers of the engine tests: ajv with the protocol's formats, message parsing, a deduplicating destination in SQLite. */
import { spawn } from "node:child_process";
import Database from "better-sqlite3";
import { Ajv, type ValidateFunction } from "ajv";
import { AIRBYTE_MESSAGE } from "./airbyte-message-schema.js";
import { BIN } from "../helpers.js";

const DATE = /^\d{4}-\d{2}-\d{2}$/;
// RFC 3339 with an offset, or Airbyte's timestamp_without_timezone (no offset).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

export function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat("date", DATE);
  ajv.addFormat("date-time", DATE_TIME);
  return ajv;
}

export const airbyteMessage: ValidateFunction = newAjv().compile(AIRBYTE_MESSAGE);

export type Message = Record<string, any>;

/** Every stdout line parsed, each checked to be JSON; a partial last line (a killed process) is left out when `partialOk`. */
export function lines(stdout: string, partialOk = false): Message[] {
  const parts = stdout.split("\n");
  const last = parts.pop();
  if (last && !partialOk) throw new Error(`stdout does not end with a newline: ${last.slice(0, 200)}`);
  return parts.map((l, i) => {
    try {
      return JSON.parse(l) as Message;
    } catch {
      throw new Error(`stdout line ${i + 1} is not JSON: ${l.slice(0, 200)}`);
    }
  });
}

export function invalidMessages(messages: Message[]): string[] {
  return messages.flatMap((m) => (airbyteMessage(m) ? [] : [`${JSON.stringify(m).slice(0, 300)}: ${JSON.stringify(airbyteMessage.errors)}`]));
}

export const records = (ms: Message[]): Message[] => ms.filter((m) => m.type === "RECORD").map((m) => m.record);
export const states = (ms: Message[]): Message[] => ms.filter((m) => m.type === "STATE").map((m) => m.state);

/**
 * A deduplicating destination in SQLite: one table per stream, keyed by its primary key, the last record per key wins,
 * and the delete marker column (`_ab_cdc_deleted_at` or `_sdc_deleted_at`) marks the row deleted. `live` reads what is not deleted.
 */
export class DedupDestination {
  private readonly db = new Database(":memory:");
  private readonly tables = new Map<string, { key: string[]; columns: Set<string> }>();

  constructor(private readonly deletedColumn: string) {}

  stream(name: string, key: string[]): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS "${name}" (_key TEXT PRIMARY KEY, _data TEXT, _deleted INTEGER)`);
    this.tables.set(name, { key, columns: new Set() });
  }

  apply(stream: string, data: Message): void {
    const t = this.tables.get(stream);
    if (!t) throw new Error(`a record for the undeclared stream ${stream}`);
    const key = JSON.stringify(t.key.map((k) => data[k]));
    if (t.key.some((k) => data[k] === undefined || data[k] === null)) throw new Error(`a record without its key: ${JSON.stringify(data)}`);
    const deleted = data[this.deletedColumn] != null;
    const row = Object.fromEntries(Object.entries(data).filter(([k]) => k !== this.deletedColumn));
    if (deleted) this.db.prepare(`INSERT INTO "${stream}" VALUES (?, NULL, 1) ON CONFLICT(_key) DO UPDATE SET _deleted = 1`).run(key);
    else this.db.prepare(`INSERT INTO "${stream}" VALUES (?, ?, 0) ON CONFLICT(_key) DO UPDATE SET _data = excluded._data, _deleted = 0`).run(key, JSON.stringify(row));
  }

  /** ACTIVATE_VERSION: every row of the stream written before the version is deleted. */
  truncate(stream: string): void {
    this.db.prepare(`UPDATE "${stream}" SET _deleted = 1`).run();
  }

  live(stream: string): Message[] {
    return (this.db.prepare(`SELECT _data FROM "${stream}" WHERE _deleted = 0 ORDER BY _key`).all() as { _data: string }[]).map((r) => JSON.parse(r._data) as Message);
  }

  close(): void {
    this.db.close();
  }
}

/** Runs `connector <args>` and sends it `signal` once `states` STATE messages are out (no sleep): its exit code and both streams. */
export async function signalAfterStates(args: string[], cwd: string, states: number, signal: NodeJS.Signals = "SIGTERM"): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn("node", [BIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d));
  child.stdout.on("data", (d: Buffer) => {
    out += d;
    if (!child.killed && (out.match(/"type":"STATE"/g) ?? []).length >= states) child.kill(signal);
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  return { code, out, err };
}
