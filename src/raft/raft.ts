// The Raft consensus core as a pure, deterministic state machine in the style of etcd's raft: no
// I/O, no timers, no randomness of its own. Inputs are tick(), step() and the proposal calls;
// outputs come out of ready() and are acknowledged by advance().
import { checkConfig, checkRestore } from "./config-check.ts";
import { boundDirectory, matchesBinding, nextBinding, withBinding } from "./directory-ids.ts";
import { invariant, RaftConfigError, RaftUsageError } from "./errors.ts";
import { ENTRY_OVERHEAD_BYTES, RaftLog } from "./log.ts";
import { applyConfChange, cloneMembership, frozenMembership, isMember, isVoter, members } from "./membership.ts";
import { isWellFormed } from "./message-check.ts";
import { Replicator, type Outgoing } from "./replicator.ts";
import { quorumIndex, voteOutcome } from "./quorum.ts";
import { Reads, type LeaderView } from "./reads.ts";
import { SnapshotReceiver } from "./snapshot-receiver.ts";
import {
  decodeMembership,
  emptyMessage,
  encodeMembership,
  snapshotRef,
  type ConfChange,
  type Entry,
  type EntryType,
  type HardState,
  type Membership,
  type Message,
  type MessageType,
  type NodeId,
  type PeerStatus,
  type ProposeResult,
  type RaftConfig,
  type RaftBrief,
  type RaftStatus,
  type Ready,
  type RestoreState,
  type Role,
  type Snapshot,
  type SnapshotRef,
  type SoftState,
} from "./types.ts";

/** Messages that count as a member's word (votes, acknowledgements, read requests): checked against its directory id. */
const COUNTED_MESSAGES: ReadonlySet<MessageType> = new Set<MessageType>([
  "PreVoteResp",
  "VoteResp",
  "AppResp",
  "HeartbeatResp",
  "SnapResp",
  "ReadIndex",
]);

/** Bound on committed entries handed out in one Ready; the rest follow in the next one. */
/**
 * Events that mean Raft's premises were broken (two clusters' logs met: another leader of this
 * term, an append against committed entries). A node logs them as errors; the simulator fails on them.
 */
export const SAFETY_ALARMS: ReadonlySet<string> = new Set(["raft.two-leaders", "raft.app-dropped"]);

export const MAX_COMMITTED_PER_READY = 1024;
/** Bound on Readys handed out and not yet advanced. */
export const MAX_OUTSTANDING_READYS = 16;

type CampaignKind = "pre-vote" | "election" | "transfer";

/** A membership and the log index of the config entry (or snapshot) it comes from. */
interface ConfigAt {
  membership: Membership;
  index: number;
}

export class Raft {
  readonly id: NodeId;
  protected readonly cfg: RaftConfig;
  protected readonly log: RaftLog;
  protected term: number;
  protected vote: NodeId;
  protected lead: NodeId = 0;
  protected role: Role = "follower";
  protected membership: Membership;
  /** Followers and learners as seen by the leader (never the leader itself); empty elsewhere. */
  protected readonly replication: Replicator;
  /** Index of the config entry in force; at or below the snapshot index when none is in the log. */
  private configIndex = 0;
  /** The membership before the config entry at `index` (see promotable()). */
  private previousConfig: ConfigAt | null = null;
  /** Bumped on every change of the membership in force (see membershipVersion()). */
  private membershipChanges = 0;
  private votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee: NodeId = 0;
  private applied: number;
  private appliedHandedOut: number;
  private readonly reads: Reads;
  private readonly receiver = new SnapshotReceiver();
  private msgs: Message[] = [];
  /** Proposals appended since the last Ready; they go out together, one App per follower. */
  private proposalsUnsent = false;
  private pendingSnapshot: Snapshot | null = null;
  private prevSoft: SoftState = { leader: 0, role: "follower" };
  private prevHard: HardState;
  private outstanding: Ready[] = [];
  /** This node's directory id, sent on every message ("" = none). */
  private readonly directoryId: string;
  /** Leader: directory ids heard from members not bound yet; each gets bound in turn. */
  private readonly observedDirectories = new Map<NodeId, string>();
  /** (node, directory id) pairs already logged as not the member named, so the log says it once. */
  private readonly warnedDirectories = new Set<string>();
  /** Safety alarms already logged (SAFETY_ALARMS), so a peer that repeats the message is said once. */
  private readonly alarmed = new Set<string>();

