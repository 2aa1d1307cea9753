/**
 * The Airbyte protocol's messages that a source writes (airbyte_protocol.yaml, v0.5 and
 * later): one JSON object per line on stdout. docs/engines.md holds the mapping.
 */
import type { ColumnSpec } from "../destinations/destination.js";
import type { MessageOut } from "./message-out.js";
import type { Protocol } from "./stream-destination.js";

export type FailureType = "config_error" | "system_error" | "transient_error";
export type LogLevel = "FATAL" | "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE";
export type StreamStatus = "STARTED" | "RUNNING" | "COMPLETE" | "INCOMPLETE";

/** The column a deduplicating destination reads as "this row was deleted at". */
export const AB_DELETED = "_ab_cdc_deleted_at";

export const logMessage = (level: LogLevel, message: string): object => ({ type: "LOG", log: { level, message } });

export const errorTrace = (message: string, failure: FailureType, stack?: string): object => ({
  type: "TRACE",
  trace: { type: "ERROR", emitted_at: Date.now(), error: { message, failure_type: failure, ...(stack ? { stack_trace: stack } : {}) } },
});

export const streamStatus = (name: string, status: StreamStatus): object => ({
  type: "TRACE",
  trace: { type: "STREAM_STATUS", emitted_at: Date.now(), stream_status: { stream_descriptor: { name }, status } },
});

export const connectionStatus = (ok: boolean, message?: string): object => ({
  type: "CONNECTION_STATUS",
  connectionStatus: { status: ok ? "SUCCEEDED" : "FAILED", ...(message ? { message } : {}) },
});

/** Writes the records and states of a read: RECORD per upsert and delete, a GLOBAL STATE per checkpoint. */
export class AirbyteRecords implements Protocol {
  readonly name = "Airbyte";
  private readonly prefixes = new Map<string, string>();
  /** Our state's stream list: every selected stream, each with an empty stream_state. */
  private readonly streamStates: string;
  private sinceState = 0;
  /** Tables the connector truncated, for one LOG line each. */
  readonly truncated = new Set<string>();

  constructor(
    private readonly out: MessageOut,
    private readonly streams: ReadonlySet<string>,
  ) {
    this.streamStates = JSON.stringify([...streams].map((name) => ({ stream_descriptor: { name }, stream_state: {} })));
  }

  selected(table: string): boolean {
    return this.streams.has(table);
  }

  schema(_table: string, _columns: ColumnSpec[]): void {}

  private prefix(table: string): string {
    let p = this.prefixes.get(table);
    if (p === undefined) this.prefixes.set(table, (p = `{"type":"RECORD","record":{"stream":${JSON.stringify(table)},"data":`));
    return p;
  }

  record(table: string, open: string): void {
    this.out.line(`${this.prefix(table)}${open}},"emitted_at":${Date.now()}}}`);
    this.sinceState++;
  }

  deleted(table: string, openKey: string, synced: string): void {
    this.out.line(`${this.prefix(table)}${openKey}${openKey.length > 1 ? "," : ""}"${AB_DELETED}":${JSON.stringify(synced)}},"emitted_at":${Date.now()}}}`);
    this.sinceState++;
  }

  truncate(table: string): void {
    this.truncated.add(table);
  }

  state(state: string): void {
    this.out.line(`{"type":"STATE","state":{"type":"GLOBAL","global":{"shared_state":${state},"stream_states":${this.streamStates}},"sourceStats":{"recordCount":${this.sinceState}}}}`);
    this.sinceState = 0;
  }

  flush(): void {
    this.out.flush();
  }
}
