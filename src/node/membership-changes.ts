// Safe membership changes on the leader (Raft thesis §4.2.1, KRaft's AddRaftVoter): a new server
// joins as a learner, is promoted to voter only once caught up and heard from recently, and a
// change that would leave fewer reachable voters than the new quorum is refused unless forced.
// Ids and addresses are checked by the one checker before anything is proposed. The core still
// applies the change one server at a time; this module decides whether to ask it.
import { canonicalAddress, checkNodeId, parsePeerAddress } from "../raft/peer-address.ts";
import type { ConfChange, Membership, NodeId, PeerStatus, RaftStatus } from "../raft/types.ts";
import { type MembershipChangeOptions, MembershipError, NotLeaderError } from "./contracts.ts";
import { invariant } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { isReachable, type PromotionLimits, promotionCheck, quorumShortfall } from "./promotion.ts";

/** Bound on promotions waiting at once (one change commits at a time; more would only queue). */
const MAX_PROMOTION_WAITS = 16;

export interface MembershipChangeDeps {
  /** The core's status; throws when the node is stopped. */
  raftStatus(): RaftStatus;
  /** Propose one config entry and resolve once it is applied (the runtime's single path). */
  propose(cc: ConfChange): Promise<void>;
  now(): number;
  limits: PromotionLimits;
  promotionTimeoutMs: number;
  log: Logger;
}

interface PromotionWait {
  id: NodeId;
  deadline: number;
  resolve(): void;
  reject(error: Error): void;
}

export class MembershipChanges {
  private readonly waits = new Map<NodeId, PromotionWait>();

  constructor(private readonly deps: MembershipChangeDeps) {
    const { maxLag, recentTicks, tickMs } = deps.limits;
    invariant(Number.isSafeInteger(maxLag) && maxLag >= 0, () => `promotion lag bound must be a count, got ${maxLag}`);
    invariant(recentTicks >= 1 && tickMs >= 1, () => `reachability window must be positive, got ${recentTicks} ticks of ${tickMs} ms`);
    invariant(deps.promotionTimeoutMs >= 1, () => `promotion timeout must be positive, got ${deps.promotionTimeoutMs}`);
  }

  async addVoter(id: NodeId, address: string, options: MembershipChangeOptions = {}): Promise<void> {
    const canonical = this.checkNewMember(id, address);
    const m = this.leaderStatus().membership;
    if (m.voters.includes(id)) throw new MembershipError(`node ${id} is already a voter at ${m.addresses[String(id)] ?? "?"}`, "member_exists");
    if (!m.learners.includes(id)) await this.deps.propose({ type: "addLearner", id, address: canonical });
    await this.awaitCaughtUp(id);
    const s = this.leaderStatus();
    // Checked in the same turn as the proposal: the core would add a non-learner as a voter outright.
    if (!s.membership.learners.includes(id)) throw new MembershipError(`node ${id} is no longer a learner; not promoted`, "not_member");
    if (!options.force) this.refuseShortQuorum([...s.membership.voters, id], id, s);
    await this.deps.propose({ type: "addVoter", id, address: canonical });
  }

  async addLearner(id: NodeId, address: string): Promise<void> {
    const canonical = this.checkNewMember(id, address);
    if (this.leaderStatus().membership.learners.includes(id)) return;
    await this.deps.propose({ type: "addLearner", id, address: canonical });
  }

  async removeMember(id: NodeId, options: MembershipChangeOptions = {}): Promise<void> {
    this.checkId(id);
    const s = this.leaderStatus();
    const { voters, learners } = s.membership;
    if (!voters.includes(id) && !learners.includes(id)) {
      throw new MembershipError(`node ${id} is not a member (voters: ${list(voters)}; learners: ${list(learners)})`, "not_member");
    }
    if (voters.length === 1 && voters[0] === id) {
      throw new MembershipError(`node ${id} is the last voter; add another voter before removing it`, "membership");
    }
    if (voters.includes(id) && !options.force) this.refuseShortQuorum(voters.filter((v) => v !== id), 0, s);
    await this.deps.propose({ type: "removeNode", id });
  }

  /** Each tick: settle the promotions waiting for their learner to catch up. */
  onTick(): void {
    if (this.waits.size === 0) return;
    let status: RaftStatus;
    try {
      status = this.deps.raftStatus();
    } catch (e) {
      return this.rejectAll(e as Error);
    }
    for (const wait of [...this.waits.values()]) this.settle(wait, status);
  }

  rejectAll(error: Error): void {
    for (const wait of this.waits.values()) wait.reject(error);
    this.waits.clear();
  }

