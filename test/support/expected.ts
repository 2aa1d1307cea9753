/**
 * No silent skips where a suite is expected to run. Off CI a suite whose needs are not met
 * is skipped (a laptop without root cannot mount); under CI=true (.ci/run) the same gap,
 * where the suite is expected to run, fails the file instead of passing it untested.
 */
import { execSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Whether a suite runs here: `can` when it can, else a skip, or under CI=true an error when it was `expected` to run. */
export function expectedToRun(suite: string, can: boolean, expected: boolean, why: string): boolean {
  if (!can && expected && process.env.CI === "true") throw new Error(`${suite} is expected to run on CI, and would have been skipped: ${why}`);
  return can;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/** Whether this process may mount a tmpfs (root, with the right to mount). */
export function canMount(): boolean {
  if (!isRoot()) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), "mount-probe-"));
  try {
    execSync(`mount -t tmpfs -o size=1m tmpfs ${probe} && umount ${probe}`, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** The mount suites: expected to run wherever the tests run as root. */
export const mountsRun = (suite: string): boolean => expectedToRun(suite, canMount(), isRoot(), "running as root, yet mount -t tmpfs failed (the container lacks CAP_SYS_ADMIN?)");
