import { afterEach, describe, expect, it, vi } from "vitest";
import { STUCK_MS, StuckWatch } from "../../src/host/heartbeat.js";

// verify's watch on a worker past its --timeout (host/verify-run.ts): a worker whose event loop stands still is
// stopped STUCK_MS after the limit; one that still turns, or has not started turning, is left to stop by itself.
describe("StuckWatch", () => {
  afterEach(() => vi.useRealTimers());

  const watched = (limitMs: number | undefined) => {
    vi.useFakeTimers();
    const stuck = vi.fn();
    const watch = new StuckWatch(limitMs, stuck);
    return { watch, stuck, beat: () => Atomics.add(new Int32Array(watch.buffer), 0, 1) };
  };

  it("calls a worker stuck when its counter stands still past the limit", () => {
    const { watch, stuck, beat } = watched(1000);
    beat();
    watch.watch();
    vi.advanceTimersByTime(1000 + STUCK_MS - 1);
    expect(stuck).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(stuck).toHaveBeenCalledOnce();
  });

  it("leaves a worker whose counter still moves to stop by itself", () => {
    const { watch, stuck, beat } = watched(1000);
    beat();
    watch.watch();
    vi.advanceTimersByTime(1000 + STUCK_MS / 2);
    beat();
    vi.advanceTimersByTime(10 * STUCK_MS);
    expect(stuck).not.toHaveBeenCalled();
  });

  it("does not judge a worker that has not counted yet, nor one watched without a limit, nor a watch stopped or started again", () => {
    const fresh = watched(1000);
    fresh.watch.watch();
    vi.advanceTimersByTime(10 * STUCK_MS);
    expect(fresh.stuck).not.toHaveBeenCalled();

    const unlimited = watched(undefined);
    unlimited.beat();
    unlimited.watch.watch();
    vi.advanceTimersByTime(10_000);
    expect(unlimited.stuck).not.toHaveBeenCalled();

    const stopped = watched(1000);
    stopped.beat();
    stopped.watch.watch();
    vi.advanceTimersByTime(1000);
    stopped.watch.stop();
    vi.advanceTimersByTime(10 * STUCK_MS);
    expect(stopped.stuck).not.toHaveBeenCalled();

    const again = watched(1000);
    again.beat();
    again.watch.watch();
    vi.advanceTimersByTime(900);
    again.watch.watch();
    vi.advanceTimersByTime(1000 + STUCK_MS - 1);
    expect(again.stuck).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(again.stuck).toHaveBeenCalledOnce();
  });
});
