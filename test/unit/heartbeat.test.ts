import { afterEach, describe, expect, it, vi } from "vitest";
import { BEATS, Heartbeat, LIMIT, STUCK_MS, StuckWatch } from "../../src/host/heartbeat.js";

// verify's watch on a worker past its --timeout (host/verify-run.ts): a worker whose event loop stands still is
// stopped STUCK_MS after the limit; one that still turns, or has turned since its run's limit, or has not started, is left
// to stop by itself. The worker's side is written by hand here, as a stuck worker's timers would not fire.
describe("StuckWatch", () => {
  afterEach(() => vi.useRealTimers());

  const watched = (limitMs: number | undefined) => {
    vi.useFakeTimers();
    const stuck = vi.fn();
    const watch = new StuckWatch(limitMs, stuck);
    const slots = new Int32Array(watch.buffer);
    return { watch, stuck, beat: () => Atomics.add(slots, BEATS, 1), limitFired: () => Atomics.store(slots, LIMIT, 1) };
  };

  it("calls a worker stuck when it has neither counted nor fired its limit timer past the limit", () => {
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

  it("leaves a worker that fired its run's limit timer, even if it then stands still (its own timeout closing the warehouse)", () => {
    const { watch, stuck, beat, limitFired } = watched(1000);
    beat();
    watch.watch();
    vi.advanceTimersByTime(999);
    limitFired();
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

describe("Heartbeat (the worker's side)", () => {
  afterEach(() => vi.useRealTimers());

  it("counts at once and then on a timer, and marks a run's limit once its timer fires, cleared for the next run", () => {
    vi.useFakeTimers();
    const buffer = new SharedArrayBuffer(8);
    const slots = new Int32Array(buffer);
    const heartbeat = new Heartbeat(buffer);
    expect(slots[BEATS]).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(slots[BEATS]).toBeGreaterThan(1);
    heartbeat.run(true, 1000);
    vi.advanceTimersByTime(999);
    expect(slots[LIMIT]).toBe(0);
    vi.advanceTimersByTime(1);
    expect(slots[LIMIT]).toBe(1);
    heartbeat.run(false, 1000);
    expect(slots[LIMIT]).toBe(0);
    heartbeat.run(true, undefined);
    vi.advanceTimersByTime(10_000);
    expect(slots[LIMIT]).toBe(0);
  });
});
