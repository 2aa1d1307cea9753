/**
 * `connector airbyte spec|check|discover|read`: the project's connector as an Airbyte source.
 * stdout carries one AirbyteMessage per line and nothing else; what anyone else prints
 * becomes a LOG message. A failure is a TRACE ERROR and a non-zero exit code.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { namingOption } from "../normalize/naming.js";
import { formSecrets, resolveForm } from "../setup/form.js";
import { runSetupTests, DEFAULT_TEST_TIMEOUT_MS } from "../setup/setup-tests.js";
import { runConnectorSync } from "../sync/run-sync.js";
import type { LogLevel as OurLevel } from "../sdk/active-sync.js";
import { SyncFailedError, UsageError } from "../util/errors.js";
import { toError } from "../util/thrown.js";
import { readAirbyteState, readConfiguredCatalog, type AirbyteState } from "./airbyte-inputs.js";
import { AB_DELETED, AirbyteRecords, connectionStatus, errorTrace, logMessage, streamStatus, type LogLevel } from "./airbyte-protocol.js";
import { engineStreams } from "./catalog-streams.js";
import { exitCodeOf, failureText, failureType, trapSignals, trapUncaught } from "./failure.js";
import { streamSchema } from "./json-schema.js";
import { MessageOut } from "./message-out.js";
import { declaredStreams, loadProject, readConfiguration, validConfiguration, type EngineProject } from "./project-inputs.js";
import { RotatingConfiguration, unplaced, watchHttp } from "./rotation.js";
import { configurationSpec } from "./spec.js";
import { StreamDestination } from "./stream-destination.js";

export interface AirbyteOptions {
  config?: string;
  catalog?: string;
  state?: string;
  naming?: string;
}

const LEVELS: Record<OurLevel, LogLevel> = { DEBUG: "DEBUG", INFO: "INFO", WARNING: "WARN", ERROR: "ERROR" };

/** One command's stdout: messages, and everything else as LOG lines. */
class Session {
  readonly out = new MessageOut();
  private ended = false;

  constructor() {
    this.out.capture((stream, line) => this.log(stream === "stderr" ? "WARN" : "INFO", line));
    trapUncaught((e) => {
      if (this.ended) {
        // The command's answer is written: the exception is only told.
        this.log("WARN", `the connector threw after the command ended: ${failureText(e)}`);
        return this.out.flush();
      }
      const code = this.fail(e);
      this.out.end();
      process.exit(code);
    });
    trapSignals((e) => {
      if (this.ended) return process.exit(exitCodeOf(e));
      const code = this.fail(e);
      this.ended = true;
      this.out.end();
      process.exit(code);
    });
  }

  send(message: object, now = false): void {
    this.out.line(JSON.stringify(message), now);
  }

  log(level: LogLevel, message: string): void {
    this.send(logMessage(level, this.out.redactor.text(message)));
  }

  /** A TRACE ERROR for the failure, and its exit code. */
  fail(error: unknown): number {
    const message = this.out.redactor.text(failureText(error));
    const stack = connectorStack(error);
    this.send(errorTrace(message, failureType(error), stack === undefined ? undefined : this.out.redactor.text(stack)));
    return exitCodeOf(error);
  }

  async run(body: () => Promise<number | void>): Promise<number> {
    let code: number;
    try {
      code = (await body()) ?? 0;
    } catch (e) {
      code = this.fail(e);
    }
    this.ended = true;
    this.out.end();
    return code;
  }
}

const OWN_CODE = path.resolve(fileURLToPath(import.meta.url), "../..");

/** The connector's own stack, for internal_message: none for our errors, and without our frames for its own. */
function connectorStack(error: unknown): string | undefined {
  if (!(error instanceof Error) || error instanceof UsageError) return undefined;
  const trace = (error as { trace?: unknown }).trace;
  if (error instanceof SyncFailedError) return typeof trace === "string" ? trace : undefined;
  const lines = (error.stack ?? "").split("\n").filter((l) => !l.includes(OWN_CODE) && !l.includes("(node:"));
  return lines.length > 1 ? lines.join("\n") : undefined;
}

