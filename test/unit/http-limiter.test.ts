import { describe, expect, it } from "vitest";
import { Limiter } from "../../src/http/limiter.js";

/** connector-sdk/http's rate limit and concurrency cap, at given instants (the end-to-end test cannot fix the clock). */
describe("the limiter", () => {
  it("spaces requests made at once by the rate, in the order they asked", () => {
    const l = new Limiter({ requestsPerSecond: 20 });
    expect([0, 1, 2, 3].map(() => l.reserve("api.example.com", 1000))).toEqual([0, 50, 100, 150]);
  });

  it("refills with time, up to the burst, and keeps one bucket per host", () => {
    const l = new Limiter({ requestsPerSecond: 10, burst: 2 });
    expect([l.reserve("a", 0), l.reserve("a", 0), l.reserve("a", 0)]).toEqual([0, 0, 100]);
    // A second later the bucket holds its burst again, not ten tokens.
    expect([l.reserve("a", 1100), l.reserve("a", 1100), l.reserve("a", 1100)]).toEqual([0, 0, 100]);
    expect(l.reserve("b", 1100)).toBe(0);
  });

  it("holds requests beyond the concurrency cap until one is released, first come first served", async () => {
    const l = new Limiter(undefined, 1);
    expect(l.reserve("a", 0)).toBe(0);
    expect(l.slot()).toBeUndefined();
    const order: number[] = [];
    void l.slot()!.then(() => order.push(2));
    void l.slot()!.then(() => order.push(3));
    const settled = () => new Promise((resolve) => setImmediate(resolve));
    await settled();
    expect(order).toEqual([]);
    l.release();
    await settled();
    expect(order).toEqual([2]);
    l.release();
    await settled();
    expect(order).toEqual([2, 3]);
  });
});
