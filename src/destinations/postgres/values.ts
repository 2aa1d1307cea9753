/**
 * PostgreSQL's values read back into the canonical stored form every destination shares.
 * The client is told to hand dates, timestamps, 64-bit integers, numerics and JSON over as
 * text (the session runs in UTC with ISO dates), so nothing passes through a JS Date or a
 * double on the way.
 */
import pg from "pg";
import { parseJsonExact, stringifyExact } from "../../util/exact.js";
import type { LogicalType, Stored } from "../destination.js";

/** Type OIDs whose values stay text: int8, numeric, date, timestamp, timestamptz, json, jsonb. */
const AS_TEXT = new Set([20, 1700, 1082, 1114, 1184, 114, 3802]);
const identity = (v: string): string => v;

/** The `types` option of a pg client: PostgreSQL's text for the types above, pg's parsers for the rest. */
export const textTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (AS_TEXT.has(oid) && format !== "binary") return identity;
    return pg.types.getTypeParser(oid, format as "text");
  },
} as unknown as pg.CustomTypesConfig;

/** "2007-12-03 10:15:30.12+00" → "2007-12-03T10:15:30.120Z"; whole milliseconds keep 3 digits, else 6. */
function isoTimestamp(text: string, zone: boolean): string {
  const m = /^(-?\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))?(?:[+-]\d\d(?::\d\d)?)?( BC)?$/.exec(text);
  if (!m) return text;
  const digits = (m[3] ?? "").padEnd(6, "0");
  const fraction = digits.endsWith("000") ? digits.slice(0, 3) : digits;
  const base = `${m[1]}T${m[2]}`;
  if (zone) return `${base}.${fraction}Z`;
  // As DuckDB reads a naive timestamp back: no fraction when it is whole seconds.
  return fraction === "000" ? base : `${base}.${fraction}`;
}

function integer(v: string | number | bigint): number | bigint {
  if (typeof v === "number") return v;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : BigInt(v);
}

/**
 * jsonb's text as the canonical JSON text. jsonb prints every number in plain digits, so a
 * double JavaScript writes as 6.02e+23 comes back as 602000000000000000000000; such digits,
 * when they are exactly a double's shortest form, are that double again, as SQLite and
 * DuckDB keep it. (A bigint inside a JSON value is stored as a string, so no JSON number
 * came from one; other digits stay exact.)
 */
function jsonText(text: string): string {
  const value = parseJsonExact(text);
  return stringifyExact(/\d{22}/.test(text) ? doubles(value) : value);
}

function doubles(v: unknown): unknown {
  if (typeof v === "bigint") return asDouble(v);
  if (Array.isArray(v)) return v.map(doubles);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, doubles(x)]));
  return v;
}

/** The double whose shortest form (at or beyond 1e21, written with an exponent) spells exactly these digits, else the bigint. */
function asDouble(b: bigint): number | bigint {
  const n = Number(b);
  if (!Number.isFinite(n) || Math.abs(n) < 1e21) return b;
  const [mantissa, exponent] = String(n).split("e");
  const [whole, fraction = ""] = mantissa!.split(".");
  return BigInt(whole! + fraction) * 10n ** BigInt(Number(exponent) - fraction.length) === b ? n : b;
}

/** A value as the client returned it, in the canonical stored form of the column's logical type. */
export function toCanonical(type: LogicalType | null, v: unknown): Stored {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (Buffer.isBuffer(v)) return v;
  switch (type?.type) {
    case "SHORT":
    case "INT":
    case "LONG":
      return integer(v as string | number);
    case "FLOAT":
      return Math.fround(typeof v === "number" ? v : Number(v));
    case "DOUBLE":
      return typeof v === "number" ? v : Number(v);
    case "UTC_DATETIME":
      return isoTimestamp(String(v), true);
    case "NAIVE_DATETIME":
      return isoTimestamp(String(v), false);
    case "JSON":
      // jsonb prints ", " and ": "; the canonical JSON text is compact (jsonb's key order stays).
      return jsonText(String(v));
    default:
      return typeof v === "number" || typeof v === "bigint" ? v : String(v);
  }
}

/** A system timestamp (`_fivetran_synced`, a checkpoint's time) as ISO text. */
export const isoUtc = (v: unknown): string => isoTimestamp(String(v), true);