function needFile(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} <file> is required.`);
  return value;
}

async function withConfiguration(s: Session, dir: string | undefined, opts: AirbyteOptions): Promise<{ ep: EngineProject; file: string; configuration: unknown }> {
  const ep = await loadProject(dir);
  const file = needFile(opts.config, "--config");
  const { configuration, secrets, raw } = readConfiguration(ep, file);
  s.out.redactor.add([...secrets, ...formSecrets(ep.definition, configuration)]);
  // A rotated refresh token goes to the platform at once, in the configuration it gave: it keeps it for the next run.
  const rotating = new RotatingConfiguration(raw);
  watchHttp(s.out.redactor, (old, next) => {
    if (rotating.rotate(old, next) === 0) return s.log("WARN", unplaced("it serves this read only"));
    s.send({ type: "CONTROL", control: { type: "CONNECTOR_CONFIG", emitted_at: Date.now(), connectorConfig: { config: rotating.value } } }, true);
  });
  return { ep, file, configuration };
}

export function airbyteSpec(dir: string | undefined): Promise<number> {
  const s = new Session();
  return s.run(async () => {
    const ep = await loadProject(dir);
    s.send({
      type: "SPEC",
      spec: { connectionSpecification: configurationSpec(ep), supportsIncremental: true, supported_destination_sync_modes: ["overwrite", "append", "append_dedup"] },
    });
  });
}

export function airbyteCheck(dir: string | undefined, opts: AirbyteOptions): Promise<number> {
  const s = new Session();
  return s.run(async () => {
    const { ep, file, configuration } = await withConfiguration(s, dir, opts);
    let valid: unknown;
    try {
      valid = await validConfiguration(ep, configuration, file);
      await declaredStreams(ep, valid, namingOption(opts.naming));
    } catch (e) {
      s.send(connectionStatus(false, s.out.redactor.text(failureText(e))));
      return;
    }
    const tests = resolveForm(ep.definition, ep.connectorFile).tests;
    const results = await runSetupTests({ connectorFile: ep.connectorFile, configuration: valid }, tests, DEFAULT_TEST_TIMEOUT_MS, {
      attach: (...streams) => {
        for (const stream of streams) stream.on("data", (chunk: Buffer) => String(chunk).split("\n").filter(Boolean).forEach((line) => s.log("INFO", line)));
      },
    });
    const failed = results.filter((r) => r.status === "fail");
    s.send(connectionStatus(failed.length === 0, failed.length ? s.out.redactor.text(failed.map((r) => `${r.name}: ${r.message}`).join("; ")) : undefined));
  });
}

export function airbyteDiscover(dir: string | undefined, opts: AirbyteOptions): Promise<number> {
  const s = new Session();
  return s.run(async () => {
    const { ep, file, configuration } = await withConfiguration(s, dir, opts);
    const streams = await engineStreams(ep, await validConfiguration(ep, configuration, file), namingOption(opts.naming), "airbyte");
    s.send({
      type: "CATALOG",
      catalog: {
        streams: streams.map((t) => ({
          name: t.name,
          json_schema: streamSchema(t, AB_DELETED),
          supported_sync_modes: ["full_refresh", "incremental"],
          source_defined_cursor: true,
          source_defined_primary_key: t.key.map((k) => [k]),
          is_resumable: true,
        })),
      },
    });
  });
}

export function airbyteRead(dir: string | undefined, opts: AirbyteOptions): Promise<number> {
  const s = new Session();
  return s.run(async () => {
    const { ep, file, configuration } = await withConfiguration(s, dir, opts);
    const naming = namingOption(opts.naming);
    const known = (await engineStreams(ep, await validConfiguration(ep, configuration, file), naming, "airbyte")).map((t) => t.name);
    const catalogFile = needFile(opts.catalog, "--catalog");
    const configured = readConfiguredCatalog(catalogFile, known);
    const given: AirbyteState = opts.state ? readAirbyteState(opts.state, known) : { state: {} };
    let state = given.state;
    const modes = new Set(configured.map((c) => c.syncMode));
    if (modes.size > 1) {
      throw new UsageError(
        `The catalog file ${catalogFile} mixes full_refresh and incremental streams, but this connector keeps one state for all its streams, so they cannot resume differently. Configure every stream with the same sync mode.`,
      );
    }
    if (modes.has("full_refresh") && Object.keys(state).length) {
      s.log("INFO", "Every configured stream is full_refresh: the given state is not used, and the read starts from the beginning.");
      state = {};
    }
    // One state covers every stream it lists: a stream added to the catalog since has never been read, and resuming would skip its past.
    const added = given.streams && Object.keys(state).length ? configured.map((c) => c.name).filter((n) => !given.streams!.includes(n)) : [];
    if (added.length) {
      s.log(
        "WARN",
        `The state does not cover ${added.map((n) => `"${n}"`).join(", ")}, newly selected, and this connector keeps one state for all its streams: the read starts from the beginning for every selected stream, so that no row of the new stream(s) is skipped.`,
      );
      state = {};
    }
    const selected = new Set(configured.map((c) => c.name));
    const records = new AirbyteRecords(s.out, selected);
    const destination = new StreamDestination(records);
    for (const name of selected) s.send(streamStatus(name, "STARTED"));
    const outcome = await runConnectorSync({
      definition: ep.definition,
      configuration,
      state,
      sources: { configurationFile: file, stateFile: opts.state, resetHint: "a read without --state" },
      destination,
      naming,
      logger: { log: (level, message) => s.log(LEVELS[level], message) },
      events: { warning: (message) => s.log("WARN", message), ready: (inputs) => inputs.warnings.forEach((w) => s.log("WARN", w)) },
    }).catch((e: unknown) => {
      // A state the connector's state schema refuses: the streams did not complete.
      for (const name of selected) s.send(streamStatus(name, "INCOMPLETE"));
      throw e;
    });
    for (const [table, n] of destination.dropped) s.log("INFO", `${n} operation(s) on "${table}" were dropped: the catalog does not select that stream.`);
    for (const table of records.truncated) {
      s.log(
        "WARN",
        `op.truncate("${table}") has no message in the Airbyte protocol: with the overwrite destination sync mode the destination replaces the stream at every read anyway; with append or append_dedup the rows synced before the truncate stay. See docs/engines.md.`,
      );
    }
    const ok = outcome.status === "succeeded";
    for (const name of selected) s.send(streamStatus(name, ok ? "COMPLETE" : "INCOMPLETE"));
    s.log("INFO", `Read ${ok ? "succeeded" : "failed"}: ${destination.records} record(s).`);
    if (!ok) return s.fail(toError(outcome.error));
  });
}
