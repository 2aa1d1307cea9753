import fs from "node:fs";
import { UsageError } from "../util/errors.js";
import { jsonErrorLocation } from "../util/json.js";

/** Reads a configuration file as JSON; what it must contain is decided by validateConfiguration. */
export function readConfigurationFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`Configuration file not found: ${file}`);
    throw new UsageError(`Cannot read configuration file ${file}: ${(e as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark, as Windows editors write
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`Configuration file ${file} is not valid JSON (${jsonErrorLocation(text, e as Error, { showToken: false })})`);
  }
}