  private settle(wait: PromotionWait, s: RaftStatus): void {
    const done = (error: Error | null) => {
      this.waits.delete(wait.id);
      if (error === null) wait.resolve();
      else wait.reject(error);
    };
    if (s.role !== "leader") return done(new NotLeaderError(s.leader, `node ${s.id} lost leadership while node ${wait.id} was catching up; it stays a learner`));
    if (!s.membership.learners.includes(wait.id)) return done(new MembershipError(`node ${wait.id} is no longer a learner; not promoted`, "not_member"));
    const check = promotionCheck(peerOf(s, wait.id), s.lastIndex, this.deps.limits);
    if (check.ready) return done(null);
    if (this.deps.now() >= wait.deadline) done(this.notCaughtUp(wait.id, check.reason));
  }

  private awaitCaughtUp(id: NodeId): Promise<void> {
    if (this.waits.has(id)) throw new MembershipError(`a promotion of node ${id} is already waiting for it to catch up`, "change_pending");
    if (this.waits.size >= MAX_PROMOTION_WAITS) {
      throw new MembershipError(`${MAX_PROMOTION_WAITS} promotions are already waiting; retry once they finish`, "change_pending");
    }
    const deadline = this.deps.now() + this.deps.promotionTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      this.waits.set(id, { id, deadline, resolve, reject });
    });
  }

  private notCaughtUp(id: NodeId, reason: string): MembershipError {
    const address = this.deps.raftStatus().membership.addresses[String(id)] ?? "?";
    this.deps.log.warn("promotion_timed_out", { learner: id, reason, timeoutMs: this.deps.promotionTimeoutMs });
    return new MembershipError(
      `node ${id} was not promoted to voter: after ${this.deps.promotionTimeoutMs} ms it is ${reason} ` +
        `(last contact: ${this.lastContact(id)}). It stays a learner; add-voter ${id}@${address} retries, remove-voter ${id} removes it`,
      "not_caught_up",
    );
  }

  private lastContact(id: NodeId): string {
    const peer = peerOf(this.deps.raftStatus(), id);
    if (peer === undefined || !peer.contacted) return "never";
    return `${peer.ticksSinceContact * this.deps.limits.tickMs} ms ago`;
  }

  /** The id and address parse, neither is another member's; returns the canonical address. */
  private checkNewMember(id: NodeId, address: string): string {
    this.checkId(id);
    const parsed = parsePeerAddress(address);
    if (!parsed.ok) throw new MembershipError(`node ${id}: ${parsed.message}`, "invalid_member");
    const canonical = parsed.value.address;
    const m = this.leaderStatus().membership;
    const holder = memberAt(m, canonical);
    if (holder !== null && holder !== id) throw new MembershipError(`address ${canonical} is already node ${holder}'s`, "member_exists");
    const current = m.addresses[String(id)];
    if (m.learners.includes(id) && current !== undefined && canonicalAddress(current) !== canonical) {
      throw new MembershipError(`node ${id} is already a learner at ${current}; remove-voter ${id} first to change its address`, "member_exists");
    }
    return canonical;
  }

  private checkId(id: NodeId): void {
    const checked = checkNodeId(id);
    if (!checked.ok) throw new MembershipError(checked.message, "invalid_member");
  }

  private leaderStatus(): RaftStatus {
    const s = this.deps.raftStatus();
    if (s.role !== "leader") throw new NotLeaderError(s.leader);
    return s;
  }

  /** `joining` (caught up a moment ago) counts as reachable; the leader always does. */
  private refuseShortQuorum(nextVoters: NodeId[], joining: NodeId, s: RaftStatus): void {
    const recent = this.deps.limits.recentTicks;
    const reachable = (id: NodeId) => id === s.id || id === joining || isReachable(peerOf(s, id), recent);
    const shortfall = quorumShortfall(nextVoters, reachable);
    if (shortfall !== null) throw new MembershipError(`refused: ${shortfall}; force the change (add-voter/remove-voter --force, REST force) only to accept that risk`, "quorum_at_risk");
  }
}

function peerOf(s: RaftStatus, id: NodeId): PeerStatus | undefined {
  return s.peers.find((p) => p.id === id);
}

function memberAt(m: Membership, canonical: string): NodeId | null {
  for (const [id, address] of Object.entries(m.addresses)) {
    if ((m.voters.includes(Number(id)) || m.learners.includes(Number(id))) && canonicalAddress(address) === canonical) return Number(id);
  }
  return null;
}

function list(ids: readonly NodeId[]): string {
  return ids.length === 0 ? "none" : ids.join(", ");
}
