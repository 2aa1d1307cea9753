/**
 * connector-sdk packed into the build folder (`npm pack` of the installed copy), for the
 * Dockerfiles to install from: the image needs no registry that knows connector-sdk, and runs
 * exactly the version that built it.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CommandFailedError, UsageError } from "../util/errors.js";
import { packCache } from "./sdk-pack-cache.js";

export const PACKAGE_ROOT = path.resolve(fileURLToPath(import.meta.url), "../../..");

/** Packs this connector-sdk into `out` and returns the tarball's file name; an older tarball there is replaced. The same content packed before is copied from sdk-pack-cache.ts. */
export function packSdk(out: string): string {
  for (const old of fs.readdirSync(out).filter((n) => /^connector-sdk-.*\.tgz$/.test(n))) fs.rmSync(path.join(out, old), { force: true });
  const cache = packCache(PACKAGE_ROOT);
  const cached = cache?.take(out);
  if (cached) return cached;
  let stdout: string;
  try {
    // --ignore-scripts: the installed copy is already built, and packing must not rebuild it.
    stdout = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", out, PACKAGE_ROOT], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], cwd: out });
  } catch (e) {
    const err = e as { code?: string; status?: number | null; stderr?: string; message: string };
    const where = `Cannot pack connector-sdk (${PACKAGE_ROOT}) into ${out} for the image`;
    // No npm is a machine not set up for building (exit 2, nothing was packed); npm that fails is a build that ran and failed (exit 1).
    if (err.code === "ENOENT") throw new UsageError(`${where}: npm is not on the PATH. Install Node.js with npm, or put npm on the PATH, and build again.`);
    const said = (err.stderr || err.message).trim().split("\n").slice(-3).join(" ");
    throw new CommandFailedError(`${where}: npm pack failed${typeof err.status === "number" ? ` (exit code ${err.status})` : ""}: ${said}`);
  }
  const packed = (JSON.parse(stdout) as { filename: string }[])[0]!.filename;
  // npm names a scoped package's tarball scope-name-version.tgz; ours has no scope.
  const filename = path.basename(packed);
  cache?.keep(out, filename);
  return filename;
}
