import { UsageError } from "./errors.js";

/** Node's timers hold a signed 32-bit count of milliseconds; a longer one fires at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "30s", "5m", "1h", or a bare number of seconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new UsageError(`cannot read the duration ${JSON.stringify(text)}; write it as 500ms, 30s, 5m or 1h`);
  const ms = Number(m[1]) * UNITS[m[2] ?? "s"]!;
  if (ms <= 0) throw new UsageError(`the duration must be more than zero, got ${JSON.stringify(text)}`);
  if (ms > MAX_DURATION_MS) {
    throw new UsageError(`the duration ${JSON.stringify(text)} is too long: the longest is 596h (about 24 days). To let a run go on without a limit, leave the option out.`);
  }
  return ms;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}
