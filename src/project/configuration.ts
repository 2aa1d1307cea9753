import fs from "node:fs";
import { UsageError } from "../util/errors.js";
import { duplicateKeyMessage, findDuplicateKey } from "../util/json-duplicates.js";
import { decodeTextFile, jsonErrorLocation, NOT_TEXT } from "../util/json.js";

/** Reads a configuration file as JSON; what it must contain is decided by validateConfiguration. */
export function readConfigurationFile(file: string): unknown {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`Configuration file not found: ${file}`);
    throw new UsageError(`Cannot read configuration file ${file}: ${(e as Error).message}`);
  }
  // A byte-order mark, as Windows editors write, and UTF-16, as PowerShell writes.
  const text = decodeTextFile(bytes);
  if (text === undefined) throw new UsageError(`Configuration file ${file} ${NOT_TEXT}.`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`Configuration file ${file} is not valid JSON (${jsonErrorLocation(text, e as Error, { showToken: false })})`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate) throw new UsageError(`Configuration file ${file} ${duplicateKeyMessage(duplicate)}`);
  return value;
}
