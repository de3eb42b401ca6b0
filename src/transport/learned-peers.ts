// The peers a listener learned from their handshakes: node ids outside its peer list that said
// where they listen (handshake version 3). A member whose log ends before the config entry that
// added the current leader has no address for that leader; learning it from the leader's own Hello
// lets its replies go back (KIP-853 carries the leader's endpoint for the same reason). The set is
// bounded (the least recently handshaken is dropped when full) and forgets a peer that has had no
// connection for a while; the membership's addresses always win (the transport drops a learned
// entry once its id becomes a member). This file holds only the bookkeeping; the transport owns
// the links.
import type { NodeId } from "../raft/types.ts";
import { invariant } from "./invariant.ts";

export interface LearnedPeer {
  address: string;
  /** When it last had a handshaken connection to us (transport clock, ms). */
  lastSeenMs: number;
}

export interface LearnOutcome {
  /** The id was not known, or is now at another address: its link must be (re)built. */
  relink: boolean;
  /** The oldest learned id, dropped to make room; its links must be closed. */
  dropped: NodeId | null;
}

export class LearnedPeers {
  /** Insertion order is recency of the last handshake: the first is the one to drop. */
  private readonly peers = new Map<NodeId, LearnedPeer>();

  constructor(
    private readonly max: number,
    private readonly idleMs: number,
  ) {
    invariant(Number.isSafeInteger(max) && max > 0, () => `learned peer bound ${max} must be a positive integer`);
  }

  get size(): number {
    return this.peers.size;
  }

  get(id: NodeId): LearnedPeer | undefined {
    return this.peers.get(id);
  }

  ids(): NodeId[] {
    return [...this.peers.keys()];
  }

  /** A handshake from `id`, which says it listens at `address`. */
  learn(id: NodeId, address: string, nowMs: number): LearnOutcome {
    const old = this.peers.get(id);
    this.peers.delete(id);
    let dropped: NodeId | null = null;
    if (old === undefined && this.peers.size >= this.max) {
      dropped = this.peers.keys().next().value ?? null;
      if (dropped !== null) this.peers.delete(dropped);
    }
    this.peers.set(id, { address, lastSeenMs: nowMs });
    invariant(this.peers.size <= this.max, () => `${this.peers.size} learned peers, bound ${this.max}`);
    return { relink: old === undefined || old.address !== address, dropped };
  }

  forget(id: NodeId): LearnedPeer | undefined {
    const peer = this.peers.get(id);
    this.peers.delete(id);
    return peer;
  }

  /** The ids with no connection for longer than the idle bound; `connected` ones count as seen now. */
  idle(nowMs: number, connected: (id: NodeId) => boolean): NodeId[] {
    const stale: NodeId[] = [];
    for (const [id, peer] of this.peers) {
      if (connected(id)) peer.lastSeenMs = nowMs;
      else if (nowMs - peer.lastSeenMs > this.idleMs) stale.push(id);
    }
    return stale;
  }
}

/**
 * A bound on log lines per window: learning is driven by whoever dials us, so its lines must not
 * grow with a churn of dialers. Lines beyond the bound are counted, and their number is reported
 * with the next line that gets through.
 */
export class WindowLog {
  private windowStart = Number.NEGATIVE_INFINITY;
  private lines = 0;
  private suppressed = 0;

  constructor(
    private readonly log: (event: string, fields: Record<string, unknown>) => void,
    private readonly maxLines: number,
    private readonly windowMs: number,
  ) {}

  emit(nowMs: number, event: string, fields: Record<string, unknown>): void {
    if (nowMs - this.windowStart >= this.windowMs) {
      this.windowStart = nowMs;
      this.lines = 0;
    }
    if (this.lines >= this.maxLines) {
      this.suppressed += 1;
      return;
    }
    this.lines += 1;
    const extra = this.suppressed > 0 ? { suppressedLines: this.suppressed } : {};
    this.suppressed = 0;
    this.log(event, { ...fields, ...extra });
  }
}
