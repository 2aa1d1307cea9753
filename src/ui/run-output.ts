/**
 * What `connector run` prints, made for cron, systemd and Kubernetes: never a spinner or a
 * prompt. Plain lines on stderr (with `--json`, one report on stdout at the end), or with
 * `--log-format json`, one JSON object per line on stdout for every log line, warning,
 * checkpoint, attempt and the final report. Secrets are hidden in both.
 */
import type { Outcome } from "../host/sync-view.js";
import type { LogLevel } from "../sdk/active-sync.js";
import type { StateObject } from "../state/state.js";
import type { CheckpointInfo } from "../sync/sync.js";
import { elapsed, num, renderProgressTable, renderSchemaChanges, renderTableBreakdown, truncate, type CrashNotice } from "./format.js";
import { Ui } from "./logger.js";
import { printEvent, printJson, secrets, stripEscapes } from "./output.js";

export interface RunHeader {
  connector: string;
  name: string;
  destination: string;
  /** Where the destination was named. */
  from: string;
  configuration?: string;
  /** The state file, for destinations that do not keep the state themselves. */
  stateFile?: string;
}

/** One attempt's end, when another follows. */
export interface RetryNote {
  attempt: number;
  attempts: number;
  reason: string;
  delayMs: number;
}

export interface FinalReport {
  outcome: Outcome;
  /** The failure, rendered (message and the connector's own stack frames). */
  reason?: string;
  destination: string;
  name: string;
  attempts: number;
  /** Where the crash report of a failed run went, or why none was written. */
  crash?: CrashNotice;
}

export interface RunOutput {
  start(header: RunHeader, attempt: number, attempts: number): void;
  ready(state: StateObject, warnings: string[]): void;
  log(level: LogLevel, message: string): void;
  warning(message: string): void;
  checkpoint(info: CheckpointInfo): void;
  output(line: string): void;
  retry(note: RetryNote): void;
  report(r: FinalReport): void;
  note(message: string): void;
}

export function runOutput(format: "plain" | "json", options: { verbose: boolean; json: boolean }): RunOutput {
  return format === "json" ? new JsonLines(options.verbose) : new Plain(new Ui({ json: options.json, verbose: options.verbose }), options.json, options.verbose);
}

const stateText = (state: StateObject, max: number): string => truncate(JSON.stringify(secrets().value(state)), max);
const operationsOf = (info: CheckpointInfo): number => Object.values(info.operations).reduce((n, t) => n + t.upserts + t.updates + t.deletes + t.truncates, 0);

class Plain implements RunOutput {
  constructor(
    private readonly ui: Ui,
    private readonly json: boolean,
    private readonly verbose: boolean,
  ) {}

  start(h: RunHeader, attempt: number, attempts: number): void {
    if (attempt > 1) {
      this.ui.info(`Attempt ${attempt} of ${attempts}: resuming from the last committed checkpoint.`);
      return;
    }
    this.ui.info(`Connector: ${h.connector} (name "${h.name}")`);
    this.ui.info(`Destination: ${h.destination} (from ${h.from})`);
    this.ui.info(`Configuration: ${h.configuration ?? "none ({})"}`);
    this.ui.info(h.stateFile ? `State file: ${h.stateFile}` : "State: kept in the destination (_connector_state)");
  }

  ready(state: StateObject, warnings: string[]): void {
    this.ui.info(`Previous state: ${stateText(state, 400)}`);
    for (const w of warnings) this.ui.warn(w);
  }

  log(level: LogLevel, message: string): void {
    this.ui.log(level, message);
  }

  warning(): void {
    // Gathered into the report, and printed once at the end, as debug does.
  }

  checkpoint(info: CheckpointInfo): void {
    this.ui.info(`Checkpoint ${info.seq}: committed ${num(operationsOf(info))} operation(s); state ${stateText(info.state, 200)}`);
  }

  output(line: string): void {
    this.ui.passthrough(line);
  }

