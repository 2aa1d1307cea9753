/**
 * Where a non-Error value was thrown. `throw "API returned garbage"` carries no stack, so the
 * failure could name no file or line. It is looked up once the sync has failed: in the file that
 * defines update(), the one `throw` of that literal (or, for any value, the file's one `throw`
 * that is not `throw new …`). toError() then names that place. Watching every throw through the
 * inspector while the sync runs would find more, but a worker with the Debugger enabled takes the
 * whole process down when it runs out of memory (--memory-limit), crash report and all.
 */
import fs from "node:fs";
import { isError, noteThrowSite, toError } from "../util/thrown.js";
import { functionPlace } from "./schema-locations.js";

export { toError };

/** Notes where update() threw `value`, when its file says so unambiguously; returns the value. */
export function placeThrown(update: unknown, value: unknown): unknown {
  if (isError(value)) return value;
  const fn = functionPlace(update);
  if (!fn) return value;
  let lines: string[];
  try {
    lines = fs.readFileSync(fn.file, "utf8").split("\n");
  } catch {
    return value;
  }
  const throws = lines.flatMap((line, i) => (/\bthrow\b(?!\s+new\b)/.test(line) && !/^\s*(\/\/|\*)/.test(line) ? [i + 1] : []));
  const forms = typeof value === "string" ? [JSON.stringify(value), `'${value}'`, `\`${value}\``] : [];
  const literal = throws.filter((n) => forms.some((f) => lines[n - 1]!.includes(f)));
  const line = literal.length === 1 ? literal[0] : throws.length === 1 ? throws[0] : undefined;
  if (line !== undefined) noteThrowSite(value, `update (${fn.file}:${line})`);
  return value;
}
