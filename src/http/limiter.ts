/** A token bucket per host, and at most `concurrency` requests in flight at once. */

export class Limiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    readonly rate?: { requestsPerSecond: number; burst?: number },
    private readonly concurrency = Infinity,
  ) {}

  /** How long this request must wait for its host's bucket; the token is taken now, so waiters keep their order. */
  reserve(host: string, now = Date.now()): number {
    if (!this.rate) return 0;
    const perMs = this.rate.requestsPerSecond / 1000;
    const burst = Math.max(1, this.rate.burst ?? 1);
    const b = this.buckets.get(host) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + (now - b.at) * perMs);
    b.at = now;
    b.tokens -= 1;
    this.buckets.set(host, b);
    return b.tokens >= 0 ? 0 : Math.ceil(-b.tokens / perMs);
  }

  /**
   * Takes a slot: undefined when one was free, else a promise that resolves when one is handed over
   * (no promise, and so no await, per request when there is no cap). Call release() once the request (and its body) is done.
   */
  slot(): Promise<void> | undefined {
    if (this.inFlight < this.concurrency) {
      this.inFlight++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.queue.push(resolve));
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.inFlight--;
  }
}
