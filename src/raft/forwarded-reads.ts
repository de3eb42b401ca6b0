// Follower side of ReadIndex: reads forwarded to the leader and not yet answered. A read whose
// answer does not come within `expiryTicks`, or whose leader is gone, fails with ok:false rather
// than hanging forever.
import type { NodeId } from "./types.ts";

export class ForwardedReads {
  private pending = new Map<number, { leader: NodeId; age: number }>();

  constructor(
    readonly capacity: number,
    readonly expiryTicks: number,
  ) {}

  size(): number {
    return this.pending.size;
  }

  /** False when full or the ctx is already pending (the caller fails the read at once). */
  add(ctx: number, leader: NodeId): boolean {
    if (this.pending.size >= this.capacity || this.pending.has(ctx)) return false;
    this.pending.set(ctx, { leader, age: 0 });
    return true;
  }

  /** True when `ctx` was pending on `leader` (an answer from anyone else is ignored). */
  resolve(ctx: number, leader: NodeId): boolean {
    const p = this.pending.get(ctx);
    if (p === undefined || p.leader !== leader) return false;
    this.pending.delete(ctx);
    return true;
  }

  /** Ages every read by one tick; returns the contexts that expired. */
  tick(): number[] {
    const expired: number[] = [];
    for (const [ctx, p] of this.pending) {
      p.age++;
      if (p.age >= this.expiryTicks) expired.push(ctx);
    }
    for (const ctx of expired) this.pending.delete(ctx);
    return expired;
  }

  drain(): number[] {
    const out = [...this.pending.keys()];
    this.pending.clear();
    return out;
  }
}
