// Who may hold the listener's inbound slots. Handshaken peers keep theirs (learned peers too: the
// transport keeps at most maxLearnedPeers of them, one connection each, and closes a dropped
// one's connection, so they cannot crowd members out); connections still in
// their handshake share a bounded pool, in all and per remote address. A new connection is not
// refused while a waiting one can make room: the oldest waiting connection of its address (or,
// if the pool is full, of any address) is evicted, idle ones (no byte sent) first, then those
// still sending a Hello, then those that owe only the secret proof. So connections that never
// handshake, however many and however fast they reopen, only ever displace each other, and a real
// peer's connection, which sends its Hello at once, gets in.
import { invariant } from "./invariant.ts";
import type { TransportLimits } from "./transport-types.ts";

/** What the slots need of a connection. */
export interface SlotHolder {
  readonly remoteHost: string;
  readonly phase: "waiting" | "proving" | "handshaken";
  readonly bytesReceived: number;
  evict(): void;
}

type SlotLimits = Pick<TransportLimits, "maxInboundConnections" | "maxPendingHandshakes" | "maxPendingPerAddress">;

export class InboundSlots<C extends SlotHolder> {
  /** Insertion order is age: the first is the oldest. */
  private readonly held = new Set<C>();

  constructor(private readonly limits: SlotLimits) {}

  get size(): number {
    return this.held.size;
  }

  all(): C[] {
    return [...this.held];
  }

  /** Make room for a new connection from `host`, evicting as needed; false if it must be closed. */
  admit(host: string): boolean {
    const pending = this.all().filter((c) => c.phase !== "handshaken");
    const fromHost = pending.filter((c) => c.remoteHost === host);
    if (fromHost.length >= this.limits.maxPendingPerAddress) this.evictOne(fromHost);
    else if (pending.length >= this.limits.maxPendingHandshakes) this.evictOne(pending);
    if (this.held.size >= this.limits.maxInboundConnections) this.evictOne(this.all().filter((c) => c.phase !== "handshaken"));
    return this.held.size < this.limits.maxInboundConnections;
  }

  add(conn: C): void {
    invariant(this.held.size < this.limits.maxInboundConnections, () => `${this.held.size} inbound slots already held`);
    this.held.add(conn);
  }

  release(conn: C): void {
    this.held.delete(conn);
  }

  /** The first to go: idle, then waiting, then proving; the oldest within each. */
  private evictOne(candidates: C[]): void {
    const victim =
      candidates.find((c) => c.phase === "waiting" && c.bytesReceived === 0) ??
      candidates.find((c) => c.phase === "waiting") ??
      candidates.find((c) => c.phase === "proving");
    if (victim === undefined) return;
    this.held.delete(victim);
    victim.evict();
  }
}
