import anyAscii from "any-ascii";
import type { Naming } from "./naming-option.js";

export { namingOption, parseNaming, type Naming } from "./naming-option.js";

/**
 * Fivetran's name normalisation (facts, section 2.6): accents dropped, other non-ASCII
 * letters transliterated (any-ascii: 日本 → RiBen, Привет → Privet), every other
 * non-word character to "_", "_" inserted at lower-to-upper and digit boundaries,
 * lower case, runs of "_" collapsed. Table names also lose their leading underscores.
 */
export function normalizeName(name: string, kind: "table" | "column"): string {
  let s = name;
  if (/[^\w.-]/.test(s)) {
    s = s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").normalize("NFC");
    // Fivetran's 1.x client ran unidecode here; without it, 日本 and 中国 would both become "_".
    if (/[^\x00-\x7f]/.test(s)) s = anyAscii(s);
  }
  s = s.replace(/[^A-Za-z0-9_$]/g, "_");
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const prev = i > 0 ? s[i - 1]! : "";
    if (i === 0 && c === "$") {
      out += "_";
      continue;
    }
    if (prev) {
      const lowerToUpper = /[a-z]/.test(prev) && /[A-Z]/.test(c);
      const digitEdge = /\d/.test(prev) !== /\d/.test(c);
      if (lowerToUpper || digitEdge) out += "_";
    }
    out += c;
  }
  out = out.toLowerCase().replace(/_+/g, "_");
  if (!/^\w/.test(out)) out = "_" + out;
  if (kind === "table") out = out.replace(/^_+(?=[a-z])/, "");
  return out;
}

/** How SQLite compares names: ASCII letters fold to lower case, nothing else does, so "ID" and "id" are one column. */
export function sqliteNameKey(name: string): string {
  return /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, (c) => c.toLowerCase()) : name;
}

export function applyNaming(naming: Naming, name: string, kind: "table" | "column"): string {
  return naming === "fivetran" ? normalizeName(name, kind) : name;
}
