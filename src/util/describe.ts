/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return value.toString();
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? "invalid" : value.toISOString()})`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return name && name !== "Object" ? withArticle(name) : "an object";
  }
  return String(value);
}

/** A plain object: an object literal, or one JSON.parse made, not a class instance or an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A noun with "a" or "an" as it is read: an Error, an Int8Array, a Money, a Uint8Array, a URL. */
export function withArticle(noun: string): string {
  return `${/^[aeio]/i.test(noun) ? "an" : "a"} ${noun}`;
}

/** "1 operation", "2 operations". */
export function plural(n: number | string, noun: string): string {
  return `${n} ${noun}${n === 1 || n === "1" ? "" : "s"}`;
}

/** "the value", or a path into it such as value.items[2]. */
export function spell(keys: (string | number)[]): string {
  return keys.length === 0 ? "the value" : keys.reduce<string>((at, k) => pathOf(at, k), "value");
}

function pathOf(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}
