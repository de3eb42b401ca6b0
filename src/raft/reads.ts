// ReadIndex on both sides: the leader's confirmation rounds (read-only.ts) and the follower's
// forwarded requests (forwarded-reads.ts), and the ReadStates both produce. Every read ends in a
// ReadState — ok:false when it cannot be served — never silently dropped. A read whose asker and
// the leader are a quorum on their own (three voters: any follower's) is answered without a
// heartbeat round (quorumWithAsker): one round trip and two messages instead of two and four.
import { ForwardedReads } from "./forwarded-reads.ts";
import { hasQuorum } from "./quorum.ts";
import { ReadOnly, type ReadRequest } from "./read-only.ts";
import type { Outgoing } from "./replicator.ts";
import type { Message, NodeId, ReadState } from "./types.ts";

/** Bound on reads a follower has forwarded to the leader and not yet had answered. */
export const MAX_FORWARDED_READS = 4096;

export interface ReadContext {
  readonly id: NodeId;
  send(fields: Outgoing): void;
  /** Broadcast a heartbeat round carrying `roundId` to confirm leadership. */
  heartbeat(roundId: number): void;
}

/** What the leader knows when a read arrives. */
export interface LeaderView {
  /** An entry of the current term is committed: the commit index is a safe read index. */
  committedInTerm: boolean;
  commit: number;
  voters: readonly NodeId[];
}

export class Reads {
  private states: ReadState[] = [];
  private readonly rounds = new ReadOnly();
  private readonly forwarded: ForwardedReads;

  constructor(
    private readonly ctx: ReadContext,
    expiryTicks: number,
  ) {
    this.forwarded = new ForwardedReads(MAX_FORWARDED_READS, expiryTicks);
  }

  /** ReadStates produced since the last take. */
  take(): ReadState[] {
    const out = this.states;
    this.states = [];
    return out;
  }

  hasStates(): boolean {
    return this.states.length > 0;
  }

  fail(ctx: number): void {
    this.states.push({ ctx, index: 0, ok: false });
  }

  // ---- follower side ----

  /** Forward a local read to `leader` (0 = none known: fails at once). */
  forward(ctx: number, leader: NodeId): void {
    if (leader === 0 || !this.forwarded.add(ctx, leader)) return this.fail(ctx);
    this.ctx.send({ type: "ReadIndex", to: leader, context: ctx });
  }

  onResp(m: Message): void {
    if (this.forwarded.resolve(m.context, m.from)) this.states.push({ ctx: m.context, index: m.index, ok: !m.reject });
  }

  /** Ages forwarded reads; the ones unanswered for too long fail. */
  tick(): void {
    for (const ctx of this.forwarded.tick()) this.fail(ctx);
  }

  /** The leader they were sent to is no longer ours. */
  failForwarded(): void {
    for (const ctx of this.forwarded.drain()) this.fail(ctx);
  }

  // ---- leader side ----

  request(req: ReadRequest, view: LeaderView): void {
    if (this.rounds.isFull()) return this.answer(req, false);
    if (!view.committedInTerm) return this.rounds.wait(req);
    this.start(req, view);
  }

  /** The leader committed an entry of its term: reads that waited for it can start. */
  startWaiting(view: LeaderView): void {
    if (!view.committedInTerm) return;
    for (const req of this.rounds.takeWaiting()) this.start(req, view);
  }

  /** A heartbeat answer echoing `roundId`: serves the rounds a majority has now confirmed. */
  ack(roundId: number, from: NodeId, voters: readonly NodeId[]): void {
    const released = this.rounds.ack(roundId, from, (acks) => hasQuorum(voters, (id) => acks.has(id)));
    for (const req of released) this.answer(req, true);
  }

  latestRoundId(): number {
    return this.rounds.latestRoundId();
  }

  /** The round heartbeats went out: later reads need a round of their own. */
  markSent(): void {
    this.rounds.markSent();
  }

  /** Leadership lost: every pending read fails. */
  abandon(): void {
    for (const req of this.rounds.drain()) this.answer(req, false);
  }

  private start(req: ReadRequest, view: LeaderView): void {
    req.index = view.commit;
    if (quorumWithAsker(this.ctx.id, req.from, view.voters)) return this.answer(req, true);
    const { roundId, opened } = this.rounds.add(req, this.ctx.id);
    if (opened) this.ctx.heartbeat(roundId);
  }

  private answer(req: ReadRequest, ok: boolean): void {
    if (req.from === this.ctx.id) {
      this.states.push({ ctx: req.ctx, index: ok ? req.index : 0, ok });
    } else {
      this.ctx.send({ type: "ReadIndexResp", to: req.from, context: req.ctx, index: ok ? req.index : 0, reject: !ok });
    }
  }
}

/**
 * Whether the leader and the read's asker alone are a quorum of voters (a single voter asking
 * itself; a follower of three voters): then the read needs no heartbeat round. The answer leaves
 * in the leader's term, after the request arrived, and the asker acts on it only while still in
 * that term (a message of an older term is dropped, a newer one fails its forwarded reads), that
 * is, having voted for no later leader: the very word its heartbeat answer would have given. A
 * later leader needs a vote from one of the two, so none existed when the read began, and the
 * commit index taken here holds every write acknowledged before it. The asker's directory id was
 * checked on its ReadIndex (COUNTED_MESSAGES), so a wiped node is never counted here either.
 */
function quorumWithAsker(self: NodeId, asker: NodeId, voters: readonly NodeId[]): boolean {
  return hasQuorum(voters, (id) => id === self || id === asker);
}
