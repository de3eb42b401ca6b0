// An in-process ConsensusHandle over any StateMachine, for tests of the layers above the node
// runtime. A lone instance is a one-node cluster: a proposal is "committed" at once and applied in
// the next microtask batch, like the real runtime's drain. Two instances can be linked
// (follower.follow(leader)) to exercise forwarding and follower reads: the leader pushes every
// applied entry to its followers, and a follower's replication can be paused to hold it behind.
// Time (read/forward bounds, waitApplied timeouts) comes from an injected Clock.
import type { Clock, TimerId } from "../../src/metadata/clock.ts";
import { systemClock } from "../../src/metadata/clock.ts";
import {
  type ClusterStatus,
  type ConsensusHandle,
  ConsensusTimeoutError,
  MembershipError,
  NoLeaderError,
  NotLeaderError,
  type StateMachine,
  type Unsubscribe,
} from "../../src/node/contracts.ts";
import { ProposalRejectedError } from "../../src/node/errors.ts";
import type { Membership, NodeId, Role, SnapshotMeta } from "../../src/raft/types.ts";

export interface LocalConsensusOptions {
  stateMachine: StateMachine;
  clock?: Clock;
  nodeId?: NodeId;
  clusterId?: string;
  /** Peer address shown in status() and membership. */
  address?: string;
  /** Start as leader of term 1 (default) or as a follower that knows no leader. */
  startAsLeader?: boolean;
  /** Snapshots kept in memory (oldest dropped first). */
  maxSnapshots?: number;
  /** Bound on entries proposed and not yet applied; past it propose rejects. */
  maxPendingProposals?: number;
  /** Upper bound of readBarrier on a follower (ms of the injected clock). */
  readTimeoutMs?: number;
  /** Upper bound accepted for waitApplied (longer requests are clamped). */
  maxWaitMs?: number;
}

interface LocalEntry {
  index: number;
  term: number;
  data: Uint8Array;
}

interface ProposalWaiter {
  index: number;
  resolve: (v: { index: number; result: unknown }) => void;
  reject: (e: unknown) => void;
}

interface ApplyWaiter {
  index: number;
  timer: TimerId;
  resolve: (applied: boolean) => void;
}

type ForwardHandler = (payload: Uint8Array, from: NodeId) => Promise<Uint8Array>;

export class LocalConsensus implements ConsensusHandle {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly clock: Clock;
  private readonly sm: StateMachine;
  private readonly address: string;
  private readonly maxSnapshots: number;
  private readonly maxPending: number;
  private readonly readTimeoutMs: number;
  private readonly maxWaitMs: number;

  private role: Role;
  private leader: NodeId;
  private term: number;
  private log: LocalEntry[] = [];
  private first = 1;
  private last = 0;
  private applied = 0;
  private applyScheduled = false;
  private proposals: ProposalWaiter[] = [];
  private applyWaiters: ApplyWaiter[] = [];
  private appliedListeners = new Set<(applied: number) => void>();
  private roleListeners = new Set<(role: Role, leader: NodeId, term: number) => void>();
  private forwardHandler: ForwardHandler | null = null;
  private snapshots: { meta: SnapshotMeta; data: Uint8Array }[] = [];
  private followers: LocalConsensus[] = [];
  private upstream: LocalConsensus | null = null;
  private paused = false;
  private counters = { proposals: 0, applied_entries: 0, forwards: 0, read_barriers: 0, snapshots: 0 };

  constructor(opts: LocalConsensusOptions) {
    this.sm = opts.stateMachine;
    this.clock = opts.clock ?? systemClock();
    this.nodeId = opts.nodeId ?? 1;
    this.clusterId = opts.clusterId ?? "local-cluster";
    this.address = opts.address ?? `127.0.0.1:${9090 + this.nodeId}`;
    this.maxSnapshots = opts.maxSnapshots ?? 8;
    this.maxPending = opts.maxPendingProposals ?? 10_000;
    this.readTimeoutMs = opts.readTimeoutMs ?? 5_000;
    this.maxWaitMs = opts.maxWaitMs ?? 60_000;
    const leader = opts.startAsLeader ?? true;
    this.role = leader ? "leader" : "follower";
    this.leader = leader ? this.nodeId : 0;
    this.term = leader ? 1 : 0;
  }

