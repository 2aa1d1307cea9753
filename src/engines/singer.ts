/**
 * `connector singer`: the project's connector as a Singer tap (Singer specification, and the
 * Meltano SDK's --about). stdout carries the messages only; logs and the connector's own
 * output go to stderr, secrets masked. A failure is a CRITICAL line on stderr and exit code 1
 * (2 for unusable input).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import fs from "node:fs";
import { namingOption } from "../normalize/naming.js";
import { configurationFile } from "../project/project.js";
import { formSecrets } from "../setup/form.js";
import type { StateObject } from "../state/state.js";
import { runConnectorSync } from "../sync/run-sync.js";
import { describe, isPlainObject } from "../util/describe.js";
import { InterruptedError, UsageError } from "../util/errors.js";
import { toError } from "../util/thrown.js";
import { engineStreams } from "./catalog-streams.js";
import { exitCodeOf, failureText, trapSignals, trapUncaught } from "./failure.js";
import { streamSchema, type StreamShape } from "./json-schema.js";
import { MessageOut, writeStderr } from "./message-out.js";
import { asConnectorConfiguration, declaredStreams, loadProject, readConfiguration, readJsonFile, validConfiguration, type EngineProject } from "./project-inputs.js";
import { SDC_DELETED, SingerMessages } from "./singer-protocol.js";
import { singerRotation } from "./rotation.js";
import { configurationSpec } from "./spec.js";
import { slug } from "./build-files.js";
import { StreamDestination } from "./stream-destination.js";

export interface SingerOptions {
  config?: string;
  state?: string;
  catalog?: string;
  discover?: boolean;
  about?: boolean;
  format?: string;
  naming?: string;
}

export const CAPABILITIES = ["catalog", "discover", "state", "about", "activate-version"];

const SDK_VERSION = (JSON.parse(fs.readFileSync(path.resolve(fileURLToPath(import.meta.url), "../../../package.json"), "utf8")) as { version: string }).version;

export async function singerTap(dir: string | undefined, opts: SingerOptions): Promise<number> {
  const out = new MessageOut();
  out.capture((_stream, line) => writeStderr(line));
  const log = (level: string, message: string): void => writeStderr(`${level} ${out.redactor.text(message)}`);
  let code = 0;
  let ended = false;
  trapUncaught((e) => {
    log(ended ? "WARNING" : "CRITICAL", `the connector threw${ended ? " after the tap ended" : ""}: ${failureText(e)}`);
    if (!ended) {
      out.end();
      process.exit(1);
    }
  });
  // SIGTERM (Meltano cancelling a run) or Ctrl-C fails the sync in progress; between syncs it ends the tap.
  trapSignals((e) => {
    log("CRITICAL", failureText(e));
    if (!ended) out.end();
    process.exit(exitCodeOf(e));
  });
  try {
    if (opts.format !== undefined && !opts.about) throw new UsageError("--format goes with --about.");
    const ep = await loadProject(dir);
    if (opts.about) about(out, ep, opts.format);
    else {
      const file = opts.config ?? configurationFile(ep.p, undefined);
      const { configuration, secrets, raw } = file ? readConfiguration(ep, file) : { configuration: asConnectorConfiguration(ep.definition, {}, "(none)"), secrets: [], raw: {} };
      out.redactor.add([...secrets, ...formSecrets(ep.definition, configuration)]);
      singerRotation(out.redactor, file, raw, ep.connectorFile, (message) => log("WARNING", message));
      const naming = namingOption(opts.naming);
      const valid = await validConfiguration(ep, configuration, file ?? "(none)");
      // Without --discover or --catalog no stream list is needed: a connector without schema() emits what it syncs.
      const streams = opts.discover || opts.catalog ? await engineStreams(ep, valid, naming, "singer") : await declaredStreams(ep, valid, naming);
      if (opts.discover) out.line(JSON.stringify({ streams: streams.map(catalogEntry) }, null, 2));
      else code = await sync(out, log, ep, { configuration, file, naming, streams, opts });
    }
  } catch (e) {
    log("CRITICAL", failureText(e));
    code = exitCodeOf(e);
  }
  ended = true;
  out.end();
  return code;
}

async function sync(
  out: MessageOut,
  log: (level: string, message: string) => void,
  ep: EngineProject,
  a: { configuration: unknown; file: string | undefined; naming: ReturnType<typeof namingOption>; streams: StreamShape[]; opts: SingerOptions },
): Promise<number> {
  const selected = a.opts.catalog ? readSingerCatalog(a.opts.catalog, a.streams.map((s) => s.name)) : undefined;
  const state = a.opts.state ? readSingerState(a.opts.state) : {};
  const destination = new StreamDestination(new SingerMessages(out, selected));
  const outcome = await runConnectorSync({
    definition: ep.definition,
    configuration: a.configuration,
    state,
    sources: { configurationFile: a.file, stateFile: a.opts.state, resetHint: "a run without --state" },
    destination,
    naming: a.naming,
    logger: { log: (level, message) => log(level, message) },
    events: { warning: (message) => log("WARNING", message), ready: (inputs) => inputs.warnings.forEach((w) => log("WARNING", w)) },
  });
  for (const [table, n] of destination.dropped) log("INFO", `${n} operation(s) on "${table}" were dropped: the catalog does not select that stream.`);
  if (outcome.status === "succeeded") {
    log("INFO", `Sync succeeded: ${destination.records} record(s).`);
    return 0;
  }
  log("CRITICAL", failureText(toError(outcome.error)));
  return outcome.error instanceof InterruptedError ? exitCodeOf(outcome.error) : 1;
}

/** A stream as `--discover` lists it, selected, with its key in the metadata. */
function catalogEntry(s: StreamShape): object {
  return {
    tap_stream_id: s.name,
    stream: s.name,
    schema: streamSchema(s, SDC_DELETED),
    key_properties: s.key,
    metadata: [
      { breadcrumb: [], metadata: { inclusion: "available", selected: true, "table-key-properties": s.key, "forced-replication-method": "INCREMENTAL" } },
      ...s.columns.map((c) => ({ breadcrumb: ["properties", c.name], metadata: { inclusion: c.pk ? "automatic" : "available" } })),
    ],
  };
}

