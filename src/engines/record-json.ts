/**
 * A row of canonical stored values (destination.ts) as the JSON object of a RECORD, written
 * as text directly: 64-bit integers and DECIMALs keep their exact digits, booleans stored
 * as 0/1 become true/false, BINARY becomes base64 and a JSON column's text is inserted as is.
 * A null is left out, which both protocols read as null.
 */
import type { ColumnSpec, Stored } from "../destinations/destination.js";
import type { LogicalType } from "../normalize/types.js";

export type ValueWriter = (v: Exclude<Stored, null>) => string;

const asString: ValueWriter = (v) => JSON.stringify(typeof v === "string" ? v : Buffer.isBuffer(v) ? v.toString("utf8") : String(v));
const asInteger: ValueWriter = (v) => (typeof v === "string" ? v : String(v));
// JSON has no Infinity: ±Infinity (which FLOAT and DOUBLE hold; NaN is refused before it is stored) is the text
// "Infinity" or "-Infinity", as inspect --json and outcome.json show it and as Jackson writes it (Airbyte's Java
// connectors), which Airbyte's destinations cast back; null would be a missing value, another value.
const asNumber: ValueWriter = (v) => (typeof v === "number" ? (Number.isFinite(v) ? String(v) : `"${v}"`) : typeof v === "string" ? v : String(v));

/** How a stored value of a type is written. */
export function valueWriter(t: LogicalType | null): ValueWriter {
  switch (t?.type) {
    case "BOOLEAN":
      return (v) => (v === 0 || v === 0n || v === "0" || v === "false" ? "false" : "true");
    case "SHORT":
    case "INT":
    case "LONG":
      return asInteger;
    case "FLOAT":
    case "DOUBLE":
    case "DECIMAL":
      return asNumber;
    case "BINARY":
      return (v) => JSON.stringify(Buffer.isBuffer(v) ? v.toString("base64") : Buffer.from(String(v)).toString("base64"));
    case "JSON":
      return (v) => (typeof v === "string" ? v : JSON.stringify(v));
    default:
      return asString;
  }
}

/** A table's columns, ready to write rows: each name already quoted, each type's writer chosen. */
export class RowJson {
  private names: string[] = [];
  private writers: ValueWriter[] = [];
  readonly columns: ColumnSpec[] = [];

  constructor(columns: ColumnSpec[]) {
    for (const c of columns) this.add(c);
  }

  add(c: ColumnSpec): void {
    this.columns.push({ ...c });
    this.names.push(JSON.stringify(c.name) + ":");
    this.writers.push(valueWriter(c.type));
  }

  setType(name: string, type: LogicalType): void {
    const i = this.columns.findIndex((c) => c.name === name);
    if (i < 0) return;
    this.columns[i]!.type = type;
    this.writers[i] = valueWriter(type);
  }

  /** `{"a":1,"b":"x"` without its closing brace, so a caller can add fields. */
  open(row: Stored[]): string {
    let out = "{";
    let first = true;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (v === null || v === undefined) continue;
      out += (first ? "" : ",") + this.names[i] + this.writers[i]!(v);
      first = false;
    }
    return out;
  }

  /** The key columns' values as an open object, for a delete. */
  openKey(key: Stored[]): string {
    let out = "{";
    let k = 0;
    for (let i = 0; i < this.columns.length && k < key.length; i++) {
      if (!this.columns[i]!.pk) continue;
      const v = key[k++];
      if (v === null || v === undefined) continue;
      out += (out.length > 1 ? "," : "") + this.names[i] + this.writers[i]!(v);
    }
    return out;
  }
}
