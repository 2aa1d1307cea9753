/** The three date types: NAIVE_DATE, NAIVE_DATETIME and UTC_DATETIME, in their canonical ISO text. */
import { describe } from "../util/describe.js";
import { CoercionError } from "./types.js";

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function validDate(y: number, mo: number, d: number): boolean {
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

function checkClock(h: number, mi: number, s: number, raw: string, name: string): void {
  if (h > 23 || mi > 59 || s > 59) throw new CoercionError(`${name} got an impossible time ${JSON.stringify(raw)}`);
}

export function isoDate(d: Date, name: string): string {
  if (Number.isNaN(d.getTime())) throw new CoercionError(`${name} got an invalid Date`);
  return d.toISOString();
}

export function coerceNaiveDate(value: unknown): string {
  if (value instanceof Date) return isoDate(value, "NAIVE_DATE").slice(0, 10);
  if (typeof value === "string") {
    const m = DATE_RE.exec(value.trim());
    if (m && validDate(+m[1]!, +m[2]!, +m[3]!)) return m[0];
  }
  throw new CoercionError(`NAIVE_DATE needs "YYYY-MM-DD" or a Date, got ${describe(value)}`);
}

function fraction(f: string | undefined): string {
  if (!f) return "";
  return "." + (f.length <= 3 ? f.padEnd(3, "0") : f.length <= 6 ? f.padEnd(6, "0") : f.padEnd(9, "0"));
}

export function coerceNaiveDateTime(value: unknown): string {
  if (value instanceof Date) return isoDate(value, "NAIVE_DATETIME").slice(0, -1);
  if (typeof value === "string") {
    const s = value.trim();
    const dm = DATE_RE.exec(s);
    if (dm && validDate(+dm[1]!, +dm[2]!, +dm[3]!)) return `${s}T00:00:00`;
    const m = DATETIME_RE.exec(s);
    if (m && !m[8] && validDate(+m[1]!, +m[2]!, +m[3]!)) {
      checkClock(+m[4]!, +m[5]!, +(m[6] ?? 0), s, "NAIVE_DATETIME");
      return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}${fraction(m[7])}`;
    }
    if (m && m[8]) throw new CoercionError(`NAIVE_DATETIME has no time zone, got ${JSON.stringify(s)}; declare the column UTC_DATETIME to keep the zone`);
  }
  throw new CoercionError(`NAIVE_DATETIME needs "YYYY-MM-DDTHH:MM:SS[.fff]" or a Date, got ${describe(value)}`);
}

/** Already canonical (what toISOString() prints): the common case, checked without parsing. */
const CANONICAL_UTC = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

export function coerceUtcDateTime(value: unknown): string {
  if (value instanceof Date) return isoDate(value, "UTC_DATETIME");
  if (typeof value === "string") {
    if (CANONICAL_UTC.test(value) && (value.charCodeAt(8) < 0x32 || (value.charCodeAt(8) === 0x32 && value.charCodeAt(9) <= 0x38) || validDate(+value.slice(0, 4), +value.slice(5, 7), +value.slice(8, 10)))) {
      return value;
    }
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
      const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)) - offsetMin * 60_000;
      const whole = new Date(ms).toISOString().slice(0, 19);
      return `${whole}${fraction(m[7]) || ".000"}Z`;
    }
  }
  throw new CoercionError(`UTC_DATETIME needs an ISO-8601 string with a zone or a Date, got ${describe(value)}`);
}