/** The streams a catalog selects: `selected` in the stream's top metadata (breadcrumb []), or on the stream itself as older taps wrote it. */
export function readSingerCatalog(file: string, known: readonly string[]): Set<string> {
  const raw = readJsonFile(file, "catalog");
  if (!isPlainObject(raw) || !Array.isArray(raw.streams)) throw new UsageError(`The catalog file ${file} must hold an object with a "streams" array, found ${describe(raw)}.`);
  const selected = new Set<string>();
  raw.streams.forEach((s: unknown, i: number) => {
    const id = isPlainObject(s) ? (s.tap_stream_id ?? s.stream) : undefined;
    if (typeof id !== "string") throw new UsageError(`The catalog file ${file}: streams[${i}] has no tap_stream_id.`);
    if (!known.includes(id)) throw new UsageError(`The catalog file ${file} lists the stream "${id}", which this connector does not have. Its streams: ${known.join(", ") || "none"}. Run --discover again.`);
    const top = Array.isArray((s as { metadata?: unknown }).metadata)
      ? ((s as { metadata: unknown[] }).metadata.find((m) => isPlainObject(m) && Array.isArray(m.breadcrumb) && m.breadcrumb.length === 0) as { metadata?: Record<string, unknown> } | undefined)
      : undefined;
    if (top?.metadata?.selected === true || (s as { selected?: unknown }).selected === true) selected.add(id);
  });
  return selected;
}

/** A Singer state file: the value of the last STATE message (or that message itself). Airbyte's shapes and non-objects are refused. */
export function readSingerState(file: string): StateObject {
  const raw = readJsonFile(file, "state");
  const refuse = (why: string): UsageError => new UsageError(`The state file ${file} cannot be used: ${why}. Pass the value of the last STATE message this tap emitted, or no --state to start over.`);
  if (Array.isArray(raw)) throw refuse("it holds a list (an Airbyte state?), not a Singer state object");
  if (!isPlainObject(raw)) throw refuse(`it holds ${describe(raw)}, not an object`);
  if (raw.type === "STATE") {
    if (!isPlainObject(raw.value)) throw refuse(`its STATE message's value is ${describe(raw.value)}, not an object`);
    return raw.value as StateObject;
  }
  if (typeof raw.type === "string" && (raw.type === "GLOBAL" || raw.type === "STREAM" || raw.type === "LEGACY")) throw refuse(`it holds an Airbyte state message of type ${raw.type}`);
  return raw as StateObject;
}

function about(out: MessageOut, ep: EngineProject, format: string | undefined): void {
  const info = {
    // The name `connector build --target singer` gives the tap and its meltano.yml plugin.
    name: `tap-${slug(ep.name)}`,
    description: ep.description,
    version: ep.version,
    sdk_version: `connector-sdk ${SDK_VERSION}`,
    capabilities: CAPABILITIES,
    settings: configurationSpec(ep),
  };
  if (format === "json") return out.line(JSON.stringify(info, null, 2));
  if (format !== undefined && format !== "markdown") throw new UsageError(`--format must be json or markdown, got ${JSON.stringify(format)}.`);
  const props = (info.settings.properties ?? {}) as Record<string, Record<string, unknown>>;
  const lines = [`# ${info.name}`, "", info.description, "", `Version: ${info.version} (${info.sdk_version})`, "", "## Capabilities", "", ...info.capabilities.map((c) => `- \`${c}\``), "", "## Settings", ""];
  const names = Object.keys(props);
  if (names.length === 0) lines.push("None.");
  for (const n of names) lines.push(`- \`${n}\`${props[n]!.secret ? " (secret)" : ""}${typeof props[n]!.description === "string" ? `: ${props[n]!.description}` : ""}`);
  out.line(lines.join("\n"));
}
