// Reconnect delays: exponential from min to max, with "equal jitter" (half fixed, half random) so
// peers that lost a common neighbour do not redial in lockstep.
export class Backoff {
  private failures = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number,
  ) {}

  /** Delay before the next attempt; each call counts one more failure. */
  next(): number {
    // The exponent is capped so 2 ** n stays finite however long a peer stays down.
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    const r = this.random();
    if (!(r >= 0 && r < 1)) throw new RangeError(`random source must return a value in [0, 1), got ${r}`);
    return Math.round(base / 2 + (base / 2) * r);
  }

  reset(): void {
    this.failures = 0;
  }
}
