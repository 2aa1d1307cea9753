/**
 * A connector run without loading jiti, where jiti would only run code it compiled before. Loading
 * jiti costs about 40 ms of CPU in each thread (its 190 KB build, and the Node modules it requires:
 * crypto, vm, assert, perf_hooks, tty, fs/promises), at every `debug`, `run` and `verify`.
 *
 * That is the case when the connector's compiled code is in the compile cache (transform-cache.ts)
 * and imports nothing but connector-sdk and Node's own modules. The code then runs as jiti 2.7
 * runs it (`evalModule` and `jitiRequire` in its source): the options its transform is called
 * with, which key the cache; the same wrapper, file name and arguments, so stack frames and errors
 * read the same; connector-sdk through a native import of this package's own entry point, and
 * Node's modules through `import()`. Anything else (another import, `require`, a JITI_* setting,
 * a file not named .ts or .mts) returns undefined, and jiti loads the connector.
 */
import fs from "node:fs";
import { builtinModules, Module } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import type { Jiti } from "jiti";
import { cachedCode } from "./transform-cache.js";

/** What jiti's evalModule passes to its transform for an ES module it compiles, with loader.ts's options to createJiti. */
export function transformOptions(filename: string, source: string): { babel: object; interopDefault: false; filename: string; source: string; ts: boolean; async: true; jsx: false } {
  return { babel: {}, interopDefault: false, filename, source, ts: /\.[cm]?tsx?$/.test(path.extname(filename)), async: true, jsx: false };
}

const IMPORT = /\bjitiImport\("([^"\\]+)"\)/g;

/**
 * The connector's exports, or undefined when jiti must load it. `own` maps connector-sdk's entry
 * points to this package's files (loader.ts), as jiti's aliases do.
 */
export function loadCached(file: string, own: Record<string, string>, jitiFor: (filename: string) => Jiti): Promise<Record<string, unknown>> | undefined {
  // jiti resolves a relative path from its own folder, not the working directory.
  if (!/\.m?ts$/.test(file) || !path.isAbsolute(file) || Object.keys(process.env).some((k) => k.startsWith("JITI_"))) return undefined;
  // The path as given, not its real path: jiti names a symbolic link by the link, in stack frames, __filename and import.meta.
  const filename = path.resolve(file);
  let source: string;
  try {
    source = fs.readFileSync(filename, "utf8");
  } catch {
    return undefined;
  }
  let code = cachedCode(transformOptions(filename, source));
  if (code === undefined || /\b(require|jitiESMResolve|__JITI_ERROR__)\b|\bimport\s*\(/.test(code)) return undefined;
  const specifiers = [...code.matchAll(IMPORT)].map((m) => m[1]!);
  if (specifiers.length !== code.split("jitiImport").length - 1) return undefined;
  const targets = new Map<string, string>();
  for (const s of new Set(specifiers)) {
    const target = importTarget(s, own);
    if (target === undefined) return undefined;
    targets.set(s, target);
  }
  if (code.startsWith("#!")) code = "// " + code;
  let compiled: (...args: unknown[]) => Promise<unknown>;
  try {
    compiled = vm.runInThisContext(
      `(async function (exports, require, module, __filename, __dirname, jitiImport, jitiESMResolve) { ${code}\n});`,
      { filename, lineOffset: 0, displayErrors: false },
    ) as typeof compiled;
  } catch {
    // jiti would run it as an ES module instead.
    return undefined;
  }
  const mod = new Module(filename);
  mod.filename = filename;
  mod.path = path.dirname(filename);
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(mod.path);
  // Code that reaches jiti's functions without naming them (`module["req" + "uire"]`, `arguments[1]`) gets jiti's, loaded then.
  let jiti: Jiti | undefined;
  const lazy = (): Jiti => (jiti ??= jitiFor(filename));
  mod.require = ((id: string) => lazy()(id)) as NodeJS.Require;
  const jitiImport = async (specifier: string): Promise<unknown> => {
    const target = targets.get(specifier);
    return target === undefined ? lazy().import(specifier) : import(target);
  };
  const jitiESMResolve = (id: string, options?: unknown): unknown => (lazy().esmResolve as (id: string, options?: unknown) => unknown)(id, options);
  return compiled(mod.exports, mod.require, mod, filename, mod.path, jitiImport, jitiESMResolve).then(() => {
    mod.loaded = true;
    return mod.exports as Record<string, unknown>;
  });
}

/** What an import names: Node's module, or the URL of this package's own entry point; undefined for anything jiti must resolve. */
function importTarget(specifier: string, own: Record<string, string>): string | undefined {
  if (specifier.startsWith("node:") || builtinModules.includes(specifier)) return specifier;
  const file = own[specifier];
  // An entry point jiti imports natively: an ES module's .js, as dist/ holds (from src/, jiti compiles the .ts).
  if (file === undefined || !file.endsWith(".js")) return undefined;
  try {
    return pathToFileURL(fs.realpathSync(file)).href;
  } catch {
    return undefined;
  }
}
