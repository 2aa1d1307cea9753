/**
 * The configured catalog and the state file that Airbyte passes to `read`. Anything we
 * cannot read exactly is refused with a usage error naming the file (a config_error TRACE):
 * a state in a shape we never write, or one that names streams this connector does not have,
 * is never taken for an empty state.
 */
import type { StateObject } from "../state/state.js";
import { describe, isPlainObject } from "../util/describe.js";
import { UsageError } from "../util/errors.js";
import { readJsonFile } from "./project-inputs.js";

export interface ConfiguredStream {
  name: string;
  syncMode: "full_refresh" | "incremental";
  destinationSyncMode: string;
}

const SYNC_MODES = ["full_refresh", "incremental"];

/** The streams a configured catalog selects; each must be one the connector declares. */
export function readConfiguredCatalog(file: string, known: readonly string[]): ConfiguredStream[] {
  const raw = readJsonFile(file, "catalog");
  const bad = (why: string): UsageError => new UsageError(`The catalog file ${file} is not a configured catalog: ${why}.`);
  if (!isPlainObject(raw) || !Array.isArray(raw.streams)) throw bad(`it must be an object with a "streams" array, found ${describe(raw)}`);
  const out: ConfiguredStream[] = [];
  raw.streams.forEach((s: unknown, i: number) => {
    const where = `streams[${i}]`;
    if (!isPlainObject(s) || !isPlainObject(s.stream) || typeof s.stream.name !== "string") throw bad(`${where} has no stream.name`);
    const name = s.stream.name;
    if (!SYNC_MODES.includes(s.sync_mode as string)) throw bad(`${where} (${name}): sync_mode must be full_refresh or incremental, found ${describe(s.sync_mode)}`);
    if (typeof s.destination_sync_mode !== "string") throw bad(`${where} (${name}) has no destination_sync_mode`);
    if (!known.includes(name)) {
      throw new UsageError(`The catalog file ${file} selects the stream "${name}", which this connector does not have. Its streams: ${known.length ? known.join(", ") : "none (schema() declares no table)"}. Run discover again and select from its catalog.`);
    }
    if (out.some((o) => o.name === name)) throw bad(`${where}: the stream "${name}" is listed twice`);
    out.push({ name, syncMode: s.sync_mode as ConfiguredStream["syncMode"], destinationSyncMode: s.destination_sync_mode });
  });
  if (out.length === 0) throw bad("it selects no stream");
  return out;
}

/** A state file's content: our state, and the streams its GLOBAL message lists (undefined for the legacy shapes, which list none). */
export interface AirbyteState {
  state: StateObject;
  streams?: string[];
}

/**
 * Our state from a state file: the array of state messages the platform passes (one GLOBAL
 * message, as we write), a single such message, or the legacy object (the state itself, or
 * `{ "type": "LEGACY", "data": … }`).
 */
export function readAirbyteState(file: string, known: readonly string[]): AirbyteState {
  const raw = readJsonFile(file, "state");
  const refuse = (why: string): UsageError =>
    new UsageError(`The state file ${file} cannot be used: ${why}. Pass a state this connector's \`connector airbyte read\` emitted, or no --state to start over.`);
  if (Array.isArray(raw)) {
    if (raw.length === 0) return { state: {} };
    const globals = raw.filter((m) => isPlainObject(m) && m.type === "GLOBAL");
    const other = raw.find((m) => !(isPlainObject(m) && m.type === "GLOBAL"));
    if (other !== undefined) throw refuse(`it holds ${stateKind(other)}, and this connector writes only one GLOBAL state`);
    if (globals.length > 1) throw refuse(`it holds ${globals.length} GLOBAL states, and this connector writes one`);
    return fromGlobal(globals[0] as Record<string, unknown>, refuse, known);
  }
  if (!isPlainObject(raw)) throw refuse(`it holds ${describe(raw)}, not a list of state messages or a state object`);
  if (raw.type === "GLOBAL") return fromGlobal(raw, refuse, known);
  if (raw.type === "LEGACY") {
    if (!isPlainObject(raw.data)) throw refuse(`its LEGACY state's "data" is ${describe(raw.data)}, not an object`);
    return { state: raw.data as StateObject };
  }
  if (raw.type === "STREAM" || (typeof raw.type === "string" && ("stream" in raw || "global" in raw))) throw refuse(`it holds ${stateKind(raw)}, and this connector writes only one GLOBAL state`);
  // The legacy form: the state object itself.
  return { state: raw as StateObject };
}

function stateKind(m: unknown): string {
  if (!isPlainObject(m)) return describe(m);
  if (m.type === "STREAM") {
    const name = isPlainObject(m.stream) && isPlainObject(m.stream.stream_descriptor) ? m.stream.stream_descriptor.name : undefined;
    return `a per-stream (STREAM) state${typeof name === "string" ? ` for "${name}"` : ""}, written by another connector`;
  }
  return typeof m.type === "string" ? `a state of type ${m.type}` : `a message without a state type (${describe(m)})`;
}

function fromGlobal(m: Record<string, unknown>, refuse: (why: string) => UsageError, known: readonly string[]): AirbyteState {
  const g = m.global;
  if (!isPlainObject(g)) throw refuse(`its GLOBAL state has no "global" object`);
  if (!Array.isArray(g.stream_states)) throw refuse(`its GLOBAL state has no "stream_states" list`);
  const names = g.stream_states.map((s: unknown) => (isPlainObject(s) && isPlainObject(s.stream_descriptor) ? s.stream_descriptor.name : undefined));
  const strange = names.filter((n) => typeof n !== "string" || !known.includes(n));
  if (strange.length) throw refuse(`its GLOBAL state names streams this connector does not have (${strange.map((n) => JSON.stringify(n ?? null)).join(", ")}), so it was written by another connector`);
  const foreign = g.stream_states.find((s: unknown) => isPlainObject(s) && s.stream_state !== undefined && !(isPlainObject(s.stream_state) && Object.keys(s.stream_state).length === 0));
  if (foreign) throw refuse(`its GLOBAL state has per-stream states, which this connector never writes, so it was written by another connector`);
  const streams = names as string[];
  if (g.shared_state === undefined) return { state: {}, streams };
  if (!isPlainObject(g.shared_state)) throw refuse(`its shared_state is ${describe(g.shared_state)}, not an object`);
  return { state: g.shared_state as StateObject, streams };
}
