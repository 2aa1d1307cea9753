/**
 * Stack frames in this package's own built code, placed at their TypeScript line. npm run build
 * bundles the CLI (scripts/bundle.mjs), so a frame reads dist/chunks/sync/run-sync-<hash>.js:858, which
 * says little; its source map says src/normalize/row-normalizer.ts. Only crash reports pay for
 * this, when one is written: Node reads no source map at startup.
 */
import fs from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const DIST = path.resolve(fileURLToPath(import.meta.url), "../..") + path.sep;
const FRAME = /(file:\/\/\/[^\s()]+?\.js|\/[^\s():]+?\.js):(\d+):(\d+)/g;

/** The value with every "stack" and "trace" string in it (causes included) mapped; anything else is kept as it is. */
export function sourceFrames<T>(value: T): T {
  const maps = new Map<string, SourceMap | null>();
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === "string") return key === "stack" || key === "trace" ? v.replace(FRAME, (frame, file: string, line: string, column: string) => place(maps, frame, file, +line, +column)) : v;
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value) as T;
}

function place(maps: Map<string, SourceMap | null>, frame: string, file: string, line: number, column: number): string {
  const js = file.startsWith("file:") ? fileURLToPath(file) : file;
  if (!js.startsWith(DIST)) return frame;
  let map = maps.get(js);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(fs.readFileSync(`${js}.map`, "utf8")) as SourceMapPayload);
    } catch {
      map = null;
    }
    maps.set(js, map);
  }
  const found = map?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
  if (!found?.originalSource || found.originalLine === undefined || found.originalColumn === undefined) return frame;
  const source = path.resolve(path.dirname(js), found.originalSource);
  return `${source}:${found.originalLine + 1}:${found.originalColumn + 1}`;
}
