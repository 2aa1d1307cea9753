import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { asDefinition, type ConnectorDefinition } from "../sdk/connector.js";
import { UsageError } from "../util/errors.js";
import { isError, thrownText } from "../util/thrown.js";
import { describe } from "../util/describe.js";
import { unknownSdkImports } from "./sdk-imports.js";
import { cachedTransform } from "./transform-cache.js";
import { loadCached } from "./cached-connector.js";

/** This package's own entry points, so a connector folder without node_modules still resolves "connector-sdk". */
function selfAliases(): Record<string, string> {
  const pick = (base: string): string => {
    for (const ext of [".js", ".ts"]) {
      const file = fileURLToPath(new URL(`../${base}${ext}`, import.meta.url));
      if (fs.existsSync(file)) return file;
    }
    throw new Error(`connector-sdk is missing its own ${base} entry point`);
  };
  return { "connector-sdk/testing": pick("testing"), "connector-sdk/http": pick("http"), "connector-sdk": pick("index") };
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

type Jiti = typeof import("jiti");
let jitiModule: Jiti | undefined;
/** jiti itself, compiled once per thread (its CommonJS build is large), and only when a connector needs it (cached-connector.ts). */
function loadJiti(): Jiti {
  // Through require, not import: importing jiti's CommonJS build from ESM makes Node scan its 190 KB for exports, at every start.
  return (jitiModule ??= createRequire(import.meta.url)("jiti") as Jiti);
}

/** Loads connector.ts/.mts/.js/.mjs through jiti and returns its connector definition. */
export async function loadConnector(file: string): Promise<ConnectorDefinition<unknown, unknown>> {
  const own = selfAliases();
  // Before any of its code runs: jiti would make a name connector-sdk lacks undefined, to fail only mid-sync.
  const unknown = unknownSdkImports(file, own);
  if (unknown.length) throw new UsageError(`Cannot load ${file}: it imports names that connector-sdk does not export.\n${unknown.join("\n")}`);
  let mod: Record<string, unknown>;
  try {
    mod = await (loadCached(file, own, (filename) => jitiFor(filename, file, own)) ?? loadThroughJiti(file, own));
  } catch (e) {
    throw new UsageError(`Cannot load ${file}:\n${loadErrorText(e, path.dirname(file))}`);
  }
  for (const name of ["default", "connector"] as const) {
    const def = asDefinition(mod[name]);
    if (def) return def;
  }
  // A CommonJS connector (`module.exports = new Connector(...)`) arrives as module.exports itself, not as a namespace.
  const commonJs = mod.__esModule !== true && (mod as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] !== "Module";
  if (commonJs) {
    const def = asDefinition(mod);
    if (def) return def;
  }
  const found = Object.keys(mod).length ? Object.keys(mod).map((k) => `${k} (${describe(mod[k])})`).join(", ") : "no exports";
  if (commonJs && Object.keys(mod).length) {
    throw new UsageError(
      `${file} does not export a connector: its module.exports holds ${found}. Set \`module.exports = new Connector({ update })\` (or a plain { update, schema? } object), or write \`export default new Connector({ update })\`.`,
    );
  }
  throw new UsageError(
    `${file} does not export a connector. Export \`default new Connector({ update })\` (or an export named \`connector\`, or a plain { update, schema? } object); found ${found}.`,
  );
}

/** A jiti resolving from `base`, with the options a connector is loaded with. */
function jitiFor(base: string, file: string, own: Record<string, string>): ReturnType<Jiti["createJiti"]> {
  const alias = { ...borrowedAliases(file), ...own };
  const { createJiti } = loadJiti();
  // jiti's own file cache is keyed by path; transform-cache.ts keys by content. cached-connector.ts mirrors these options.
  return createJiti(base, { alias, interopDefault: false, moduleCache: false, fsCache: false, transform: (o) => cachedTransform(o, createJiti) });
}

async function loadThroughJiti(file: string, own: Record<string, string>): Promise<Record<string, unknown>> {
  return (await jitiFor(import.meta.url, file, own).import(file)) as Record<string, unknown>;
}

/**
 * The error's message and only the stack frames in the connector's own folder: jiti's and ours are noise here.
 * A missing module also names the file that imported it and how to install it.
 */
function loadErrorText(e: unknown, dir: string): string {
  if (!isError(e)) return `its top-level code threw a non-Error value: ${thrownText(e)}`;
  const lines = e.message.split("\n").map((l) => l.trimEnd());
  const message = lines.filter((l) => l && !l.startsWith("Require stack") && !l.startsWith("- ")).join("\n");
  const frames = (e.stack ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("at ") && l.includes(dir + path.sep) && !l.includes(`${path.sep}node_modules${path.sep}`));
  return [message, ...frames.map((f) => `    ${f}`), ...missingModuleHint(e, lines, dir)].join("\n");
}

function missingModuleHint(e: Error, messageLines: string[], dir: string): string[] {
  const code = (e as { code?: unknown }).code;
  const specifier = /^Cannot find (?:module|package) '([^']+)'/.exec(e.message)?.[1];
  if ((code !== "MODULE_NOT_FOUND" && code !== "ERR_MODULE_NOT_FOUND") || !specifier) return [];
  const hint: string[] = [];
  // Node's require stack lists the importing file first.
  const importer = messageLines.find((l) => l.startsWith("- "))?.slice(2);
  if (importer && (!importer.startsWith(dir + path.sep) || importer.includes(`${path.sep}node_modules${path.sep}`))) {
    hint.push(`  imported by ${path.relative(dir, importer) || importer}`);
  }
  if (/^fivetran[_-]connector[_-]sdk(\/|$)/.test(specifier)) {
    hint.push(`  ${specifier} is Fivetran's Python SDK. Here a connector imports from "connector-sdk": import { Connector, op, log } from "connector-sdk" (Python's Operations is op, and Logging is log).`);
    return hint;
  }
  if (!specifier.startsWith(".") && !path.isAbsolute(specifier)) {
    const pkg = specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
    hint.push(`  Install it in ${dir}: npm install ${pkg}`);
  }
  return hint;
}