  constructor(config: RaftConfig, restore: RestoreState) {
    checkConfig(config);
    checkRestore(restore);
    this.cfg = config;
    this.id = config.id;
    this.directoryId = config.directoryId ?? "";
    try {
      this.log = new RaftLog(restore.snapshot === null ? null : snapshotRef(restore.snapshot), restore.entries, restore.hardState.commit);
    } catch (e) {
      throw new RaftConfigError(`restored log is unusable: ${(e as Error).message}`);
    }
    this.term = restore.hardState.term;
    this.vote = restore.hardState.vote;
    this.applied = restore.applied;
    this.appliedHandedOut = restore.applied;
    this.prevHard = this.hardState();
    this.reads = new Reads(
      { id: this.id, send: (fields) => this.send(fields), heartbeat: (roundId) => this.replication.bcastHeartbeat(roundId) },
      2 * config.electionTick,
    );
    this.replication = new Replicator({
      log: this.log,
      cfg: config,
      send: (fields) => this.send(fields),
      logEvent: (event, fields) => this.logEvent(event, fields),
    });
    const { membership, index } = this.restoredMembership();
    this.membership = frozenMembership(membership);
    this.configIndex = index;
    this.becomeFollower(this.term, 0);
  }

  // ---- inputs ----

  tick(): void {
    if (this.role === "leader") this.tickLeader();
    else this.tickElection();
    this.reads.tick();
  }

  step(m: Message): void {
    if (!isWellFormed(m, this.id) || !this.fromNamedMember(m) || !this.checkTerm(m)) return;
    if (m.type === "PreVote" || m.type === "Vote") return this.handleVoteRequest(m);
    if (this.role === "leader") this.stepLeader(m);
    else if (this.role === "follower") this.stepFollower(m);
    else this.stepCandidate(m);
  }

  propose(data: Uint8Array): ProposeResult {
    const refused = this.proposalRefusal();
    if (refused !== null) return refused;
    if (!(data instanceof Uint8Array) || data.byteLength + ENTRY_OVERHEAD_BYTES > this.cfg.maxMsgBytes) {
      return this.refuse("invalid", `proposal of ${describeSize(data)} exceeds maxMsgBytes ${this.cfg.maxMsgBytes}`);
    }
    const e = this.appendEntry("normal", data);
    this.proposalsUnsent = true;
    return { ok: true, index: e.index, term: e.term };
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    const refused = this.proposalRefusal();
    if (refused !== null) return refused;
    if (this.configIndex > this.log.committed && !this.onlyBindingsPending()) {
      return this.refuse("config_pending", `config entry at ${this.configIndex} is not committed yet (commit ${this.log.committed})`);
    }
    // Until an entry of this term commits, a config entry from a previous leader may still be
    // in flight unseen; changing the config now could form a majority disjoint from its (the 2015
    // single-server membership change bug, fixed as in the Raft dissertation errata).
    if (this.log.term(this.log.committed) !== this.term) {
      return this.refuse("config_pending", `leader of term ${this.term} has not committed an entry of its term yet (commit ${this.log.committed})`);
    }
    const outcome = applyConfChange(this.membership, cc);
    if (!outcome.ok) return this.refuse("invalid", outcome.message);
    const data = encodeMembership(outcome.membership);
    if (data.byteLength + ENTRY_OVERHEAD_BYTES > this.cfg.maxMsgBytes) {
      return this.refuse("invalid", `membership of ${data.byteLength} bytes exceeds maxMsgBytes ${this.cfg.maxMsgBytes}`);
    }
    const e = this.appendEntry("config", data);
    this.replication.bcastAppend();
    return { ok: true, index: e.index, term: e.term };
  }

  readIndex(ctx: number): void {
    if (this.role === "leader") return this.reads.request({ ctx, from: this.id, index: 0 }, this.leaderView());
    if (this.role === "follower") return this.reads.forward(ctx, this.lead);
    this.reads.fail(ctx);
  }

  transferLeader(to: NodeId): void {
    if (this.role !== "leader" || to === this.id || !isVoter(this.membership, to)) {
      this.logEvent("raft.transfer-refused", { to, reason: this.role !== "leader" ? "not leader" : "not another voter" });
      return;
    }
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    this.logEvent("raft.transfer-start", { to });
    if (this.replication.match(to) === this.log.lastIndex()) this.send({ type: "TimeoutNow", to });
    else this.replication.sendAppend(to, true);
  }

  campaign(): void {
    if (this.role === "leader" || !this.promotable()) return;
    this.startCampaign(this.cfg.preVote ? "pre-vote" : "election");
  }