  // ---- test controls -------------------------------------------------------------------------

  /** Wins an election: a new term with this node as leader. Not allowed while following another. */
  becomeLeader(): void {
    if (this.upstream) throw new Error(`node ${this.nodeId} follows node ${this.upstream.nodeId}; unlink it first`);
    this.setRole("leader", this.nodeId, this.term + 1);
  }

  /** Loses leadership; `leader` 0 = no leader known (writes and reads then fail with NoLeaderError). */
  stepDown(leader: NodeId = 0): void {
    this.failProposals(leader ? new NotLeaderError(leader) : new NoLeaderError());
    this.setRole("follower", leader, this.term);
    // Its followers hear of it too (as they would from the next election's messages).
    for (const f of this.followers) f.setRole("follower", leader, this.term);
  }

  /** Makes this node a follower of `leader`: it installs the leader's state and then every new entry. */
  follow(leader: LocalConsensus): void {
    if (leader === this) throw new Error(`node ${this.nodeId} cannot follow itself`);
    if (leader.role !== "leader") throw new Error(`node ${leader.nodeId} is not a leader`);
    this.failProposals(new NotLeaderError(leader.nodeId));
    this.upstream = leader;
    leader.followers.push(this);
    this.setRole("follower", leader.nodeId, leader.term);
    this.catchUp();
  }

  /** Stops applying what the leader sends (it queues) until resumeReplication(). */
  pauseReplication(): void {
    this.paused = true;
  }

  resumeReplication(): void {
    this.paused = false;
    this.catchUp();
  }

  // ---- ConsensusHandle -----------------------------------------------------------------------

  isLeader(): boolean {
    return this.role === "leader";
  }

  leaderId(): NodeId {
    return this.leader;
  }

  propose(data: Uint8Array): Promise<{ index: number; result: unknown }> {
    if (this.role !== "leader") return Promise.reject(this.notLeader());
    // As the runtime: an empty entry is the core's no-op marker, never a command.
    if (data.byteLength === 0) return Promise.reject(new ProposalRejectedError("a proposal must not be empty"));
    if (this.last - this.applied >= this.maxPending) {
      return Promise.reject(new ConsensusTimeoutError(`too many proposals in flight (${this.maxPending})`));
    }
    this.counters.proposals++;
    const index = ++this.last;
    this.log.push({ index, term: this.term, data: data.slice() });
    return new Promise((resolve, reject) => {
      this.proposals.push({ index, resolve, reject });
      this.scheduleApply();
    });
  }

  forwardToLeader(payload: Uint8Array): Promise<Uint8Array> {
    this.counters.forwards++;
    if (this.role === "leader") return this.serveForward(payload, this.nodeId);
    if (this.upstream && this.upstream.role === "leader") return this.upstream.serveForward(payload, this.nodeId);
    return Promise.reject(this.notLeader());
  }

  onForward(handler: ForwardHandler): void {
    this.forwardHandler = handler;
  }

  async readBarrier(): Promise<void> {
    this.counters.read_barriers++;
    if (this.role === "leader") {
      await this.waitOrTimeout(this.last);
      return;
    }
    if (!this.upstream || this.upstream.role !== "leader") throw this.notLeader();
    await this.waitOrTimeout(this.upstream.applied);
  }

  waitApplied(index: number, timeoutMs: number): Promise<boolean> {
    if (this.applied >= index) return Promise.resolve(true);
    const bounded = Math.min(Math.max(0, Number.isFinite(timeoutMs) ? timeoutMs : 0), this.maxWaitMs);
    return new Promise((resolve) => {
      const waiter: ApplyWaiter = {
        index,
        resolve,
        timer: this.clock.setTimeout(() => {
          this.applyWaiters = this.applyWaiters.filter((w) => w !== waiter);
          resolve(false);
        }, bounded),
      };
      this.applyWaiters.push(waiter);
    });
  }

