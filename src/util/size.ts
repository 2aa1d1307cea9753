/** Memory sizes as the user writes them (--memory-limit 512MB, 1GB) and as messages show them. */
import os from "node:os";
import { UsageError } from "./errors.js";

const MB = 1024 * 1024;
const UNITS: Record<string, number> = { kb: 1024, mb: MB, gb: 1024 * MB };

/** The smallest limit a sync worker can run under: its own code, the connector's and a warehouse connection. */
export const MIN_MEMORY_LIMIT = 64 * MB;

/** "512MB", "1GB", "1.5 GB" (units of 1024, as Fivetran's "1 GB" and V8's limits count), in bytes. */
export function parseSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(kb|mb|gb)\s*$/i.exec(text);
  if (!m) throw new UsageError(`${flag}: cannot read the size ${JSON.stringify(text)}; write it as 512MB or 1GB`);
  const bytes = Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  if (bytes < MIN_MEMORY_LIMIT) throw new UsageError(`${flag} ${text} is too small: a sync needs at least ${formatSize(MIN_MEMORY_LIMIT)}`);
  const max = maxMemoryLimit();
  if (bytes > max.bytes) {
    throw new UsageError(
      `${flag} ${text} is more than ${max.what} (${formatSize(max.bytes)}), so it could never stop a sync: the system's out-of-memory killer (or V8 itself) ` +
        `would end the whole process first, with no summary and no clean failure. Give at most ${formatSize(Math.floor((max.bytes / MB) * 10) * (MB / 10))}; production gives a connector 1 GB.`,
    );
  }
  return bytes;
}

/**
 * The largest memory limit that can do its job: the memory this machine has, or its container's
 * (cgroup) limit when lower. A heap limit above it is never what stops a sync.
 */
export function maxMemoryLimit(): { bytes: number; what: string } {
  const total = os.totalmem();
  const container = process.constrainedMemory?.() ?? 0;
  return container > 0 && container < total ? { bytes: container, what: "this container's memory limit" } : { bytes: total, what: "the memory of this machine" };
}

/** 1073741824 → "1 GB", 536870912 → "512 MB", 1610612736 → "1.5 GB". */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * MB) return `${trim(bytes / 1024 / MB)} GB`;
  if (bytes >= MB) return `${trim(bytes / MB)} MB`;
  return `${trim(bytes / 1024)} KB`;
}

const trim = (n: number): string => String(Math.round(n * 10) / 10);
