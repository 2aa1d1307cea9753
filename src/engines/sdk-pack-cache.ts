/**
 * The packed connector-sdk, kept by content: `npm pack` costs about 2 s of CPU, and a user who builds
 * again (another target, the same project after an edit) would pay it again for the same bytes. The key
 * is everything npm pack reads here, or more: package.json and every other file at the package's top
 * (README, LICENSE, .npmignore, .npmrc), every file under `files` (path, mode, content), and which npm
 * packs (its real path and version). npm pack writes the same bytes for the same input (fixed
 * timestamps), so a tarball taken from here is the one npm would have written. A package whose
 * contents npm would choose by rules this cannot follow (no `files`, a glob in it, bundled
 * dependencies) is not cached, nor is any when there is no npm on the PATH: the build then fails as before.
 */
import fs from "node:fs";
import path from "node:path";
import { builtin } from "../util/builtin.js";
import { ownTempFolder, readOwnFile } from "../util/own-files.js";

/** How many packed versions are kept (a user may build with two checkouts in turn). */
const KEEP = 4;

/** The first `npm` on the PATH, resolved through its links, or undefined. */
function npmOnPath(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, "npm");
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return fs.realpathSync(file);
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** npm's version from the package.json above its real path, else the file's size and time: which npm packs. */
function npmIdentity(npm: string): string {
  for (let dir = path.dirname(npm), i = 0; i < 4; dir = path.dirname(dir), i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "npm") return `${npm}@${pkg.version}`;
    } catch {
      // No package.json here.
    }
  }
  const st = fs.statSync(npm);
  return `${npm}:${st.size}:${st.mtimeMs}`;
}

/** The key of what `npm pack <root>` would write with this npm, or undefined when it cannot be known without npm. */
export function packKey(root: string, npm: string): string | undefined {
  const pkgText = fs.readFileSync(path.join(root, "package.json"), "utf8");
  const pkg = JSON.parse(pkgText) as { files?: unknown; bundleDependencies?: unknown; bundledDependencies?: unknown };
  if (!Array.isArray(pkg.files) || pkg.bundleDependencies || pkg.bundledDependencies) return undefined;
  if (pkg.files.some((f) => typeof f !== "string" || /[*?[\]{}!]/.test(f))) return undefined;
  const hash = builtin("node:crypto").createHash("sha256");
  hash.update(`sdk-pack 1\0${npmIdentity(npm)}\0`);
  const add = (rel: string): void => {
    const file = path.join(root, rel);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file);
    } catch {
      hash.update(`missing ${rel}\0`);
      return;
    }
    hash.update(`${rel}\0${st.mode}\0`);
    if (st.isSymbolicLink()) hash.update(`link ${fs.readlinkSync(file)}\0`);
    else if (st.isFile()) hash.update(`${st.size}\0`).update(fs.readFileSync(file));
    else if (st.isDirectory()) for (const name of fs.readdirSync(file).sort()) add(path.join(rel, name));
  };
  for (const entry of fs.readdirSync(root, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) if (!entry.isDirectory()) add(entry.name);
  for (const entry of [...(pkg.files as string[])].sort()) add(path.normalize(entry).replace(/\/+$/, ""));
  return hash.digest("hex").slice(0, 32);
}

export interface PackCache {
  /** Copies the cached tarball into `out` and returns its file name, or undefined when it is not cached (or not to be trusted). */
  take(out: string): string | undefined;
  /** Keeps the tarball npm just wrote in `out`. */
  keep(out: string, filename: string): void;
}

/** The cache entry for the package at `root`, or undefined when it is not to be cached. */
export function packCache(root: string): PackCache | undefined {
  const npm = npmOnPath();
  if (!npm) return undefined;
  let key: string | undefined;
  try {
    key = packKey(root, npm);
  } catch {
    return undefined;
  }
  const dir = key && ownTempFolder("connector-sdk-packed");
  if (!key || !dir) return undefined;
  return {
    take(out) {
      const entry = fs.readdirSync(dir).find((n) => n.startsWith(`${key}-`) && n.endsWith(".tgz"));
      if (!entry) return undefined;
      // A tarball someone else could have written would go into the image.
      const bytes = readOwnFile(path.join(dir, entry));
      if (!bytes) return undefined;
      try {
        // A truncated or damaged entry fails here, not later in docker build: npm packs again.
        builtin("node:zlib").gunzipSync(bytes);
        const filename = entry.slice(key.length + 1);
        fs.writeFileSync(path.join(out, filename), bytes);
        fs.utimesSync(path.join(dir, entry), new Date(), new Date());
        return filename;
      } catch {
        return undefined;
      }
    },
    keep(out, filename) {
      try {
        const temp = path.join(dir, `.${key}.${process.pid}.tmp`);
        fs.copyFileSync(path.join(out, filename), temp);
        fs.chmodSync(temp, 0o600);
        fs.renameSync(temp, path.join(dir, `${key}-${filename}`));
        const old = fs
          .readdirSync(dir)
          .filter((n) => n.endsWith(".tgz"))
          .map((n) => ({ n, t: fs.statSync(path.join(dir, n)).mtimeMs }))
          .sort((a, b) => b.t - a.t)
          .slice(KEEP);
        for (const { n } of old) fs.rmSync(path.join(dir, n), { force: true });
      } catch {
        // Not kept: the next build packs again.
      }
    },
  };
}