  /** The app snapshotted its state: the log keeps the snapshot's meta and size (never its bytes) and drops what it covers. */
  compact(snapshot: SnapshotRef | Snapshot): void {
    const index = snapshot.meta.index;
    if (index <= this.log.snapIndex()) return;
    if (index > this.applied) throw new RaftUsageError(`cannot compact to ${index}: only ${this.applied} is applied`);
    if (this.log.term(index) !== snapshot.meta.term) {
      throw new RaftUsageError(`snapshot term ${snapshot.meta.term} at ${index} differs from the log's ${this.log.term(index)}`);
    }
    this.log.compact("size" in snapshot ? snapshot : snapshotRef(snapshot));
  }

  /**
   * The runtime could not fill a chunk of the snapshot at `index` for `to`: the snapshot was pruned
   * from storage while being sent. The transfer begins anew from the latest snapshot (a probe
   * finds the follower below the first index again); a report about another transfer is stale.
   */
  snapshotUnavailable(to: NodeId, index: number): void {
    if (this.role !== "leader") return;
    this.replication.restartTransfer(to, index);
  }

  // ---- outputs ----

  hasReady(): boolean {
    return (
      !sameSoft(this.softState(), this.prevSoft) ||
      !sameHard(this.hardState(), this.prevHard) ||
      this.log.hasUnhanded() ||
      this.pendingSnapshot !== null ||
      this.msgs.length > 0 ||
      this.reads.hasStates() ||
      Math.min(this.log.committed, this.log.lastIndex()) > this.appliedHandedOut
    );
  }

  ready(): Ready {
    if (this.outstanding.length >= MAX_OUTSTANDING_READYS) {
      throw new RaftUsageError(`${this.outstanding.length} Readys are outstanding; advance() them first`);
    }
    this.flushProposals();
    const soft = this.softState();
    const hard = this.hardState();
    const snapshot = this.pendingSnapshot;
    this.pendingSnapshot = null;
    if (snapshot !== null) this.appliedHandedOut = Math.max(this.appliedHandedOut, snapshot.meta.index);
    const rd: Ready = {
      softState: sameSoft(soft, this.prevSoft) ? null : soft,
      hardState: sameHard(hard, this.prevHard) ? null : hard,
      entries: this.log.takeUnhanded(),
      snapshot,
      committed: this.takeCommitted(),
      messages: this.msgs,
      readStates: this.reads.take(),
    };
    this.msgs = [];
    this.prevSoft = soft;
    this.prevHard = hard;
    this.reads.markSent();
    this.outstanding.push(rd);
    return rd;
  }

  /** Many proposals between two Readys become one App per follower, not one App per proposal each. */
  private flushProposals(): void {
    if (!this.proposalsUnsent) return;
    this.proposalsUnsent = false;
    if (this.role === "leader") this.replication.bcastAppend(false);
  }

  advance(rd: Ready): void {
    if (this.outstanding[0] !== rd) throw new RaftUsageError("advance() must get the oldest outstanding Ready object");
    this.outstanding.shift();
    if (rd.snapshot !== null) this.applied = Math.max(this.applied, rd.snapshot.meta.index);
    this.log.stableTo(rd.entries);
    const last = rd.committed[rd.committed.length - 1];
    if (last !== undefined) {
      invariant(last.index > this.applied, () => `applied going backwards from ${this.applied} to ${last.index}`);
      this.applied = last.index;
    }
    if (this.role === "leader" && this.maybeCommit()) this.afterLeaderCommit();
  }

  /**
   * Changes each time the membership in force changes, whatever moved it: a config entry appended,
   * a snapshot installed, or a truncated config entry that reverts to the one before it (the last
   * leaves no config entry in the Ready, so a driver cannot see it from the Ready alone).
   */
  membershipVersion(): number {
    return this.membershipChanges;
  }

  /** The log's first index, asked on every broker fetch: status() would build the peer view too. */
  firstIndex(): number {
    return this.log.firstIndex();
  }

  /** The commit index, asked after every event by a driver that holds Readys back: brief() would build an object. */
  commitIndex(): number {
    return this.log.committed;
  }

  /**
   * Ticks since this node last heard its leader, granted a vote or started a campaign (on a leader:
   * since its last check-quorum). Read-only: a driver that delivers missed ticks late uses it to
   * catch up at once only to the base election timeout, so the randomized part is not skipped.
   */
  electionElapsedTicks(): number {
    return this.electionElapsed;
  }

  status(): RaftStatus {
    return { ...this.brief(), vote: this.vote, firstIndex: this.log.firstIndex(), directoryId: this.directoryId, peers: this.role === "leader" ? this.peerStatuses() : [] };
  }

  /** What status() says without the per-peer view: cheap enough to ask after every event. */
  brief(): RaftBrief {
    return {
      id: this.id,
      role: this.role,
      leader: this.lead,
      term: this.term,
      commit: this.log.committed,
      applied: this.applied,
      lastIndex: this.log.lastIndex(),
      membership: this.membership,
    };
  }

