/** DuckDB's values read back into the canonical stored form that every destination shares. */
import type { DuckDBDecimalValue, DuckDBValue } from "@duckdb/node-api";
import type { LogicalType, Stored } from "../destination.js";
import { duckdb } from "./driver.js";

const pad = (n: number | bigint, width: number): string => String(n).padStart(width, "0");

/** Microseconds since the epoch as ISO text: milliseconds when the micros are whole, else microseconds. */
function isoMicros(micros: bigint, zone: boolean): string {
  const ms = micros / 1000n;
  const rest = Number(((micros % 1000n) + 1000n) % 1000n);
  const floorMs = micros < 0n && rest !== 0 ? ms - 1n : ms;
  const iso = new Date(Number(floorMs)).toISOString();
  const head = iso.slice(0, 19);
  const millis = iso.slice(20, 23);
  const fraction = rest === 0 ? `.${millis}` : `.${millis}${pad(rest, 3)}`;
  return zone ? `${head}${fraction}Z` : `${head}${fraction}`;
}

function decimalText(v: DuckDBDecimalValue): string {
  const negative = v.value < 0n;
  const digits = (negative ? -v.value : v.value).toString().padStart(v.scale + 1, "0");
  const int = digits.slice(0, digits.length - v.scale);
  const frac = digits.slice(digits.length - v.scale);
  const zero = /^0*$/.test(int + frac);
  return (negative && !zero ? "-" : "") + int + (v.scale > 0 ? "." + frac : "");
}

export function toCanonical(type: LogicalType | null, v: DuckDBValue): Stored {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case "boolean":
      return v ? 1 : 0;
    case "bigint":
      return Number.isSafeInteger(Number(v)) ? Number(v) : v;
    case "number":
    case "string":
      return v;
  }
  const { DuckDBBlobValue, DuckDBDateValue, DuckDBDecimalValue, DuckDBTimestampTZValue, DuckDBTimestampValue } = duckdb();
  if (v instanceof DuckDBDecimalValue) return decimalText(v);
  if (v instanceof DuckDBBlobValue) return Buffer.from(v.bytes);
  if (v instanceof DuckDBDateValue) return v.toString();
  if (v instanceof DuckDBTimestampTZValue) return isoMicros(v.micros, true);
  if (v instanceof DuckDBTimestampValue) {
    const text = isoMicros(v.micros, false);
    return type?.type === "NAIVE_DATETIME" && text.endsWith(".000") ? text.slice(0, -4) : text;
  }
  return String(v);
}
