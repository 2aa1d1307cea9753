import fs from "node:fs";
import path from "node:path";
import { CASSETTE_FILE } from "./cassette.js";

/**
 * What a cassette folder already holds, in words ("3 requests, recorded 2026-12-06T04:26:33.774Z"),
 * or undefined when it holds no cassette and no outcome: `--record` must not replace one silently.
 */
export function existingCassette(dir: string): string | undefined {
  const file = path.join(dir, CASSETTE_FILE);
  if (!fs.existsSync(file)) return fs.existsSync(path.join(dir, "outcome.json")) ? "an expected outcome" : undefined;
  try {
    const c = JSON.parse(fs.readFileSync(file, "utf8")) as { interactions?: unknown; recordedAt?: unknown };
    const n = Array.isArray(c.interactions) ? c.interactions.length : undefined;
    const what = n === undefined ? "a cassette" : `a cassette of ${n} request${n === 1 ? "" : "s"}`;
    return typeof c.recordedAt === "string" ? `${what}, recorded ${c.recordedAt}` : what;
  } catch {
    return "a cassette";
  }
}
