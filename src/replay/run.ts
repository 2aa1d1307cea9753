/**
 * The few steps that debug, test, verify and connector-sdk/testing share: open a cassette
 * for replay, replay it into a scratch warehouse to get its outcome, and finish a recording.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { secretValues } from "../util/secrets.js";
import type { ConnectorDefinition } from "../sdk/connector.js";
import type { SyncResult } from "../sync/sync.js";
import type { Naming } from "../normalize/naming.js";
import type { LogSink } from "../sdk/active-sync.js";
import type { StateObject } from "../state/state.js";
import type { Destination } from "../destinations/destination.js";
import { memoryDestination, openReader } from "../destinations/open.js";
import { DEFAULT_KIND, destinationOf, type DestinationKind } from "../destinations/registry.js";
import { runConnectorSync } from "../sync/run-sync.js";
import { readCassette, swapInto, writeCassette, type Exchange } from "./cassette.js";
import { installHttp, offlineMessage, OfflineConnectionError, redactExchanges, type HttpSession } from "./http.js";
import { refuseSockets } from "./offline.js";
import { checkIgnore, mergeIgnore, readReplayConfig, type MatchIgnore } from "./match.js";
import { readOutcome, snapshotOutcome, writeOutcome, type Outcome } from "./outcome.js";
import { Redactor, responseCredentials } from "./redact.js";

/** A cassette ready to serve: its exchanges and the matching rules of the project and the call. */
export interface ReplaySource {
  dir: string;
  /** How messages name it: fixtures/default, relative to the project when possible. */
  label: string;
  name: string;
  exchanges: Exchange[];
  ignore: MatchIgnore;
}

/** What runSync() and verifyConnector() accept as `replay`: a cassette folder, or one with matching rules. */
export type ReplayOption = string | URL | { cassette: string | URL; ignore?: MatchIgnore };

export function openReplay(dir: string, label = dir, ignore?: MatchIgnore): ReplaySource {
  const exchanges = readCassette(dir);
  return { dir, label, name: path.basename(dir), exchanges, ignore: mergeIgnore(readReplayConfig(dir), ignore) };
}

/** Resolves the testing API's `replay` option, relative to the working directory. */
export function replayFromOption(option: ReplayOption): ReplaySource {
  const asPath = (p: string | URL): string => (p instanceof URL ? fileURLToPath(p) : path.resolve(p));
  if (typeof option === "string" || option instanceof URL) return openReplay(asPath(option), typeof option === "string" ? option : asPath(option));
  const ignore = option.ignore === undefined ? undefined : checkIgnore(option.ignore, "replay.ignore");
  return openReplay(asPath(option.cassette), typeof option.cassette === "string" ? option.cassette : asPath(option.cassette), ignore);
}

export function startReplay(source: ReplaySource, configuration: unknown): HttpSession {
  return installHttp({ mode: "replay", exchanges: source.exchanges, label: source.label, name: source.name, ignore: source.ignore, secrets: secretValues(configuration) });
}

/** Runs `load` (a connector's top-level code) with every socket refused, as during a replay: code that connects somewhere as it loads throws, naming where. */
export async function loadOffline<T>(label: string, load: () => Promise<T>): Promise<T> {
  const restore = refuseSockets((target, via) => {
    throw new OfflineConnectionError(offlineMessage(target, via, label));
  });
  try {
    return await load();
  } finally {
    restore();
  }
}

const quiet: LogSink = { log: () => {} };

/** One sync of a freshly loaded connector, with HTTP already intercepted; the destination is closed at the end. */
async function syncOnce(
  load: () => Promise<ConnectorDefinition<unknown, unknown>>,
  configuration: unknown,
  state: StateObject,
  destination: () => Destination,
  naming: Naming,
): Promise<SyncResult & { checkpoints: StateObject[] }> {
  const checkpoints: StateObject[] = [];
  const definition = await load();
  const result = await runConnectorSync({
    definition,
    configuration,
    state,
    destination: destination(),
    naming,
    logger: quiet,
    events: { checkpoint: (c) => checkpoints.push(c.state) },
  });
  return { ...result, checkpoints };
}

export interface ReplayedRun {
  result: SyncResult;
  /** Set when the sync succeeded. */
  outcome?: Outcome;
  served: number;
  recorded: number;
}

/**
 * Replays a cassette from its recorded start state into a scratch warehouse (removed
 * afterwards) and reads the outcome: what `connector test` compares with outcome.json.
 */