  retry(n: RetryNote): void {
    this.ui.error(`Attempt ${n.attempt} of ${n.attempts} FAILED: ${n.reason}`);
    this.ui.info(`Retrying in ${elapsed(n.delayMs)} (--retries).`);
  }

  report(r: FinalReport): void {
    const o = r.outcome;
    if (this.json) {
      printJson(jsonReport(r));
      if (r.reason) this.ui.error(`Sync FAILED: ${r.reason}`);
      this.crash(r.crash);
      return;
    }
    this.ui.info("");
    this.ui.info(renderProgressTable(o.counts));
    const breakdown = renderTableBreakdown(o.counts);
    if (breakdown) this.ui.info("\n" + breakdown);
    const changes = renderSchemaChanges(o.schemaChanges, this.verbose);
    if (changes) this.ui.info("\n" + changes);
    this.ui.info("");
    for (const w of o.warnings.slice(o.inputWarnings ?? 0)) this.ui.warn(w);
    const tries = r.attempts > 1 ? ` (attempt ${r.attempts})` : "";
    if (o.status === "succeeded") {
      this.ui.info(`State: ${stateText(o.state, 400)}`);
      this.ui.info(this.ui.color.green(`Sync SUCCEEDED in ${elapsed(o.durationMs)}${tries}`));
    } else {
      this.ui.error(`Sync FAILED${tries}: ${r.reason}`);
      this.crash(r.crash);
    }
  }

  private crash(notice: CrashNotice | undefined): void {
    if (notice?.line) this.ui.error(notice.line);
    if (notice?.warning) this.ui.warn(notice.warning);
  }

  note(message: string): void {
    this.ui.info(message);
  }
}

function jsonReport(r: FinalReport): Record<string, unknown> {
  const o = r.outcome;
  return {
    status: o.status,
    ...(r.reason ? { error: stripEscapes(r.reason) } : {}),
    counts: o.counts,
    ...(o.counts.http ? { http: o.counts.http } : {}),
    previousState: o.previousState,
    state: o.state,
    warnings: o.warnings.map((w) => stripEscapes(w)),
    schemaChanges: o.schemaChanges,
    durationMs: o.durationMs,
    destination: r.destination,
    name: r.name,
    attempts: r.attempts,
    ...(r.crash?.file ? { crashReport: r.crash.file } : {}),
  };
}

class JsonLines implements RunOutput {
  constructor(private readonly verbose: boolean) {}

  private line(type: string, fields: Record<string, unknown>): void {
    printEvent(type, fields);
  }

  start(h: RunHeader, attempt: number, attempts: number): void {
    this.line("start", { attempt, attempts, connector: h.connector, name: h.name, destination: h.destination, from: h.from, configuration: h.configuration ?? null, ...(h.stateFile ? { stateFile: h.stateFile } : {}) });
  }

  ready(state: StateObject, warnings: string[]): void {
    this.line("ready", { previousState: state });
    for (const w of warnings) this.warning(w);
  }

  log(level: LogLevel, message: string): void {
    if (level === "DEBUG" && !this.verbose) return;
    this.line("log", { level, message: stripEscapes(message) });
  }

  warning(message: string): void {
    this.line("warning", { message: stripEscapes(message) });
  }

  checkpoint(info: CheckpointInfo): void {
    this.line("checkpoint", { seq: info.seq, operations: operationsOf(info), byTable: info.operations, state: info.state });
  }

  output(line: string): void {
    this.line("output", { message: stripEscapes(line) });
  }

  retry(n: RetryNote): void {
    this.line("retry", { attempt: n.attempt, attempts: n.attempts, error: stripEscapes(n.reason), delayMs: n.delayMs });
  }

  report(r: FinalReport): void {
    if (r.crash?.line) this.line("crash-report", { file: r.crash.file, message: r.crash.line });
    if (r.crash?.warning) this.warning(r.crash.warning);
    this.line("report", jsonReport(r));
  }

  note(message: string): void {
    this.line("note", { message });
  }
}
