/** The three date types: NAIVE_DATE, NAIVE_DATETIME and UTC_DATETIME, in their canonical ISO text. */
import { describe } from "../util/describe.js";
import { CoercionError } from "./types.js";

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** The years the canonical text YYYY-MM-DD holds (and most destinations' date types). */
export const MIN_YEAR = 1;
export const MAX_YEAR = 9999;

/** Milliseconds since the epoch of a UTC date and time; unlike Date.UTC, years 0 to 99 are not taken as 1900 to 1999. */
function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  dt.setUTCHours(h, mi, s, 0);
  return dt.getTime();
}

function validDate(y: number, mo: number, d: number): boolean {
  const dt = new Date(utcMs(y, mo, d));
  return y >= MIN_YEAR && dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

/** Whether a valid Date falls in years 0001 to 9999 (UTC), which the ISO text YYYY-MM-DD… can hold. */
export function inDateRange(d: Date): boolean {
  const y = d.getUTCFullYear();
  return y >= MIN_YEAR && y <= MAX_YEAR;
}

const RANGE = "years 0001 to 9999";

function checkClock(h: number, mi: number, s: number, raw: string, name: string): void {
  if (h > 23 || mi > 59 || s > 59) throw new CoercionError(`${name} got an impossible time ${JSON.stringify(raw)}`);
}

/** A Date's ISO text. A date type refuses years outside 0001–9999, whose text (`+012000-01-01…`) is no date of that type; STRING keeps it. */
export function isoDate(d: Date, name: string): string {
  if (Number.isNaN(d.getTime())) throw new CoercionError(`${name} got an invalid Date`);
  if (name !== "STRING" && !inDateRange(d)) {
    throw new CoercionError(`${name} holds ${RANGE}, got a Date in year ${d.getUTCFullYear()} (${d.toISOString()}); send null, or declare the column STRING to keep its text`);
  }
  return d.toISOString();
}

export function coerceNaiveDate(value: unknown): string {
  if (value instanceof Date) return isoDate(value, "NAIVE_DATE").slice(0, 10);
  if (typeof value === "string") {
    const m = DATE_RE.exec(value.trim());
    if (m && validDate(+m[1]!, +m[2]!, +m[3]!)) return m[0];
  }
  throw new CoercionError(`NAIVE_DATE needs "YYYY-MM-DD" (${RANGE}) or a Date, got ${describe(value)}`);
}

/**
 * The canonical fraction of a second, so one instant has one text: trailing zeros trimmed, then padded to 3, 6 or 9
 * digits (`.5` → `.500`, `.123000` → `.123`, `.1234` → `.123400`). A zero fraction is `.000` for UTC_DATETIME (as
 * toISOString writes it) and nothing for NAIVE_DATETIME.
 */
function fraction(f: string | undefined, zero: "" | ".000"): string {
  const digits = (f ?? "").replace(/0+$/, "");
  if (digits === "") return zero;
  return "." + digits.padEnd(digits.length <= 3 ? 3 : digits.length <= 6 ? 6 : 9, "0");
}

export function coerceNaiveDateTime(value: unknown): string {
  if (value instanceof Date) {
    const text = isoDate(value, "NAIVE_DATETIME");
    return text.endsWith(".000Z") ? text.slice(0, -5) : text.slice(0, -1);
  }
  if (typeof value === "string") {
    const s = value.trim();
    const dm = DATE_RE.exec(s);
    if (dm && validDate(+dm[1]!, +dm[2]!, +dm[3]!)) return `${s}T00:00:00`;
    const m = DATETIME_RE.exec(s);
    if (m && !m[8] && validDate(+m[1]!, +m[2]!, +m[3]!)) {
      checkClock(+m[4]!, +m[5]!, +(m[6] ?? 0), s, "NAIVE_DATETIME");
      return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}${fraction(m[7], "")}`;
    }
    if (m && m[8]) throw new CoercionError(`NAIVE_DATETIME has no time zone, got ${JSON.stringify(s)}; declare the column UTC_DATETIME to keep the zone`);
  }
  throw new CoercionError(`NAIVE_DATETIME needs "YYYY-MM-DDTHH:MM:SS[.fff]" or a Date, got ${describe(value)}`);
}

/** The digit positions of "YYYY-MM-DDTHH:MM:SS.fffZ". */
const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/**
 * Whether a text is already what toISOString() prints for years 0001 to 9999, a real date: the common
 * case, checked character by character, which is quicker than a regular expression and a parse.
 */
function canonicalUtc(s: string): boolean {
  if (s.length !== 24 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46 || s.charCodeAt(23) !== 90) return false;
  for (let k = 0; k < DIGITS.length; k++) {
    const c = s.charCodeAt(DIGITS[k]!);
    if (c < 48 || c > 57) return false;
  }
  const two = (i: number): number => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
  const year = two(0) * 100 + two(2);
  const month = two(5);
  const day = two(8);
  if (year === 0 || month < 1 || month > 12 || day < 1 || day > 31 || two(11) > 23 || two(14) > 59 || two(17) > 59) return false;
  return day <= 28 || validDate(year, month, day);
}

export function coerceUtcDateTime(value: unknown): string {
  if (value instanceof Date) return isoDate(value, "UTC_DATETIME");
  if (typeof value === "string") {
    if (canonicalUtc(value)) return value;
    const s = value.trim();
    const dm = DATE_RE.exec(s);
    if (dm && validDate(+dm[1]!, +dm[2]!, +dm[3]!)) return `${s}T00:00:00.000Z`;
    const m = DATETIME_RE.exec(s);
    if (m && validDate(+m[1]!, +m[2]!, +m[3]!)) {
      if (!m[8]) throw new CoercionError(`UTC_DATETIME needs a zone ("Z" or "+HH:MM"), got ${JSON.stringify(s)}; declare the column NAIVE_DATETIME for local times`);
      checkClock(+m[4]!, +m[5]!, +(m[6] ?? 0), s, "UTC_DATETIME");
      let offsetMin = 0;
      if (m[8].toUpperCase() !== "Z") {
        const z = m[8].replace(":", "");
        const hours = Number(z.slice(1, 3));
        const minutes = Number(z.slice(3, 5));
        if (hours > 23 || minutes > 59) throw new CoercionError(`UTC_DATETIME got an impossible UTC offset ${m[8]} in ${JSON.stringify(s)}; offsets run from -23:59 to +23:59`);
        offsetMin = (z[0] === "-" ? -1 : 1) * (hours * 60 + minutes);
      }
      const utc = new Date(utcMs(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)) - offsetMin * 60_000);
      if (!inDateRange(utc)) throw new CoercionError(`UTC_DATETIME holds ${RANGE} in UTC, and ${JSON.stringify(s)} is ${utc.toISOString()} in UTC`);
      const whole = utc.toISOString().slice(0, 19);
      return `${whole}${fraction(m[7], ".000")}Z`;
    }
  }
  throw new CoercionError(`UTC_DATETIME needs an ISO-8601 string with a zone or a Date, got ${describe(value)}`);
}

