// Broker heartbeats, coalesced per node. A broker long-polling BrokerMgmt heartbeats with every
// poll, and under write load every commit answers its poll, so a fleet of 1,000 brokers would send
// the leader thousands of heartbeats a second (each a forward from a follower and a re-armed
// session timer). Liveness needs far fewer: a node passes a broker's plain heartbeat on (forwards
// it, or on the leader re-arms its timer) at most once per window and answers the polls between
// from its image. The window is a tenth of the session timeout, so a broker that goes silent is
// fenced no sooner than 90 % of its session after its last poll.
import type { Clock } from "./clock.ts";
import { invariant } from "./invariant.ts";

/** The window as a fraction of the session timeout. */
export const COALESCE_FRACTION = 10;

export class HeartbeatCoalescer {
  /** Broker id → when its last plain heartbeat was passed on. */
  private readonly passedAt = new Map<number, number>();
  readonly windowMs: number;

  constructor(
    private readonly clock: Clock,
    sessionTimeoutMs: number,
    private readonly maxTracked: number,
  ) {
    invariant(sessionTimeoutMs > 0, () => `session timeout must be positive, got ${sessionTimeoutMs}`);
    invariant(Number.isSafeInteger(maxTracked) && maxTracked > 0, () => `bad bound on tracked brokers ${maxTracked}`);
    this.windowMs = Math.floor(sessionTimeoutMs / COALESCE_FRACTION);
  }

  /** True when this broker's plain heartbeat was passed on within the window. */
  recent(brokerId: number): boolean {
    const at = this.passedAt.get(brokerId);
    return at !== undefined && this.clock.now() - at < this.windowMs;
  }

  /** A plain heartbeat of this broker reached the leader now. */
  passed(brokerId: number): void {
    if (this.passedAt.size >= this.maxTracked && !this.passedAt.has(brokerId)) this.prune();
    this.passedAt.set(brokerId, this.clock.now());
    invariant(this.passedAt.size <= this.maxTracked, () => `tracking ${this.passedAt.size} brokers, bound ${this.maxTracked}`);
  }

  /** The next heartbeat of this broker must go through (e.g. it asked for a controlled shutdown). */
  forget(brokerId: number): void {
    this.passedAt.delete(brokerId);
  }

  /** Leadership moved: every broker's next heartbeat goes through to the new leader. */
  clear(): void {
    this.passedAt.clear();
  }

  get size(): number {
    return this.passedAt.size;
  }

  /** Drops entries past their window; if none were, drops all (each costs one heartbeat, no more). */
  private prune(): void {
    const now = this.clock.now();
    for (const [id, at] of this.passedAt) if (now - at >= this.windowMs) this.passedAt.delete(id);
    if (this.passedAt.size >= this.maxTracked) this.passedAt.clear();
  }
}
