/**
 * The PostgreSQL type of each logical type, and how a canonical stored value is written in
 * COPY's text format. XML is kept in `text`, not `xml`: PostgreSQL's xml type refuses
 * fragments and anything not well-formed (which Fivetran's XML columns accept, and SQLite
 * and DuckDB store), and it has no equality operator, so it could not be a key or compared.
 */
import type { LogicalType, Stored } from "../destination.js";
import { checkNoNulInJson, checkNoNulInText } from "./nul.js";

export { NulCharacterError } from "./nul.js";

export function pgType(t: LogicalType | null): string {
  if (!t) return "text";
  switch (t.type) {
    case "BOOLEAN":
      return "boolean";
    case "SHORT":
      return "smallint";
    case "INT":
      return "integer";
    case "LONG":
      return "bigint";
    case "DECIMAL":
      return `numeric(${t.precision ?? 38},${t.scale ?? 0})`;
    case "FLOAT":
      return "real";
    case "DOUBLE":
      return "double precision";
    case "NAIVE_DATE":
      return "date";
    case "NAIVE_DATETIME":
      return "timestamp";
    case "UTC_DATETIME":
      return "timestamptz";
    case "BINARY":
      return "bytea";
    case "JSON":
      return "jsonb";
    case "XML":
    case "STRING":
      return "text";
  }
}

/** Escapes text for COPY's text format: backslash, and the line and field separators. */
function copyEscape(s: string): string {
  checkNoNulInText(s);
  // The common case, checked without building a new string.
  if (!/[\\\n\r\t]/.test(s)) return s;
  return s.replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"));
}

export type CopyField = (v: Stored) => string;

/** Bytes as a Buffer: a Buffer that crossed to the writer thread arrives as a plain Uint8Array. */
const bytes = (v: Uint8Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** How a column's canonical stored value is written as a COPY text field (`\N` is NULL). */
export function copyField(t: LogicalType | null): CopyField {
  switch (t?.type) {
    case "BOOLEAN":
      return (v) => (v === null ? "\\N" : v === 0 || v === 0n ? "f" : "t");
    case "SHORT":
    case "INT":
    case "LONG":
    case "FLOAT":
    case "DOUBLE":
    case "DECIMAL":
      return (v) => (v === null ? "\\N" : String(v));
    case "BINARY":
      return (v) => (v === null ? "\\N" : "\\\\x" + bytes(v as Uint8Array).toString("hex"));
    case "UTC_DATETIME":
    case "NAIVE_DATETIME":
      return (v) => (v === null ? "\\N" : toMicros(String(v)));
    case "JSON":
      return (v) => {
        if (v === null) return "\\N";
        const text = String(v);
        checkNoNulInJson(text);
        return copyEscape(text);
      };
    default:
      return (v) => (v === null ? "\\N" : copyEscape(typeof v === "string" ? v : v instanceof Uint8Array ? bytes(v).toString("base64") : String(v)));
  }
}

/**
 * A timestamp's text cut to whole microseconds, which is all PostgreSQL keeps. Cut, as DuckDB
 * cuts, not rounded as PostgreSQL would round: both destinations then store one instant for
 * it, and keys that differ only below a microsecond become one row in both (the later write
 * wins), where SQLite keeps all nine digits.
 */
function toMicros(s: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d\.\d{6})\d+(Z?)$/.exec(s);
  return m ? `${m[1]}${m[2]}` : s;
}

/**
 * A key's stored values as one string, for keeping the last write per key in a batch. Two
 * texts PostgreSQL stores as one timestamp (".5Z" and ".500Z", or ".0000001Z" and
 * ".0000002Z") must give one key.
 */
export function keyPart(t: LogicalType | null, v: Stored): string {
  if (v === null) return "\u0001";
  if (v instanceof Uint8Array) return "x" + bytes(v).toString("hex");
  const s = String(v);
  if (t?.type === "UTC_DATETIME" || t?.type === "NAIVE_DATETIME") {
    const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z?)$/.exec(s);
    if (m) return `${m[1]}.${(m[2] ?? "").padEnd(6, "0").slice(0, 6)}${m[3]}`;
  }
  return s;
}