  onApplied(listener: (appliedIndex: number) => void): Unsubscribe {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  onRoleChange(listener: (role: Role, leader: NodeId, term: number) => void): Unsubscribe {
    this.roleListeners.add(listener);
    return () => this.roleListeners.delete(listener);
  }

  appliedIndex(): number {
    return this.applied;
  }

  firstIndex(): number {
    return this.first;
  }

  status(): ClusterStatus {
    const leading = this.role === "leader";
    const members = leading ? [this, ...this.followers] : [this];
    return {
      nodeId: this.nodeId,
      clusterId: this.clusterId,
      role: this.role,
      leader: this.leader,
      term: this.term,
      commitOffset: this.upstream ? Math.max(this.applied, this.upstream.applied) : this.applied,
      appliedOffset: this.applied,
      firstOffset: this.first,
      lastOffset: this.last,
      directoryId: "",
      membership: this.membership(),
      members: members.map((m) => ({
        id: m.nodeId,
        address: m.address,
        voter: true,
        logEndOffset: m.last,
        lag: leading ? this.last - m.last : 0,
        lastContactMs: leading ? 0 : null,
        promotion: null,
        directoryId: "",
      })),
    };
  }

  /** Snapshots the state machine at its applied index and compacts the log up to it. */
  async snapshotNow(): Promise<SnapshotMeta> {
    if (this.role === "leader") await this.waitOrTimeout(this.last);
    const meta: SnapshotMeta = { index: this.applied, term: this.termAt(this.applied), membership: this.membership() };
    this.snapshots.push({ meta, data: this.sm.snapshot() });
    if (this.snapshots.length > this.maxSnapshots) this.snapshots.shift();
    this.log = this.log.filter((e) => e.index > meta.index);
    this.first = Math.max(this.first, meta.index + 1);
    this.counters.snapshots++;
    return meta;
  }

  listSnapshots(): SnapshotMeta[] {
    return this.snapshots.map((s) => s.meta);
  }

  latestSnapshot(): { meta: SnapshotMeta; data: Uint8Array } | null {
    return this.snapshots.at(-1) ?? null;
  }

  transferLeader(to: NodeId): Promise<void> {
    return Promise.reject(new MembershipError(`cannot transfer leadership to ${to}: this local cluster has one node (${this.nodeId})`));
  }

  addVoter(id: NodeId, address: string): Promise<void> {
    return Promise.reject(new MembershipError(`cannot add voter ${id} at ${address}: this local cluster has a fixed single node`));
  }

  addLearner(id: NodeId, address: string): Promise<void> {
    return Promise.reject(new MembershipError(`cannot add learner ${id} at ${address}: this local cluster has a fixed single node`));
  }

  removeMember(id: NodeId): Promise<void> {
    return Promise.reject(new MembershipError(`cannot remove member ${id}: this local cluster has a fixed single node`));
  }

  metrics(): Record<string, number> {
    return {
      raft_term: this.term,
      raft_is_leader: this.role === "leader" ? 1 : 0,
      raft_first_index: this.first,
      raft_last_index: this.last,
      raft_applied_index: this.applied,
      raft_proposals_total: this.counters.proposals,
      raft_applied_entries_total: this.counters.applied_entries,
      raft_forwards_total: this.counters.forwards,
      raft_read_barriers_total: this.counters.read_barriers,
      raft_snapshots_total: this.counters.snapshots,
    };
  }

  // ---- internals -----------------------------------------------------------------------------

  private serveForward(payload: Uint8Array, from: NodeId): Promise<Uint8Array> {
    if (!this.forwardHandler) return Promise.reject(new NoLeaderError(`leader ${this.nodeId} has no forward handler registered`));
    // Copies stand for the wire: neither side may share the other's buffer.
    return this.forwardHandler(payload.slice(), from).then((reply) => reply.slice());
  }

  private notLeader(): Error {
    return this.leader ? new NotLeaderError(this.leader) : new NoLeaderError();
  }

  private setRole(role: Role, leader: NodeId, term: number): void {
    this.role = role;
    this.leader = leader;
    this.term = term;
    for (const listener of [...this.roleListeners]) listener(role, leader, term);
  }

  private membership(): Membership {
    const nodes: LocalConsensus[] = this.upstream ? [this.upstream, ...this.upstream.followers] : [this, ...this.followers];
    return {
      voters: nodes.map((n) => n.nodeId),
      learners: [],
      addresses: Object.fromEntries(nodes.map((n) => [String(n.nodeId), n.address])),
    };
  }

  private termAt(index: number): number {
    const entry = this.log.find((e) => e.index === index);
    if (entry) return entry.term;
    const snap = this.snapshots.findLast((s) => s.meta.index === index);
    return snap ? snap.meta.term : index === 0 ? 0 : this.term;
  }

  private async waitOrTimeout(index: number): Promise<void> {
    if (await this.waitApplied(index, this.readTimeoutMs)) return;
    throw new ConsensusTimeoutError(`node ${this.nodeId} did not apply index ${index} within ${this.readTimeoutMs} ms`);
  }

  private failProposals(error: Error): void {
    const waiting = this.proposals;
    this.proposals = [];
    // Their entries stay in the log, as in Raft an uncommitted entry's fate is unknown to the proposer.
    for (const p of waiting) p.reject(error);
  }

  private scheduleApply(): void {
    if (this.applyScheduled) return;
    this.applyScheduled = true;
    queueMicrotask(() => {
      this.applyScheduled = false;
      this.applyPending();
    });
  }

  /** Applies every entry past the applied index as one batch, then notifies. */
  private applyPending(): boolean {
    // The log is in index order: the unapplied entries are a suffix.
    let start = this.log.length;
    while (start > 0 && this.log[start - 1].index > this.applied) start--;
    const batch = this.log.slice(start);
    if (batch.length === 0) return false;
    for (const entry of batch) {
      let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, result: this.sm.apply(entry.index, entry.data) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      this.applied = entry.index;
      this.counters.applied_entries++;
      this.settleProposal(entry.index, outcome);
    }
    this.notifyApplied();
    for (const follower of this.followers) follower.catchUp();
    return true;
  }

  private settleProposal(index: number, outcome: { ok: true; result: unknown } | { ok: false; error: unknown }): void {
    const at = this.proposals.findIndex((p) => p.index === index);
    if (at < 0) return;
    const [p] = this.proposals.splice(at, 1);
    if (outcome.ok) p.resolve({ index, result: outcome.result });
    else p.reject(outcome.error);
  }

  private notifyApplied(): void {
    const ready = this.applyWaiters.filter((w) => w.index <= this.applied);
    this.applyWaiters = this.applyWaiters.filter((w) => w.index > this.applied);
    for (const w of ready) {
      this.clock.clearTimeout(w.timer);
      w.resolve(true);
    }
    for (const listener of [...this.appliedListeners]) listener(this.applied);
  }

  /** Follower side: take what the leader has that this node lacks (snapshot first if compacted). */
  private catchUp(): void {
    const leader = this.upstream;
    if (!leader || this.paused) return;
    let restored = false;
    if (this.applied < leader.first - 1) {
      const snap = leader.latestSnapshot();
      if (!snap) throw new Error(`leader ${leader.nodeId} compacted to ${leader.first} without a snapshot`);
      this.sm.restore(snap.meta.index, snap.data);
      this.applied = snap.meta.index;
      this.first = snap.meta.index + 1;
      this.log = [];
      restored = true;
    }
    const missing = leader.log.filter((e) => e.index > this.last && e.index <= leader.applied);
    for (const e of missing) this.log.push({ ...e, data: e.data.slice() });
    this.last = Math.max(this.last, this.applied, ...missing.map((e) => e.index));
    this.term = leader.term;
    if (!this.applyPending() && restored) this.notifyApplied();
  }
}
