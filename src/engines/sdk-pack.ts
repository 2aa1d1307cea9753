/**
 * connector-sdk packed into the build folder (`npm pack` of the installed copy), for the
 * Dockerfiles to install from: the image needs no registry that knows connector-sdk, and runs
 * exactly the version that built it.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../util/errors.js";

export const PACKAGE_ROOT = path.resolve(fileURLToPath(import.meta.url), "../../..");

/** Packs this connector-sdk into `out` and returns the tarball's file name; an older tarball there is replaced. */
export function packSdk(out: string): string {
  for (const old of fs.readdirSync(out).filter((n) => /^connector-sdk-.*\.tgz$/.test(n))) fs.rmSync(path.join(out, old), { force: true });
  let stdout: string;
  try {
    // --ignore-scripts: the installed copy is already built, and packing must not rebuild it.
    stdout = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", out, PACKAGE_ROOT], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], cwd: out });
  } catch (e) {
    const err = e as { code?: string; stderr?: string; message: string };
    const why = err.code === "ENOENT" ? "npm is not on the PATH" : (err.stderr || err.message).trim().split("\n").slice(-3).join(" ");
    throw new UsageError(`Cannot pack connector-sdk (${PACKAGE_ROOT}) into ${out} for the image: ${why}.`);
  }
  const packed = (JSON.parse(stdout) as { filename: string }[])[0]!.filename;
  // npm names a scoped package's tarball scope-name-version.tgz; ours has no scope.
  return path.basename(packed);
}
