// Leader side of ReadIndex (Raft thesis §6.4): every read records the commit index at request
// time; a heartbeat round proves the node was still leader after the request; once a majority has
// echoed the round, the read (and every read of an earlier round) is safe at its recorded index.
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

  /** Joins the open round (its heartbeats not yet sent) or opens one; returns whether it opened. */
  add(req: ReadRequest, self: NodeId): { roundId: number; opened: boolean } {
    const last = this.rounds[this.rounds.length - 1];
    if (last !== undefined && !last.sent) {
      last.requests.push(req);
      return { roundId: last.id, opened: false };
    }
    const round: Round = { id: this.nextRoundId++, requests: [req], acks: new Set([self]), sent: false };
    this.rounds.push(round);
    return { roundId: round.id, opened: true };
  }

  /** The round whose id the periodic heartbeats carry, so a lost round heartbeat is retried. */
  latestRoundId(): number {
    return this.rounds[this.rounds.length - 1]?.id ?? 0;
  }

  markSent(): void {
    for (const r of this.rounds) r.sent = true;
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
