// Who may hold the listener's inbound slots. Handshaken peers keep theirs (learned peers too: the
// transport keeps at most maxLearnedPeers of them, one connection each, and closes a dropped
// one's connection, so they cannot crowd members out); connections still in
// their handshake share a bounded pool, in all and per remote address. A new connection makes
// room by evicting the oldest waiting connection of its address (or, if the pool is full, of any
// address): idle ones (no byte sent) first, then those still sending a Hello, then those that owe
// only the secret proof. So connections that never handshake, however many and however fast they
// reopen, only ever displace each other.
//
// An idle connection is not evicted while it settles, the loop turn it was accepted in and the
// next: its Hello, sent with its connect, cannot be read before then, because the listener's
// accepts come before the new socket's first read within a turn. With peer TLS the handshake's
// own round trips come first, so a connection settles for four turns while its TLS handshake is
// on, and for two more once it is over. A newcomer that finds only settling idle connections to
// evict is turned away instead. Without this a flood from a peer's own address that reconnects
// faster than the loop turns evicts every one of the peer's connections before its Hello is read;
// with it each turn admits some newcomers, and a peer that is admitted is read before it can be
// cut. (Two turns and four were the fewest that kept a peer's connections in the flood tests;
// every turn more admits fewer newcomers.)
import { invariant } from "./invariant.ts";
import type { TransportLimits } from "./transport-types.ts";

/** Loop turns an accepted connection is kept from eviction before its first read. */
export const SETTLE_TURNS = 2;
/** The same while a connection's TLS handshake is on (it has round trips of its own); SETTLE_TURNS again once it is over. */
export const TLS_SETTLE_TURNS = 4;

/** What the slots need of a connection. */
export interface SlotHolder {
  readonly remoteHost: string;
  readonly phase: "waiting" | "proving" | "handshaken";
  readonly bytesReceived: number;
  /** True while its TLS handshake is still going on (never without peer TLS). */
  readonly tlsPending: boolean;
  evict(): void;
}

type SlotLimits = Pick<TransportLimits, "maxInboundConnections" | "maxPendingHandshakes" | "maxPendingPerAddress">;

export class InboundSlots<C extends SlotHolder> {
  /** Insertion order is age: the first is the oldest. The value is the turn its settling began. */
  private readonly held = new Map<C, number>();
  private turn = 0;
  /** The first turn by which every connection has settled. */
  private settledBy = 0;

  constructor(private readonly limits: SlotLimits) {}

  get size(): number {
    return this.held.size;
  }

  all(): C[] {
    return [...this.held.keys()];
  }

  /** Make room for a new connection from `host`, evicting as needed; false if it must be turned away. */
  admit(host: string): boolean {
    const pending = this.pending();
    const fromHost = pending.filter((c) => c.remoteHost === host);
    if (fromHost.length >= this.limits.maxPendingPerAddress) {
      if (!this.evictOne(fromHost)) return false;
    } else if (pending.length >= this.limits.maxPendingHandshakes) {
      if (!this.evictOne(pending)) return false;
    }
    return this.held.size < this.limits.maxInboundConnections || this.evictOne(this.pending());
  }

  add(conn: C): void {
    invariant(this.held.size < this.limits.maxInboundConnections, () => `${this.held.size} inbound slots already held`);
    this.startSettling(conn);
  }

  /** `conn`'s TLS handshake is over: its Hello can be read only now, so it settles again. */
  tlsDone(conn: C): void {
    if (this.held.has(conn)) this.startSettling(conn);
  }

  release(conn: C): void {
    this.held.delete(conn);
  }

  /** The event loop turned once; true while a connection added since still settles. */
  nextTurn(): boolean {
    this.turn += 1;
    return this.turn < this.settledBy;
  }

  private startSettling(conn: C): void {
    this.held.set(conn, this.turn);
    this.settledBy = Math.max(this.settledBy, this.turn + settleTurns(conn));
  }

  private settling(conn: C): boolean {
    return this.turn - this.held.get(conn)! < settleTurns(conn);
  }

  private pending(): C[] {
    return this.all().filter((c) => c.phase !== "handshaken");
  }

  /**
   * Evict the first to go, the oldest within each kind: an idle settled one, then one sending a
   * Hello, then one proving. While idle ones are still settling, none of the others goes either: the
   * newcomer is likelier the idle one than they are, so it is turned away (false).
   */
  private evictOne(candidates: C[]): boolean {
    const idle = candidates.filter((c) => c.phase === "waiting" && c.bytesReceived === 0);
    const victim =
      idle.length > 0
        ? idle.find((c) => !this.settling(c))
        : (candidates.find((c) => c.phase === "waiting") ?? candidates.find((c) => c.phase === "proving"));
    if (victim === undefined) return false;
    this.held.delete(victim);
    victim.evict();
    return true;
  }
}

function settleTurns(conn: SlotHolder): number {
  return conn.tlsPending ? TLS_SETTLE_TURNS : SETTLE_TURNS;
}
