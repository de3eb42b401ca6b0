// Leader side of ReadIndex (Raft thesis §6.4): every read records the commit index at request
// time; a heartbeat round proves the node was still leader after the request; once a majority has
// echoed the round, the read (and every read of an earlier round) is safe at its recorded index.
// While a round is out (its heartbeats sent, no majority yet), reads gather in one held round
// whose heartbeats go out when the round out is confirmed: the leader's own reads and every
// follower's forwarded ones then share one heartbeat round per round trip instead of one each.
// A held round's id is never on a heartbeat, so no answer can confirm it before its own
// broadcast, which leaves after every read in it arrived.
import { invariant } from "./errors.ts";
import type { NodeId } from "./types.ts";

/** Bound on reads waiting on the leader (local and forwarded together). */
export const MAX_PENDING_READS = 4096;

export interface ReadRequest {
  ctx: number;
  /** Node that asked: the leader itself for a local read, else the follower that forwarded it. */
  from: NodeId;
  index: number;
}

interface Round {
  id: number;
  requests: ReadRequest[];
  acks: Set<NodeId>;
  /** Its heartbeats went out in a Ready: a later read may no longer join it. */
  sent: boolean;
  /** Opened while another round was out: not broadcast yet, waiting for that one's majority. */
  held: boolean;
}

export class ReadOnly {
  private rounds: Round[] = [];
  /** Reads taken before the leader committed an entry of its term: no safe index exists yet. */
  private waiting: ReadRequest[] = [];
  private nextRoundId = 1;

  pendingCount(): number {
    return this.waiting.length + this.rounds.reduce((n, r) => n + r.requests.length, 0);
  }

  isFull(): boolean {
    return this.pendingCount() >= MAX_PENDING_READS;
  }

  wait(req: ReadRequest): void {
    this.waiting.push(req);
  }

  takeWaiting(): ReadRequest[] {
    const out = this.waiting;
    this.waiting = [];
    return out;
  }

  /**
   * Joins the open round (its heartbeats not yet sent, or held) or opens one; `opened` says its
   * heartbeats are to be broadcast now (false for a round held behind one that is out).
   */
  add(req: ReadRequest, self: NodeId): { roundId: number; opened: boolean } {
    const last = this.rounds[this.rounds.length - 1];
    if (last !== undefined && !last.sent) {
      last.requests.push(req);
      return { roundId: last.id, opened: false };
    }
    const held = last !== undefined;
    const round: Round = { id: this.nextRoundId++, requests: [req], acks: new Set([self]), sent: false, held };
    this.rounds.push(round);
    return { roundId: round.id, opened: !held };
  }

  /**
   * The round whose id the periodic heartbeats carry, so a lost round heartbeat is retried: the
   * newest one broadcast, never a held one (whose reads may still be joined by later ones).
   */
  latestRoundId(): number {
    for (let i = this.rounds.length - 1; i >= 0; i--) if (!this.rounds[i].held) return this.rounds[i].id;
    return 0;
  }

  /** The Ready carrying the broadcast rounds' heartbeats was taken; held rounds stay open. */
  markSent(): void {
    for (const r of this.rounds) if (!r.held) r.sent = true;
  }

  /** No round is out any more: the held one (if any) is to be broadcast now; its id, or 0. */
  releaseHeld(): number {
    const next = this.rounds[0];
    if (next === undefined || !next.held) return 0;
    invariant(this.rounds.length === 1, () => `a held read round ${next.id} is first but ${this.rounds.length - 1} rounds follow it`);
    next.held = false;
    return next.id;
  }

  /** A heartbeat answer for `roundId`; returns the reads it released (in request order). */
  ack(roundId: number, from: NodeId, quorum: (acks: ReadonlySet<NodeId>) => boolean): ReadRequest[] {
    const at = this.rounds.findIndex((r) => r.id === roundId);
    if (at < 0) return [];
    const round = this.rounds[at];
    round.acks.add(from);
    if (!quorum(round.acks)) return [];
    const released = this.rounds.slice(0, at + 1).flatMap((r) => r.requests);
    this.rounds = this.rounds.slice(at + 1);
    return released;
  }

  /** Leadership is gone: every pending read, to be failed. */
  drain(): ReadRequest[] {
    const out = [...this.waiting, ...this.rounds.flatMap((r) => r.requests)];
    this.waiting = [];
    this.rounds = [];
    return out;
  }
}
