/**
 * The Singer specification's messages (SCHEMA, RECORD, STATE, ACTIVATE_VERSION), one per
 * line on stdout. A table's SCHEMA comes before its first record and again whenever a column
 * is added or widened, so a record always fits its stream's latest SCHEMA.
 */
import type { ColumnSpec } from "../destinations/destination.js";
import { streamSchema, tableStream } from "./json-schema.js";
import type { MessageOut } from "./message-out.js";
import type { Protocol } from "./stream-destination.js";

/** The column a Singer target reads as "this row was deleted at". */
export const SDC_DELETED = "_sdc_deleted_at";

export class SingerMessages implements Protocol {
  readonly name = "Singer";
  private readonly prefixes = new Map<string, string>();
  private readonly versions = new Map<string, number>();
  private lastVersion = 0;
  private extractedMs = -1;
  private extracted = "";

  constructor(
    private readonly out: MessageOut,
    /** The streams a catalog selects; undefined selects every table. */
    private readonly streams: ReadonlySet<string> | undefined,
  ) {}

  selected(table: string): boolean {
    return !this.streams || this.streams.has(table);
  }

  schema(table: string, columns: ColumnSpec[]): void {
    const shape = tableStream({ name: table, columns, keyless: false });
    this.out.line(JSON.stringify({ type: "SCHEMA", stream: table, schema: streamSchema(shape, SDC_DELETED), key_properties: shape.key }));
  }

  private prefix(table: string): string {
    let p = this.prefixes.get(table);
    if (p === undefined) this.prefixes.set(table, (p = `{"type":"RECORD","stream":${JSON.stringify(table)},"record":`));
    return p;
  }

  private tail(table: string): string {
    const v = this.versions.get(table);
    const now = Date.now();
    if (now !== this.extractedMs) this.extracted = new Date((this.extractedMs = now)).toISOString();
    return `,"time_extracted":"${this.extracted}"${v === undefined ? "" : `,"version":${v}`}}`;
  }

  record(table: string, open: string): void {
    this.out.line(`${this.prefix(table)}${open}}${this.tail(table)}`);
  }

  deleted(table: string, openKey: string, synced: string): void {
    this.out.line(`${this.prefix(table)}${openKey}${openKey.length > 1 ? "," : ""}"${SDC_DELETED}":${JSON.stringify(synced)}}${this.tail(table)}`);
  }

  /** A truncate: the records from here on carry a new version, and ACTIVATE_VERSION tells the target to drop every older one. */
  truncate(table: string): void {
    const version = (this.lastVersion = Math.max(Date.now(), this.lastVersion + 1));
    this.versions.set(table, version);
    this.out.line(JSON.stringify({ type: "ACTIVATE_VERSION", stream: table, version }));
  }

  state(state: string): void {
    this.out.line(`{"type":"STATE","value":${state}}`);
  }

  flush(): void {
    this.out.flush();
  }
}
