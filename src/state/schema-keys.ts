/**
 * Keys of a state that the connector's state schema does not declare. A validator such as
 * zod's z.object() drops them silently, and a default fills the declared key instead, so a
 * misspelt cursor (`last_updated` for `last_updated_at`) would restart the sync on every run.
 */
import { isPlainObject } from "../util/describe.js";

/** The top-level keys of `raw` that validation dropped, each with the closest key the schema declares. */
export function undeclaredKeys(schema: unknown, raw: Record<string, unknown>, validated: unknown): { key: string; closest?: string }[] {
  if (!isPlainObject(validated)) return [];
  const declared = new Set([...Object.keys(validated), ...jsonSchemaKeys(schema)]);
  return Object.keys(raw)
    .filter((key) => !(key in validated))
    .map((key) => ({ key, closest: closest(key, [...declared].filter((d) => d !== key)) }));
}

/** ` (did you mean "closest"?)`, or nothing when the schema declares no other key. */
export function didYouMean(u: { closest?: string }): string {
  return u.closest === undefined ? "" : ` (did you mean "${u.closest}"?)`;
}

/** The properties a Standard JSON Schema (zod 4.2 and later) lists, when the validator provides one. */
function jsonSchemaKeys(schema: unknown): string[] {
  const converter = (schema as { "~standard"?: { jsonSchema?: { input?: (o: object) => unknown } } } | undefined)?.["~standard"]?.jsonSchema;
  if (!converter || typeof converter.input !== "function") return [];
  try {
    const json = converter.input({ target: "draft-2020-12", libraryOptions: { unrepresentable: "any" } });
    const properties = isPlainObject(json) ? json.properties : undefined;
    return isPlainObject(properties) ? Object.keys(properties) : [];
  } catch {
    return [];
  }
}

function closest(key: string, declared: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const d of declared) {
    const distance = levenshtein(key.toLowerCase(), d.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [d, distance];
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