export async function replayOutcome(o: {
  load: () => Promise<ConnectorDefinition<unknown, unknown>>;
  configuration: unknown;
  startState: StateObject;
  source: ReplaySource;
  naming: Naming;
  /** The kind of scratch warehouse: the project's. */
  destination?: DestinationKind;
}): Promise<ReplayedRun> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "connector-replay-"));
  const http = startReplay(o.source, o.configuration);
  const spec = destinationOf(o.destination ?? DEFAULT_KIND).scratch({ dir: scratch, id: String(process.pid) }, "warehouse")!;
  try {
    const result = await syncOnce(o.load, o.configuration, o.startState, () => destinationOf(spec).create(spec), o.naming);
    let outcome: Outcome | undefined;
    if (result.status === "succeeded") {
      const reader = await openReader(spec);
      try {
        const run = { startState: o.startState, checkpoints: result.checkpoints, state: result.state, naming: o.naming };
        outcome = await snapshotOutcome(reader, run, new Redactor(secretValues(o.configuration)));
      } finally {
        await reader.close();
      }
    }
    return { result, outcome, served: http.served, recorded: o.source.exchanges.length };
  } finally {
    await http.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** What a recording or a replay in `connector debug` reports at the end. */
export interface HttpSummary {
  lines: string[];
  warnings: string[];
  /** The recording could not be completed; the command exits 1. */
  error?: string;
}

/**
 * After a recorded sync: record an incremental re-run from its final state too (verify
 * replays one), write the redacted cassette, then replay it into a scratch warehouse to
 * write the expected outcome, which proves at once that the cassette replays.
 */
export async function finishRecording(o: {
  session: HttpSession;
  result: SyncResult;
  dir: string;
  label: string;
  load: () => Promise<ConnectorDefinition<unknown, unknown>>;
  configuration: unknown;
  startState: StateObject;
  naming: Naming;
  recordedWith: string;
}): Promise<HttpSummary> {
  const exchanges = await o.session.stop();
  const summary: HttpSummary = { lines: [], warnings: [] };
  if (o.result.status === "failed") {
    summary.lines.push(`Nothing was recorded: the sync failed, so ${o.label} is left as it was.`);
    return summary;
  }
  const secrets = secretValues(o.configuration);
  const probe = installHttp({ mode: "record", secrets, serve: exchanges, run: "incremental" });
  let incremental: Exchange[] = [];
  try {
    const again = await syncOnce(o.load, o.configuration, o.result.state, memoryDestination, o.naming);
    if (again.status === "failed") summary.warnings.push(`the incremental re-run from the final state failed (${again.error?.message}); \`connector verify --replay\` may find requests it did not record.`);
  } finally {
    incremental = await probe.stop();
  }

  const fresh = `${path.join(path.dirname(o.dir), "." + path.basename(o.dir))}.recording-${process.pid}`;
  fs.rmSync(fresh, { recursive: true, force: true });
  // A token a response gave is hidden wherever the connector sent it on, and in the live state it is compared with.
  const recorded = [...exchanges, ...incremental];
  const hidden = [...secrets, ...o.session.secrets, ...probe.secrets, ...responseCredentials(recorded)];
  writeCassette(fresh, redactExchanges(recorded, hidden), o.recordedWith);
  const counts = `${exchanges.length} request(s) of the sync${incremental.length ? ` and ${incremental.length} of an incremental re-run from its final state` : ""}`;
  let replayed: ReplayedRun;
  try {
    replayed = await replayOutcome({ load: o.load, configuration: o.configuration, startState: o.startState, source: openReplay(fresh, o.label), naming: o.naming });
  } catch (e) {
    fs.rmSync(fresh, { recursive: true, force: true });
    throw e;
  }
  if (!replayed.outcome) {
    swapInto(fresh, o.dir);
    summary.lines.push(`Recorded ${counts} to ${o.label}/cassette.json.`);
    summary.error = `the recording does not replay, so no expected outcome was written: ${replayed.result.error?.message}\nFix the cause, then write the outcome with \`connector test${o.label.endsWith("/default") ? "" : " " + path.basename(o.dir)} --update\`.`;
    return summary;
  }
  writeOutcome(fresh, replayed.outcome);
  swapInto(fresh, o.dir);
  const live = JSON.stringify(new Redactor(hidden).text(JSON.stringify(o.result.state)));
  if (live !== JSON.stringify(JSON.stringify(replayed.outcome.state))) {
    summary.warnings.push(
      `replaying the recording ended in state ${JSON.stringify(replayed.outcome.state)}, not in the live sync's ${JSON.parse(live) as string}: the connector depends on something besides HTTP (the clock, randomness, files), so \`connector test\` compares with the replay.`,
    );
  }
  summary.lines.push(`Recorded ${counts} to ${o.label}/ (cassette.json and outcome.json), secrets redacted. Replay it with \`connector test\`.`);
  if (Object.keys(o.startState).length) {
    summary.lines.push(`This recording starts from the saved state, so \`connector test\` replays it from there. To record a historical sync instead, run \`connector reset\` first.`);
  }
  return summary;
}

export { readOutcome };

const VERSION = (JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** What `connector debug` asks of the worker: record into, or replay from, a cassette folder. */
export interface HttpSpec {
  mode: "record" | "replay";
  dir: string;
  label: string;
}

/**
 * The hook of the sync worker: starts before the connector loads, and finishes after the
 * sync with the lines `connector debug` prints.
 */
export function startWorkerHttp(spec: HttpSpec, configuration: unknown): { finish(r: { result: SyncResult; load: () => Promise<ConnectorDefinition<unknown, unknown>>; startState: StateObject; naming: Naming }): Promise<HttpSummary> } {
  if (spec.mode === "replay") {
    const source = openReplay(spec.dir, spec.label);
    const session = startReplay(source, configuration);
    return {
      async finish() {
        await session.stop();
        const lines = session.unmatched.length ? [] : [`Served ${session.served} of ${source.exchanges.length} recorded response(s) from ${spec.label}/; no request went to the network.`];
        return { lines, warnings: [] };
      },
    };
  }
  const session = installHttp({ mode: "record", secrets: secretValues(configuration) });
  return {
    finish: (r) =>
      finishRecording({ session, ...r, dir: spec.dir, label: spec.label, configuration, recordedWith: `connector-sdk ${VERSION}` }).catch((e: unknown) => ({
        lines: [],
        warnings: [],
        error: `the recording could not be written to ${spec.label}/: ${e instanceof Error ? e.message : String(e)}`,
      })),
  };
}