  // ---- commit (overridable by the simulator's fault injection) ----

  /** Leader: advance commit to what a majority holds, but only by an entry of this term (§5.4.2). */
  protected maybeCommit(): boolean {
    const index = this.quorumMatchIndex();
    if (index <= this.log.committed || this.log.term(index) !== this.term) return false;
    this.commitTo(index);
    return true;
  }

  /** Highest index a majority of voters holds; the leader counts only its persisted entries. */
  protected quorumMatchIndex(): number {
    return quorumIndex(this.membership.voters, (id) => (id === this.id ? this.log.persisted : this.replication.match(id)));
  }

  protected commitTo(index: number): void {
    this.log.commitTo(index);
  }

  // ---- term and role transitions ----

  /** The term rules of §5.1 plus the pre-vote and lease exceptions of thesis §9.6; false = drop. */
  private checkTerm(m: Message): boolean {
    if (m.term > this.term) {
      const isVoteRequest = m.type === "PreVote" || m.type === "Vote";
      if (isVoteRequest && !m.force && this.inLease()) return false;
      const keepsTerm = m.type === "PreVote" || (m.type === "PreVoteResp" && !m.reject);
      if (!keepsTerm) {
        const fromLeader = m.type === "App" || m.type === "Heartbeat" || m.type === "Snap";
        this.becomeFollower(m.term, fromLeader ? m.from : 0);
      }
      return true;
    }
    if (m.term < this.term) {
      if (m.type === "App" || m.type === "Heartbeat" || m.type === "Snap") {
        this.send({ type: "AppResp", to: m.from }); // our term makes the stale leader step down
      } else if (m.type === "PreVote") {
        this.send({ type: "PreVoteResp", to: m.from, reject: true });
      }
      return false;
    }
    return true;
  }

  /** Heard from a leader within the election timeout: vote requests would disrupt it. */
  private inLease(): boolean {
    return (this.cfg.checkQuorum || this.cfg.preVote) && this.lead !== 0 && this.electionElapsed < this.cfg.electionTick;
  }

  /**
   * A voter may campaign. So may a node whose own removal is appended but not yet committed: its
   * log may be the only one holding that entry, and without it no majority could ever form
   * (votes are still counted by the latest config, which excludes it; once elected it commits the
   * removal and steps down). Once the removal commits, the node never campaigns again.
   */
  private promotable(): boolean {
    if (!matchesBinding(this.membership, this.id, this.directoryId)) return false; // not the voter named: wiped and reformatted
    if (isVoter(this.membership, this.id)) return true;
    return this.configIndex > this.log.committed && isVoter(this.previousMembership(), this.id);
  }

  private resetTerm(term: number): void {
    if (term !== this.term) {
      invariant(term > this.term, () => `term going backwards from ${this.term} to ${term}`);
      this.term = term;
      this.vote = 0;
    }
    this.lead = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTick + Math.floor(clampUnit(this.cfg.random()) * this.cfg.electionTick);
    this.leadTransferee = 0;
    this.votes.clear();
    this.receiver.reset();
  }

  private becomeFollower(term: number, lead: NodeId): void {
    const wasLeader = this.role === "leader";
    this.resetTerm(term);
    this.lead = lead;
    this.role = "follower";
    if (wasLeader) this.leaveLeadership();
    this.reads.failForwarded();
    this.logRole();
  }

  private becomePreCandidate(): void {
    invariant(this.role !== "leader", () => `leader ${this.id} cannot become pre-candidate`);
    this.role = "pre-candidate";
    this.lead = 0;
    this.votes.clear();
    this.reads.failForwarded();
    this.logRole();
  }

  private becomeCandidate(): void {
    invariant(this.role !== "leader", () => `leader ${this.id} cannot become candidate`);
    this.resetTerm(this.term + 1);
    this.vote = this.id;
    this.role = "candidate";
    this.reads.failForwarded();
    this.logRole();
  }

  private becomeLeader(): void {
    invariant(this.role === "candidate", () => `only a candidate becomes leader, node ${this.id} is ${this.role}`);
    this.resetTerm(this.term);
    this.lead = this.id;
    this.role = "leader";
    this.replication.clear();
    this.observedDirectories.clear();
    this.syncProgress();
    this.logRole();
    this.appendEntry("normal", new Uint8Array(0));
    this.replication.bcastAppend();
  }

  private leaveLeadership(): void {
    this.reads.abandon();
    this.replication.clear();
  }

