import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createJiti } from "jiti";
import { asDefinition, type ConnectorDefinition } from "./connector.js";
import { UsageError } from "./errors.js";
import { describe } from "./types.js";

/** This package's own entry points, so a connector folder without node_modules still resolves "connector-sdk". */
function selfAliases(): Record<string, string> {
  const pick = (base: string): string => {
    for (const ext of [".js", ".ts"]) {
      const file = fileURLToPath(new URL(`../${base}${ext}`, import.meta.url));
      if (fs.existsSync(file)) return file;
    }
    throw new Error(`connector-sdk is missing its own ${base} entry point`);
  };
  return { "connector-sdk/testing": pick("testing"), "connector-sdk": pick("index") };
}

/**
 * zod is how the templates type their configuration and state. A project that has not
 * run `npm install` yet borrows this package's copy, so it still runs out of the box.
 */
function borrowedAliases(connectorFile: string): Record<string, string> {
  const own = createRequire(import.meta.url);
  const theirs = createRequire(connectorFile);
  const aliases: Record<string, string> = {};
  for (const name of ["zod"]) {
    try {
      theirs.resolve(name);
    } catch {
      try {
        aliases[name] = path.join(path.dirname(own.resolve(`${name}/package.json`)), "index.js");
      } catch {
        // Not installed here either: let the connector's import fail with its own message.
      }
    }
  }
  return aliases;
}

/** Loads connector.ts/.mts/.js/.mjs through jiti and returns its connector definition. */
export async function loadConnector(file: string): Promise<ConnectorDefinition<unknown, unknown>> {
  const alias = { ...borrowedAliases(file), ...selfAliases() };
  const jiti = createJiti(import.meta.url, { alias, interopDefault: false, moduleCache: false });
  let mod: Record<string, unknown>;
  try {
    mod = (await jiti.import(file)) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`Cannot load ${file}:\n${loadErrorText(e, path.dirname(file))}`);
  }
  for (const name of ["default", "connector"] as const) {
    const def = asDefinition(mod[name]);
    if (def) return def;
  }
  const found = Object.keys(mod).length ? Object.keys(mod).map((k) => `${k} (${describe(mod[k])})`).join(", ") : "no exports";
  throw new UsageError(
    `${file} does not export a connector. Export \`default new Connector({ update })\` (or an export named \`connector\`, or a plain { update, schema? } object); found ${found}.`,
  );
}

/** The error's message and only the stack frames in the connector's own folder: jiti's and ours are noise here. */
function loadErrorText(e: unknown, dir: string): string {
  if (!(e instanceof Error)) return String(e);
  const message = e.message.split("\n").map((l) => l.trimEnd()).filter((l) => l && !l.startsWith("Require stack") && !l.startsWith("- ")).join("\n");
  const frames = (e.stack ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("at ") && l.includes(dir + path.sep) && !l.includes(`${path.sep}node_modules${path.sep}`));
  return [message, ...frames.map((f) => `    ${f}`)].join("\n");
}
