/**
 * The connector's TypeScript, compiled once per content. jiti's own file cache names an entry by
 * the file's path, so a connector in a folder it has not seen (each test's temporary project, a
 * fresh checkout, a container) loaded jiti's babel build (1.5 MB) and compiled again: about
 * 350 ms of CPU per start. jiti's output depends on the path only where the source reads
 * import.meta (compiled to the file's URL as a literal), so this cache is keyed by what the
 * compiler reads: the source, jiti's options and version, the file's extension, and its path
 * only when the source names `meta` at all.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Jiti, TransformOptions, TransformResult } from "jiti";
import { builtin } from "../util/builtin.js";
import { ownTempFolder, readOwnFile } from "../util/own-files.js";

const require = createRequire(import.meta.url);
let folder: string | null | undefined;
let jitiVersion: string | undefined;
let compiler: Jiti | undefined;

/** The cache's folder, once per process; null when there is none to trust (every start compiles, as jiti would). */
function cacheFolder(): string | null {
  if (folder === undefined) folder = ownTempFolder("connector-sdk-compiled") ?? null;
  return folder;
}

function cacheKey(o: TransformOptions): string {
  jitiVersion ??= (require("jiti/package.json") as { version: string }).version;
  // Once a connector loads: `connector state` and others import the loader and often load none.
  const { createHash } = builtin("node:crypto");
  const { filename, ...rest } = o;
  const place = /\bmeta\b/.test(o.source) ? filename : path.extname(filename ?? "");
  return createHash("sha256")
    .update(JSON.stringify({ jiti: jitiVersion, place, ...rest }))
    .digest("hex")
    .slice(0, 32);
}

/** Where the output for these options is cached, or undefined when there is no folder to trust. */
function cacheFile(o: TransformOptions): string | undefined {
  const dir = cacheFolder();
  return dir === null ? undefined : path.join(dir, `${cacheKey(o)}.js`);
}

/** The cached output for these options, or undefined when it is not cached (or not to be trusted). */
export function cachedCode(o: TransformOptions): string | undefined {
  const file = cacheFile(o);
  return file === undefined ? undefined : readOwnFile(file)?.toString("utf8");
}

/** jiti's `transform` option: the cached output for this source, else jiti's own compiler (which stores nothing itself). */
export function cachedTransform(o: TransformOptions, createJiti: (typeof import("jiti"))["createJiti"]): TransformResult {
  const file = cacheFile(o);
  const cached = file === undefined ? undefined : readOwnFile(file)?.toString("utf8");
  if (cached !== undefined) return { code: cached };
  compiler ??= createJiti(import.meta.url, { fsCache: false, moduleCache: false });
  const code = compiler.transform(o);
  // jiti turns a syntax error into code that throws it: never kept.
  if (file && !code.includes("__JITI_ERROR__")) {
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    try {
      fs.writeFileSync(temp, code, { mode: 0o600 });
      fs.renameSync(temp, file);
    } catch {
      fs.rmSync(temp, { force: true });
    }
  }
  return { code };
}