  // ---- elections ----

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.startCampaign(this.cfg.preVote ? "pre-vote" : "election");
    }
  }

  private startCampaign(kind: CampaignKind): void {
    if (kind === "pre-vote") this.becomePreCandidate();
    else this.becomeCandidate();
    const pre = kind === "pre-vote";
    this.votes.set(this.id, true);
    if (this.tally() !== "pending") return;
    const voteTerm = pre ? this.term + 1 : this.term;
    for (const to of this.membership.voters) {
      if (to === this.id) continue;
      this.send({
        type: pre ? "PreVote" : "Vote",
        to,
        term: voteTerm,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        force: kind === "transfer",
      });
    }
    this.logEvent("raft.campaign", { kind, voteTerm });
  }

  /** Counts the votes; on a decision moves on (pre-vote → election → leader, or back to follower). */
  private tally(): "won" | "lost" | "pending" {
    const outcome = voteOutcome(this.membership.voters, this.votes);
    if (outcome === "won") {
      if (this.role === "pre-candidate") this.startCampaign("election");
      else this.becomeLeader();
    } else if (outcome === "lost") {
      this.becomeFollower(this.term, 0);
    }
    return outcome;
  }

  private handleVoteRequest(m: Message): void {
    const pre = m.type === "PreVote";
    const canVote = this.vote === m.from || (this.vote === 0 && this.lead === 0) || (pre && m.term > this.term);
    const grant = canVote && this.log.isUpToDate(m.index, m.logTerm);
    const type = pre ? "PreVoteResp" : "VoteResp";
    if (!grant) return this.send({ type, to: m.from, reject: true });
    // The grant echoes the log position it was given for (see recordVote).
    this.send({ type, to: m.from, term: m.term, index: m.index, logTerm: m.logTerm });
    if (!pre) {
      this.electionElapsed = 0;
      this.vote = m.from;
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case "App":
      case "Heartbeat":
      case "Snap":
        this.becomeFollower(this.term, m.from);
        return this.stepFollower(m);
      case "PreVoteResp":
        if (this.role === "pre-candidate" && (m.reject || m.term === this.term + 1)) this.recordVote(m);
        return;
      case "VoteResp":
        if (this.role === "candidate") this.recordVote(m);
        return;
      case "ReadIndex":
        return this.send({ type: "ReadIndexResp", to: m.from, context: m.context, reject: true });
      default:
        return;
    }
  }

  private recordVote(m: Message): void {
    if (!isVoter(this.membership, m.from)) return;
    // A grant for another log position was given to an earlier life of this node id, in the same
    // term, before its disk was wiped (sim seed 11152: a voter paused through the wipe granted the
    // old life's request afterwards, and the empty new life counted it and led). A campaign's log
    // cannot change: anything that would change it ends the campaign first.
    if (!m.reject && (m.index !== this.log.lastIndex() || m.logTerm !== this.log.lastTerm())) {
      this.logEvent("raft.stale-grant", { from: m.from, index: m.index, logTerm: m.logTerm });
      return;
    }
    this.votes.set(m.from, !m.reject);
    this.tally();
  }

  // ---- follower ----

  private stepFollower(m: Message): void {
    switch (m.type) {
      case "App":
      case "Heartbeat":
      case "Snap":
        this.electionElapsed = 0;
        this.lead = m.from;
        if (m.type === "App") return this.handleAppend(m);
        if (m.type === "Heartbeat") return this.handleHeartbeat(m);
        return this.handleSnapChunk(m);
      case "TimeoutNow":
        if (!this.promotable()) return;
        this.logEvent("raft.timeout-now", { from: m.from });
        return this.startCampaign("transfer");
      case "ReadIndex":
        return this.send({ type: "ReadIndexResp", to: m.from, context: m.context, reject: true });
      case "ReadIndexResp":
        return this.reads.onResp(m);
      default:
        return;
    }
  }

  private handleAppend(m: Message): void {
    const log = this.log;
    if (m.index < log.committed) {
      // Already committed here; but entries that differ from committed ones are another cluster's
      // (below), and answering "I hold them" would count this node toward their commit.
      const differs = m.entries.find((e) => e.index <= log.committed && log.term(e.index) !== undefined && !log.matchTerm(e.index, e.term));
      if (differs !== undefined) return this.committedConflict(m, differs.index);
      return this.send({ type: "AppResp", to: m.from, index: log.committed });
    }
    if (!log.matchTerm(m.index, m.logTerm)) {
      const hint = log.findConflictByTerm(Math.min(m.index, log.lastIndex()), m.logTerm);
      return this.send({ type: "AppResp", to: m.from, reject: true, index: m.index, rejectHint: hint, logTerm: log.term(hint) ?? 0 });
    }
    const conflict = log.findConflict(m.entries);
    if (conflict !== 0) {
      if (conflict <= log.committed) return this.committedConflict(m, conflict);
      const truncating = conflict <= log.lastIndex();
      const fresh = m.entries.slice(conflict - (m.index + 1));
      log.truncateAndAppend(fresh);
      if ((truncating && this.configIndex >= conflict) || fresh.some((e) => e.type === "config")) {
        this.setMembership(this.membershipFromLog());
      }
    }
    const lastNew = m.index + m.entries.length;
    if (m.commit > log.committed) this.commitTo(Math.min(m.commit, lastNew));
    this.send({ type: "AppResp", to: m.from, index: lastNew });
  }

  /**
   * Log matching says a leader's entries never differ from committed ones: these two logs were
   * never one cluster's. The append is dropped unanswered (taking it would rewrite what this node
   * applied; answering would count this node toward entries it does not hold), and said once.
   */
  private committedConflict(m: Message, conflict: number): void {
    this.logOnce(this.alarmed, `conflict/${this.term}/${m.from}`, "raft.app-dropped", {
      from: m.from,
      conflict,
      commit: this.log.committed,
      reason: `leader ${m.from}'s entry ${conflict} differs from one this node committed: the two logs come from different clusters (were the nodes first started with different --peers?)`,
    });
  }

  private handleHeartbeat(m: Message): void {
    const commit = Math.min(m.commit, this.log.lastIndex());
    if (commit > this.log.committed) this.commitTo(commit);
    this.send({ type: "HeartbeatResp", to: m.from, context: m.context });
  }

  private handleSnapChunk(m: Message): void {
    const chunk = m.snapshot;
    if (chunk === null) return;
    if (chunk.meta.index <= this.log.committed) {
      this.receiver.reset();
      return this.send({ type: "AppResp", to: m.from, index: this.log.committed });
    }
    const out = this.receiver.receive(chunk);
    if (out.kind === "restart") return this.send({ type: "SnapResp", to: m.from, reject: true });
    if (out.kind === "progress") return this.send({ type: "SnapResp", to: m.from, index: out.received });
    this.installSnapshot(out.snapshot);
    this.send({ type: "AppResp", to: m.from, index: out.snapshot.meta.index });
  }

  private installSnapshot(s: Snapshot): void {
    const { index, term } = s.meta;
    if (this.log.matchTerm(index, term)) {
      this.commitTo(index); // our log already holds it: just fast-forward the commit
      return;
    }
    this.log.restore(snapshotRef(s));
    this.pendingSnapshot = s;
    this.setMembership({ membership: s.meta.membership, index });
    this.logEvent("raft.snapshot-installed", { index, snapTerm: term });
  }

  // ---- leader ----

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    this.replication.tick();
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.replication.quorumActive(this.membership.voters, this.id)) {
        this.logEvent("raft.check-quorum-lost", {});
        return this.becomeFollower(this.term, 0);
      }
      if (this.leadTransferee !== 0) this.abortTransfer("timed out");
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.replication.beat();
      this.replication.bcastHeartbeat(this.reads.latestRoundId());
      this.replication.resendStalledSnapshots();
    }
  }

  private abortTransfer(reason: string): void {
    this.logEvent("raft.transfer-aborted", { to: this.leadTransferee, reason });
    this.leadTransferee = 0;
  }

  private proposalRefusal(): ProposeResult | null {
    if (this.role !== "leader") return this.refuse("not_leader", `node ${this.id} is ${this.role}, not leader`);
    if (this.leadTransferee !== 0) return this.refuse("transferring", `leadership is being transferred to ${this.leadTransferee}`);
    return null;
  }

  private refuse(reason: "not_leader" | "transferring" | "config_pending" | "invalid", message: string): ProposeResult {
    return { ok: false, reason, leader: this.lead, message };
  }

  private appendEntry(type: EntryType, data: Uint8Array): Entry {
    const e: Entry = { index: this.log.lastIndex() + 1, term: this.term, type, data };
    this.log.append([e]);
    if (type === "config") this.setMembership({ membership: decodeMembership(data), index: e.index });
    return e;
  }

  private stepLeader(m: Message): void {
    this.observeDirectory(m);
    switch (m.type) {
      case "App":
      case "Heartbeat":
      case "Snap":
        // Another leader in this very term: only voters whose configurations never overlapped (a
        // node first started with other --peers than the rest) elect two. Its messages are dropped.
        return this.logOnce(this.alarmed, `two-leaders/${this.term}/${m.from}`, "raft.two-leaders", {
          from: m.from,
          reason: `node ${m.from} also leads term ${this.term}: the voters' configurations disagree (were the nodes first started with different --peers?)`,
        });
      case "AppResp":
        return this.handleAppResp(m);
      case "HeartbeatResp":
        return this.handleHeartbeatResp(m);
      case "SnapResp":
        return this.replication.onSnapResp(m);
      case "ReadIndex":
        return this.reads.request({ ctx: m.context, from: m.from, index: 0 }, this.leaderView());
      default:
        return;
    }
  }

  private handleAppResp(m: Message): void {
    const { progressed, wasPaused } = this.replication.onAppResp(m);
    if (!progressed) return;
    if (this.maybeCommit()) this.afterLeaderCommit();
    else if (wasPaused) this.replication.sendAppend(m.from, true);
    if (this.role !== "leader") return;
    this.replication.pump(m.from);
    if (m.from === this.leadTransferee && this.replication.match(m.from) === this.log.lastIndex()) {
      this.send({ type: "TimeoutNow", to: m.from });
    }
  }

  private handleHeartbeatResp(m: Message): void {
    this.replication.onHeartbeatResp(m);
    if (m.context !== 0) this.reads.ack(m.context, m.from, this.membership.voters);
  }

  /** After the leader's commit moved: serve waiting reads, spread the commit, leave if removed. */
  private afterLeaderCommit(): void {
    this.reads.startWaiting(this.leaderView());
    this.replication.bcastAppend();
    this.syncProgress();
    if (!isVoter(this.membership, this.id) && this.configIndex <= this.log.committed) return this.stepDownRemoved();
    this.maybeBindDirectory();
  }

  /** Our removal committed: hand the lead to the most caught-up voter at once, then step down. */
  private stepDownRemoved(): void {
    let best: NodeId = 0;
    for (const id of this.membership.voters) {
      if (best === 0 && this.replication.match(id) === this.log.lastIndex()) best = id;
    }
    if (best !== 0) this.send({ type: "TimeoutNow", to: best });
    this.logEvent("raft.removed-step-down", { successor: best });
    this.becomeFollower(this.term, 0);
  }

  private leaderView(): LeaderView {
    const commit = this.log.committed;
    return { committedInTerm: this.log.term(commit) === this.term, commit, voters: this.membership.voters };
  }

  // ---- membership ----

  /**
   * A vote or an acknowledgement from a node id the membership binds to another directory id comes
   * from a node that was wiped and formatted anew (directory-ids.ts): it is dropped, so that node
   * neither votes, nor acknowledges, nor keeps a leader's check-quorum alive (nor gets reads
   * confirmed through it), until an operator replaces the member. The checking is done where the
   * word is counted — by the candidate, the leader — whose view is what decides. Everything else
   * is taken whatever its directory id: a follower whose log lags behind a replacement must still
   * hear from the replaced node once it leads, and grant it a vote, or it could never learn the
   * newer membership (sim findings). A wiped node asking for votes wins nothing: only a node whose
   * log is no longer than its empty one would grant, and a grant its earlier life was given does
   * not count (recordVote). Protected: the simulator's bug injection
   * overrides it.
   */
  protected fromNamedMember(m: Message): boolean {
    if (!COUNTED_MESSAGES.has(m.type) || matchesBinding(this.membership, m.from, m.directoryId)) return true;
    this.logOnce(this.warnedDirectories, `${m.from}/${m.directoryId}`, "raft.directory-mismatch", { from: m.from, directoryId: m.directoryId, bound: boundDirectory(this.membership, m.from) });
    return false;
  }

  /**
   * The uncommitted config entries only bind directory ids: the voters and learners are those of
   * the committed config, so one more single-server change still differs by one server from every
   * config that may be in force — an operator's change need not wait for a binding.
   */
  private onlyBindingsPending(): boolean {
    const committed = this.membershipFromLog(this.log.committed).membership;
    return sameMembers(committed.voters, this.membership.voters) && sameMembers(committed.learners, this.membership.learners);
  }

  /**
   * Leader: remember the directory id of a member that is not bound yet, from an answer it sent
   * since this leader began tracking it: a late answer from the disk a re-added member had before
   * its wipe must not bind the old disk (sim seed 4270's trace; Progress.since).
   */
  private observeDirectory(m: Message): void {
    if (m.directoryId === "" || boundDirectory(this.membership, m.from) !== "") return;
    if (isMember(this.membership, m.from) && this.replication.answersSinceTracked(m)) this.observedDirectories.set(m.from, m.directoryId);
    this.maybeBindDirectory();
  }

  /** Leader: bind the next unbound member's directory id, once no other config change is in flight. */
  private maybeBindDirectory(): void {
    if (this.role !== "leader" || this.leadTransferee !== 0) return;
    if (this.configIndex > this.log.committed || this.log.term(this.log.committed) !== this.term) return;
    const next = nextBinding(this.membership, { id: this.id, directoryId: this.directoryId }, this.observedDirectories);
    if (next === null) return;
    this.observedDirectories.delete(next.id);
    const data = encodeMembership(withBinding(this.membership, next.id, next.directoryId));
    if (data.byteLength + ENTRY_OVERHEAD_BYTES > this.cfg.maxMsgBytes) {
      // Stays unbound (and so unprotected) until the membership fits; said once, not per message.
      this.logOnce(this.warnedDirectories, `bind/${next.id}`, "raft.bind-refused", { id: next.id, reason: `membership of ${data.byteLength} bytes exceeds maxMsgBytes ${this.cfg.maxMsgBytes}` });
      return;
    }
    this.appendEntry("config", data);
    this.logEvent("raft.directory-bind", { id: next.id, directoryId: next.directoryId });
    this.replication.bcastAppend();
  }

  /** The membership in force: the last config entry in the log, else the snapshot's, else the initial one. */
  /** The membership in force just before the latest config entry (cached until the config changes). */
  private previousMembership(): Membership {
    if (this.previousConfig === null) {
      this.previousConfig = { index: this.configIndex, membership: this.membershipFromLog(this.configIndex - 1).membership };
    }
    return this.previousConfig.membership;
  }

  private membershipFromLog(from = this.log.lastIndex()): ConfigAt {
    for (let i = Math.min(from, this.log.lastIndex()); i >= this.log.firstIndex(); i--) {
      const e = this.log.entryAt(i) as Entry;
      if (e.type === "config") return { membership: decodeMembership(e.data), index: i };
    }
    const snap = this.log.snapshot;
    if (snap !== null) return { membership: cloneMembership(snap.meta.membership), index: snap.meta.index };
    return { membership: cloneMembership(this.cfg.initialMembership), index: 0 };
  }

  private restoredMembership(): ConfigAt {
    try {
      return this.membershipFromLog();
    } catch (e) {
      throw new RaftConfigError(`restored log holds an unreadable config entry: ${(e as Error).message}`);
    }
  }

  private setMembership({ membership, index }: ConfigAt): void {
    this.membership = frozenMembership(membership);
    this.configIndex = index;
    this.previousConfig = null;
    this.membershipChanges++;
    this.logEvent("raft.membership", { index, voters: membership.voters, learners: membership.learners });
    if (this.role !== "leader") return;
    this.syncProgress();
    if (this.leadTransferee !== 0 && !isVoter(this.membership, this.leadTransferee)) this.abortTransfer("target removed");
  }

  /**
   * Leader: one Progress per member other than itself, new ones probing from the log's end. A
   * removed member keeps its Progress until the change commits, so it learns of its removal.
   */
  private syncProgress(): void {
    const want = new Set(members(this.membership).filter((id) => id !== this.id));
    this.replication.sync(want, this.configIndex <= this.log.committed);
  }

  // ---- plumbing ----

  private send(fields: Outgoing): void {
    this.msgs.push({ ...emptyMessage(fields.type, this.id, fields.to, this.term), directoryId: this.directoryId, ...fields });
  }

  private takeCommitted(): Entry[] {
    const hi = Math.min(this.log.committed, this.log.handedOut, this.appliedHandedOut + MAX_COMMITTED_PER_READY);
    if (hi <= this.appliedHandedOut) return [];
    const out = this.log.slice(this.appliedHandedOut + 1, hi);
    this.appliedHandedOut = hi;
    return out;
  }

  private softState(): SoftState {
    return { leader: this.lead, role: this.role };
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private peerStatuses(): PeerStatus[] {
    const last = this.log.lastIndex();
    const self: PeerStatus = { id: this.id, voter: isVoter(this.membership, this.id), match: last, next: last + 1, state: "replicate", ticksSinceContact: 0, contacted: true };
    return [self, ...this.replication.statuses((id) => isVoter(this.membership, id))];
  }

  private logRole(): void {
    this.logEvent("raft.role", { leader: this.lead });
  }

  /** Logs `event` once per key of `said` (bounded: a repeat after a clear is harmless). */
  private logOnce(said: Set<string>, key: string, event: string, fields: Record<string, unknown>): void {
    if (said.has(key)) return;
    if (said.size >= 64) said.clear();
    said.add(key);
    this.logEvent(event, fields);
  }

  private logEvent(event: string, fields: Record<string, unknown>): void {
    this.cfg.logger?.(event, { node: this.id, term: this.term, role: this.role, ...fields });
  }
}

function clampUnit(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 0.999999) : 0;
}

function describeSize(data: unknown): string {
  return data instanceof Uint8Array ? `${data.byteLength} bytes` : "a non-Uint8Array value";
}

function sameMembers(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
