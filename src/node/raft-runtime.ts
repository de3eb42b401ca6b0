// The node runtime: drives the pure Raft core with ticks, peer messages, proposals and reads, and
// carries out each Ready in the order the core requires — persist, send, install snapshot / apply,
// serve reads, advance. The persist is split (write-pipeline.ts): the batch is written at once and
// the rest of the Ready waits for a flush that runs off the event loop, so the loop keeps serving
// while the disk syncs, and Readys written meanwhile share the next flush. A leader's replication
// for a term already durable is sent before its own write (thesis §10.2.1), so its fsync and the
// followers' overlap.
// It implements ConsensusHandle for the metadata service, the API and the console.
import { Raft, SAFETY_ALARMS, splitEarlyMessages } from "../raft/index.ts";
import type { ConfChange, Membership, Message, NodeId, RaftBrief, Ready, Snapshot, SnapshotMeta } from "../raft/types.ts";
import type { Transport, TransportStats } from "../transport/transport-types.ts";
import { AppliedWaiters } from "./applied-waiters.ts";
import { ApplySlices } from "./apply-slices.ts";
import { type ApplyStep, Applier } from "./applier.ts";
import { toClusterStatus } from "./cluster-status.ts";
import {
  type ClusterStatus,
  type ConsensusHandle,
  ConsensusTimeoutError,
  type MembershipChangeOptions,
  MembershipError,
  NoLeaderError,
  NotLeaderError,
  type Unsubscribe,
} from "./contracts.ts";
import { NodeStoppedError, ProposalRejectedError } from "./errors.ts";
import { bulkAppBytes } from "./flow-bounds.ts";
import { type ForwardHandler, Forwarder } from "./forwarding.ts";
import { Logger } from "./logger.ts";
import { MembershipChanges } from "./membership-changes.ts";
import { coalesceMessages } from "./message-coalescer.ts";
import { RuntimeMetrics } from "./metrics.ts";
import { MAX_PROMOTION_LAG_ENTRIES, type PromotionLimits } from "./promotion.ts";
import { ProposalWaiters } from "./proposal-waiters.ts";
import { ReadWaiters } from "./read-waiters.ts";
import { RoleTracker, type RoleListener } from "./role-tracker.ts";
import { type ResolvedRuntimeOptions, type RuntimeOptions, resolveRuntimeOptions } from "./runtime-options.ts";
import { SendBacklog } from "./send-backlog.ts";
import { withSnapshotBytes } from "./snapshot-sending.ts";
import { Snapshotter } from "./snapshotter.ts";
import { transportMetrics } from "./transport-metrics.ts";
import { type DurableReady, WritePipeline } from "./write-pipeline.ts";

/** Bound on one waitApplied (long polls ask for at most 30 s). */
const MAX_APPLIED_WAIT_MS = 60_000;

type AppliedListener = (appliedIndex: number) => void;
type RuntimeState = "new" | "running" | "stopped";

export class RaftRuntime implements ConsensusHandle {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly log: Logger;
  private readonly opts: ResolvedRuntimeOptions;
  private readonly counters = new RuntimeMetrics();
  private readonly proposals: ProposalWaiters;
  private readonly reads: ReadWaiters;
  private readonly appliedWaiters: AppliedWaiters;
  private readonly roles: RoleTracker;
  private readonly forwarder: Forwarder;
  private readonly applier: Applier;
  private readonly slices: ApplySlices;
  private readonly members: MembershipChanges;
  private readonly promotionLimits: PromotionLimits;
  private readonly writes: WritePipeline;
  private readonly appliedListeners = new Set<AppliedListener>();
  /** Bulky messages (snapshot chunks, big Apps) and what follows them to the same follower, sent one per turn. */
  private readonly backlog: SendBacklog;
  private backlogScheduled = false;
  private raft: Raft | null = null;
  private transport: Transport | null = null;
  private snapshotter: Snapshotter | null = null;
  private state: RuntimeState = "new";
  private drainScheduled = false;
  /** The term of the hard state on disk (what splitEarlyMessages may rely on). */
  private durableTerm = 0;
  /** A tick came since the last Ready was taken (mayTakeReady). */
  private tickedSinceReady = false;
  /** A message came from the leader since the last tick: missed ticks are not caught up (mayCatchUpTick). */
  private leaderHeardSinceTick = false;
  /** A Ready whose snapshot is being staged into the store before its write (takeReady). */
  private staging: Ready | null = null;
  /** Read-index traffic came or a read round started since the last Ready was taken (mayTakeReady). */
  private readTraffic = false;
  /** The commit index the last Ready taken carried (mayTakeReady: a commit that moved past it goes out at once). */
  private commitTaken = 0;
  private peersKey = "";
  /** The core's membershipVersion() the transport's peers were last set from. */
  private peersVersion = -1;

  constructor(options: RuntimeOptions) {
    this.opts = resolveRuntimeOptions(options);
    this.nodeId = this.opts.nodeId;
    this.clusterId = this.opts.clusterId;
    this.roles = new RoleTracker(this.opts.maxWaiters, () => this.log, this.opts.timers);
    this.log = new Logger(this.nodeId, this.opts.logSink, () => ({ term: this.roles.term, role: this.roles.role }), this.opts.now);
    this.proposals = new ProposalWaiters(this.opts.maxPendingProposals, this.opts.proposalTimeoutMs, this.opts.timers);
    this.reads = new ReadWaiters(this.opts.maxPendingReads, this.opts.readTimeoutMs, this.opts.timers, this.opts.firstReadContext);
    this.appliedWaiters = new AppliedWaiters(this.opts.maxWaiters, this.opts.timers);
    this.applier = new Applier(this.opts.stateMachine, this.proposals, this.log, this.opts.initialMembership, this.opts.now, (snap) => this.opts.storage.releaseSnapshotBytes?.(snap));
    this.slices = new ApplySlices({
      applier: this.applier,
      defer: (work) => this.opts.timers.defer(work),
      guarded: (step) => this.state === "running" && this.guarded(step),
      onSlice: (step, appliedBefore) => this.afterSlice(step, appliedBefore),
      onReplaced: (report) => {
        this.counters.snapshotsInstalled++;
        this.log.info("snapshot_installed", { ...report });
      },
      collectYoung: this.opts.collectYoung,
      recordsApplied: this.opts.stateMachine.recordsApplied?.bind(this.opts.stateMachine),
      collectsApplies: () => this.isLeader(),
    });
    this.forwarder = new Forwarder({
      nodeId: this.nodeId,
      isLeader: () => this.isLeader(),
      leaderId: () => this.roles.leader,
      awaitLeader: (ms) => this.roles.awaitAnyLeader(ms),
      request: (to, payload, ms) => this.requireTransport().request(to, payload, ms),
      watchLeader: (listener) => this.roles.onChange((_role, leader) => listener(leader)),
      now: this.opts.now,
      timeoutMs: this.opts.forwardTimeoutMs,
      leaderWaitMs: this.opts.leaderWaitMs,
      metrics: this.counters,
    });
    this.writes = new WritePipeline({
      storage: this.opts.storage,
      complete: (done) => {
        const raft = this.raft;
        if (raft && this.guarded(() => this.completeReady(raft, done))) this.scheduleDrain();
      },
      failed: (e) => this.fail(e),
      running: () => this.state === "running",
      now: () => performance.now(),
      flushStarted: () => this.counters.flushes++,
      defer: (fn) => this.opts.timers.defer(fn),
    });
    this.backlog = new SendBacklog(bulkAppBytes(this.opts.maxMsgBytes));
    this.promotionLimits = { maxLag: MAX_PROMOTION_LAG_ENTRIES, recentTicks: this.opts.electionTicks, tickMs: this.opts.ticker.intervalMs };
    this.members = new MembershipChanges({
      raftStatus: () => this.requireRunning("change membership").status(),
      propose: (cc) => this.changeMembership(cc),
      now: this.opts.now,
      limits: this.promotionLimits,
      promotionTimeoutMs: this.opts.promotionTimeoutMs,
      log: this.log,
    });
  }

  /** Restore from storage, open the peer port, start ticking. Resolves with the bound peer port. */
  async start(): Promise<{ peerPort: number }> {
    if (this.state !== "new") throw new Error(`runtime of node ${this.nodeId} already ${this.state}`);
    const raft = this.restoreOrRefuse();
    this.raft = raft;
    this.opts.onRestored?.();
    this.transport = this.opts.transport({
      onMessages: (msgs) => this.onMessages(msgs),
      onRequest: (from, payload) => this.forwarder.serve(from, payload),
    });
    const { port } = await this.transport.start();
    this.state = "running";
    this.refreshPeers();
    this.opts.ticker.start(() => this.onTick(), { allowed: (delivered) => this.mayCatchUpTick(delivered), maxTicks: this.opts.electionTicks });
    const m = raft.status().membership;
    if (m.voters.length === 1 && m.voters[0] === this.nodeId) raft.campaign();
    this.log.info("node_started", { peerPort: port, applied: this.applier.applied, voters: m.voters });
    this.scheduleDrain();
    return { peerPort: port };
  }

  /** Stop ticking and serving; fail every pending wait; close the transport and the storage. */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    const wasRunning = this.state === "running";
    this.halt(new NodeStoppedError("the pending operation"));
    if (this.transport) await this.transport.stop();
    this.opts.storage.close();
    if (wasRunning) this.log.info("node_stopped", { applied: this.applier.applied });
  }

  // ---- ConsensusHandle ----------------------------------------------------------------------

  isLeader(): boolean {
    return this.roles.isLeader;
  }

  leaderId(): NodeId {
    return this.roles.leader;
  }

  propose(data: Uint8Array): Promise<{ index: number; result: unknown }> {
    this.counters.proposals++;
    return this.proposeEntry(data, true);
  }

  private async proposeEntry(data: Uint8Array, mayWaitForTransfer: boolean): Promise<{ index: number; result: unknown }> {
    const raft = this.requireRunning("propose");
    if (data.length === 0) throw new ProposalRejectedError("an empty proposal would read as a leader's no-op; nothing proposed");
    this.proposals.ensureCapacity();
    const r = raft.propose(data);
    if (!r.ok && r.reason === "transferring" && mayWaitForTransfer) return this.proposeAfterTransfer(data);
    if (!r.ok) {
      this.counters.proposalsFailed++;
      throw this.proposeFailure(r.reason, r.leader, r.message);
    }
    this.scheduleDrain();
    const result = await this.proposals.wait(r.index, r.term);
    return { index: r.index, result };
  }

  /**
   * The core refuses proposals while it hands leadership over. Nothing was appended, so wait
   * (bounded) for the hand-over to land: propose here again if it was aborted, or tell the caller
   * the new leader (NotLeaderError), to whom the metadata service forwards the write.
   */
  private async proposeAfterTransfer(data: Uint8Array): Promise<{ index: number; result: unknown }> {
    await this.roles.awaitChange(this.opts.transferTimeoutMs);
    if (this.isLeader()) return this.proposeEntry(data, false);
    // The new leader may take a moment to be known here (its first heartbeat): wait as long as a
    // deposed leader waits for its own entries, rather than fail a write that can be forwarded.
    const leader = await this.roles.awaitAnyLeader(this.opts.deposedProposalWaitMs);
    this.counters.proposalsFailed++;
    if (leader === 0) throw new NoLeaderError(`leadership was being transferred and no leader emerged within ${this.opts.deposedProposalWaitMs} ms`);
    throw new NotLeaderError(leader);
  }

  async forwardToLeader(payload: Uint8Array): Promise<Uint8Array> {
    this.requireRunning("forward");
    return this.forwarder.forward(payload);
  }

  onForward(handler: ForwardHandler): void {
    this.forwarder.setHandler(handler);
  }

  async readBarrier(): Promise<void> {
    this.requireRunning("read");
    this.counters.readBarriers++;
    const leader = await this.roles.awaitAnyLeader(this.opts.leaderWaitMs);
    if (leader === 0) throw new NoLeaderError(`no leader elected within ${this.opts.leaderWaitMs} ms to confirm a read`);
    const done = this.reads.enqueue();
    this.scheduleDrain();
    return done;
  }

  waitApplied(index: number, timeoutMs: number): Promise<boolean> {
    if (this.state === "stopped") return Promise.resolve(this.applier.applied >= index);
    return this.appliedWaiters.wait(index, this.applier.applied, Math.min(timeoutMs, MAX_APPLIED_WAIT_MS));
  }

  onApplied(listener: AppliedListener): Unsubscribe {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  onRoleChange(listener: RoleListener): Unsubscribe {
    return this.roles.onChange(listener);
  }

  appliedIndex(): number {
    return this.applier.applied;
  }

  firstIndex(): number {
    return this.raft ? this.raft.firstIndex() : 1;
  }

  status(): ClusterStatus {
    const raft = this.requireRaft();
    // The state machine's applied index, not the core's: the core counts entries handed out, which
    // run ahead of the state while an install or a long run of entries is applied in slices.
    return toClusterStatus({ ...raft.status(), applied: this.applier.applied }, this.clusterId, this.promotionLimits);
  }

  /** The core's offsets, role and (frozen) membership without the per-peer view: cheap to ask often. */
  brief(): RaftBrief {
    return this.requireRaft().brief();
  }

  async snapshotNow(): Promise<SnapshotMeta> {
    const raft = this.requireRunning("snapshot");
    const latest = this.opts.storage.listSnapshots()[0];
    if (latest && latest.index === this.applier.applied) return { index: latest.index, term: latest.term, membership: latest.membership };
    // The snapshotter works in later macrotasks, never between ready() and advance().
    return this.requireSnapshotter().snapshotNow(raft);
  }

  listSnapshots(): SnapshotMeta[] {
    return this.opts.storage.listSnapshots();
  }

  latestSnapshot(): { meta: SnapshotMeta; data: Uint8Array } | null {
    return this.opts.storage.latestSnapshot();
  }

  async transferLeader(to: NodeId): Promise<void> {
    const raft = this.requireRunning("transfer leadership");
    if (!this.isLeader()) throw new NotLeaderError(this.roles.leader);
    if (to === this.nodeId) return;
    if (!raft.status().membership.voters.includes(to)) {
      throw new MembershipError(`cannot transfer leadership to ${to}: not a voter of the current membership`);
    }
    const became = this.roles.awaitLeader(to, this.opts.transferTimeoutMs);
    raft.transferLeader(to);
    this.scheduleDrain();
    if (!(await became)) {
      throw new ConsensusTimeoutError(`leadership did not move to ${to} within ${this.opts.transferTimeoutMs} ms (leader now ${this.roles.leader})`);
    }
  }

  addVoter(id: NodeId, address: string, options?: MembershipChangeOptions): Promise<void> {
    return this.members.addVoter(id, address, options);
  }

  addLearner(id: NodeId, address: string): Promise<void> {
    return this.members.addLearner(id, address);
  }

  removeMember(id: NodeId, options?: MembershipChangeOptions): Promise<void> {
    return this.members.removeMember(id, options);
  }

  metrics(): Record<string, number> {
    const s = this.raft?.status();
    return {
      ...this.counters.toRecord(),
      yakt_raft_term: this.roles.term,
      yakt_raft_is_leader: this.isLeader() ? 1 : 0,
      yakt_raft_leader_id: this.roles.leader,
      yakt_raft_leader_changes_total: this.roles.leaderChanges,
      yakt_raft_commit_index: s?.commit ?? 0,
      yakt_raft_applied_index: this.applier.applied,
      yakt_raft_first_index: s?.firstIndex ?? 0,
      yakt_raft_last_index: s?.lastIndex ?? 0,
      yakt_raft_pending_proposals: this.proposals.size,
      yakt_raft_pending_reads: this.reads.size,
      yakt_raft_snapshot_installing: this.applier.installingIndex === null ? 0 : 1,
      ...transportMetrics(this.transport?.stats() ?? null),
      ...this.opts.loopLag?.metrics(),
      ...this.slices.metrics(),
      ...this.opts.storage.metrics?.(),
    };
  }

  /** Transport counters, for diagnostics. */
  transportStats(): TransportStats | null {
    return this.transport?.stats() ?? null;
  }

  // ---- the loop -----------------------------------------------------------------------------

  /**
   * A store that fails its checksums (ChecksumError, naming the entry or snapshot) refuses the start
   * before the peer port opens: the node never votes, never acknowledges an append and never serves
   * from damaged state. Not repaired from the leader, because a damaged entry may be one this node
   * acknowledged, and a node that dropped it and voted before refetching it could elect a leader
   * without a committed entry; repair would need a non-voting catch-up state the core lacks. The
   * operator restores the data dir from a backup, or wipes it and adds the node back (a new
   * directory id, so it is never counted as the voter it was). Corruption found while running (a
   * write planned on a damaged entry) fails persist and stops the node through onFatal (fail()).
   */
  private restoreOrRefuse(): Raft {
    try {
      return this.restore();
    } catch (e) {
      this.log.error("start_refused", { error: e });
      throw e;
    }
  }

  private restore(): Raft {
    const restore = this.opts.storage.load();
    if (restore.snapshot) this.applier.installSnapshot(restore.snapshot);
    this.roles.term = restore.hardState.term;
    this.durableTerm = restore.hardState.term;
    this.commitTaken = restore.hardState.commit;
    this.snapshotter = new Snapshotter(
      {
        nodeId: this.nodeId,
        storage: this.opts.storage,
        stateMachine: this.opts.stateMachine,
        applier: this.applier,
        log: this.log,
        counters: this.counters,
        now: this.opts.now,
        everyEntries: this.opts.snapshotEntries,
        everyMs: this.opts.snapshotIntervalMs,
        everyRecords: this.opts.snapshotRecords,
        defer: (work) => this.opts.timers.defer(work),
        collectYoung: this.opts.collectYoung,
      },
      restore.applied,
    );
    const raft = new Raft(
      {
        id: this.nodeId,
        electionTick: this.opts.electionTicks,
        heartbeatTick: this.opts.heartbeatTicks,
        random: this.opts.random,
        maxMsgBytes: this.opts.maxMsgBytes,
        maxInflight: this.opts.maxInflight,
        maxInflightBytes: this.opts.maxInflightBytes,
        snapshotChunkBytes: this.opts.snapshotChunkBytes,
        preVote: true,
        checkQuorum: true,
        initialMembership: this.opts.initialMembership,
        directoryId: this.opts.directoryId ?? "",
        logger: (event, fields) => (SAFETY_ALARMS.has(event) ? this.log.error(event, fields) : this.log.info(event, fields)),
      },
      restore,
    );
    // The state machine and the core (which keeps the snapshot's meta and size) are done with the
    // loaded bytes: given back now, not at the heap's next full collection (issue 10).
    if (restore.snapshot) this.opts.storage.releaseSnapshotBytes?.(restore.snapshot);
    return raft;
  }

  private onTick(): void {
    const raft = this.raft;
    if (this.state !== "running" || !raft) return;
    this.counters.ticks++;
    this.tickedSinceReady = true;
    this.leaderHeardSinceTick = false;
    this.guarded(() => {
      raft.tick();
      this.snapshotter?.maybeSnapshot(raft);
    });
    this.members.onTick(); // settles waiting promotions; reads status only, never steps the core
    this.scheduleDrain();
  }

  /**
   * Whether the ticks a late tick callback missed may be delivered (ticker.ts IntervalTicker, at
   * the next callback). Only once this node has lost its connection to the leader (or knows none):
   * then the leader's process is most likely gone (the kernel closes a killed process's sockets,
   * though at 1M partitions on a loaded machine 40–800 ms after the kill was seen), and the
   * caught-up ticks end this follower's lease by the wall clock, so it grants the other survivor's
   * pre-vote even if its own loop was busy, and its own campaign is not late either. While the
   * connection holds, ticks run with the loop as they always did: a leader starved of CPU sends
   * nothing either, and followers catching up would depose it (tried: 13–21 leader changes in 20 s
   * of scripts/bench/mixed.ts at load 15, against 2). Not if the leader was heard since the last
   * tick either: its messages waited in the socket during the pause, so it lives. Should the
   * catch-up start a pre-vote round of this node's own, that is harmless: a pre-vote raises no
   * term, and a leader and the followers that heard it ignore it (in lease). Never on a leader:
   * after a pause its followers' acknowledgements still wait unread, and a whole election timeout
   * of ticks at once would run check-quorum before it reads them and step it down with a quorum
   * behind it; missing ticks only delays its heartbeats (it could send none during the pause) and
   * stretches its check-quorum period, erring towards staying leader. At most one election
   * timeout's worth: enough to end a lease, and the work of one callback stays bounded. And at
   * once only up to the base election timeout (the callback's own tick included); past it, one
   * missed tick per callback besides its own, so the randomized part that spreads the survivors'
   * campaigns keeps wall time on a loop up to twice late but is never skipped in one callback.
   * Caught up through it, two survivors paused together (a loaded machine stalls both) passed
   * their timeouts at the same callback, asked for pre-votes at once, granted each other's and
   * split the election that followed.
   */
  private mayCatchUpTick(deliveredThisCallback: number): boolean {
    const raft = this.raft;
    if (this.state !== "running" || raft === null || this.leaderHeardSinceTick) return false;
    const { role, leader } = raft.brief();
    if (role === "leader") return false;
    if (raft.electionElapsedTicks() + 1 >= this.opts.electionTicks && deliveredThisCallback > 0) return false;
    return leader === 0 || this.requireTransport().stats().peers.find((p) => p.id === leader)?.connected !== true;
  }

  private onMessages(msgs: Message[]): void {
    const raft = this.raft;
    if (this.state !== "running" || !raft) return;
    this.counters.messagesReceived += msgs.length;
    if (!this.leaderHeardSinceTick && !this.roles.isLeader) this.leaderHeardSinceTick = msgs.some((m) => m.from === this.roles.leader);
    // The core ignores malformed peer input; a throw here is its invariant failing, not the peer's.
    this.guarded(() => {
      for (const m of msgs) raft.step(m);
    });
    if (!this.readTraffic) this.readTraffic = msgs.some(isReadTraffic);
    this.scheduleDrain();
  }

  /** Run a step of the loop; an error escaping it means the node's state cannot be trusted. */
  private guarded(step: () => void): boolean {
    try {
      step();
      return true;
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return false;
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.state !== "running") return;
    this.drainScheduled = true;
    this.opts.timers.defer(() => this.drain());
  }

  private drain(): void {
    this.drainScheduled = false;
    const raft = this.raft;
    if (this.state !== "running" || !raft) return;
    const handled = this.guarded(() => {
      const ctx = this.reads.takeOpenBatch();
      if (ctx !== null) {
        this.counters.readIndexRounds++;
        this.readTraffic = true;
        raft.readIndex(ctx);
      }
      if (this.mayTakeReady() && raft.hasReady()) this.takeReady(raft.ready());
    });
    if (handled && ((this.mayTakeReady() && raft.hasReady()) || this.reads.roundDue)) this.scheduleDrain();
  }

  /**
   * The core is asked for a Ready only while the pipeline has room, so a stalled disk holds new
   * work in the core, never in an unbounded queue here; and, while a write already waits for the
   * next flush, only once per tick (write-pipeline.ts backlogged): the core batches meanwhile —
   * or at once when read-index traffic came: a read round's heartbeats and their answers go out
   * before the persist (splitEarlyMessages), so they need not wait for a tick nor a flush; or when
   * the commit index moved: a leader's new commit goes to the followers (its commit-only Apps go
   * out early too) and a follower's is handed to its applier, so the watchers and long polls of
   * every node hear of a commit without waiting for a flush or a tick (issue 10's propagation).
   */
  private mayTakeReady(): boolean {
    return this.staging === null && this.writes.hasRoom && (!this.writes.backlogged || this.tickedSinceReady || this.readTraffic || this.commitMoved());
  }

  private commitMoved(): boolean {
    return this.raft !== null && this.raft.commitIndex() > this.commitTaken;
  }

  /**
   * A Ready that installs a large snapshot has its bytes staged in the store first, a slice per
   * macrotask (LogStorage.stageInstall), and is written once they all are: its write then only
   * publishes them. No other Ready is taken meanwhile, so the writes stay in the core's order.
   */
  private takeReady(rd: Ready): void {
    const storage = this.opts.storage;
    if (rd.snapshot === null || storage.stageInstall === undefined || rd.snapshot.data.byteLength <= this.opts.stageInstallBytes) {
      this.writeReady(rd);
      return;
    }
    this.staging = rd;
    this.counters.installsStaged++;
    storage.stageInstall(rd.snapshot);
    this.stageNext();
  }

  private stageNext(): void {
    this.opts.timers.defer(() => {
      const rd = this.staging;
      if (this.state !== "running" || rd === null) return;
      const handled = this.guarded(() => {
        if (!this.opts.storage.stageInstallStep!(this.opts.stageInstallBytes)) return this.stageNext();
        this.staging = null;
        this.writeReady(rd);
      });
      if (handled) this.scheduleDrain();
    });
  }

  /** The first half of a Ready: early messages out, its batch written; the rest waits for the flush. */
  private writeReady(rd: Ready): void {
    this.counters.readyCycles++;
    this.tickedSinceReady = false;
    this.readTraffic = false;
    if (rd.hardState) this.commitTaken = rd.hardState.commit;
    // A leader's replication goes out first, so the followers' disk writes overlap its own.
    const { early, late } = splitEarlyMessages(rd, this.durableTerm);
    if (early.length > 0) {
      this.send(early);
      this.requireTransport().flush();
    }
    if (rd.hardState) this.roles.term = rd.hardState.term;
    // A read state needs no disk (its index is a commit index a majority holds, and the readers
    // still wait until it is applied): settled now, not behind the flush of this Ready's entries.
    for (const rs of rd.readStates) {
      if (!rs.ok) this.counters.readsFailed++;
      this.reads.settle(rs, this.applier.applied);
    }
    this.writes.submit(rd, late);
  }

  /** The second half, once the Ready's batch is durable: nothing in it was acted on before. */
  private completeReady(raft: Raft, { rd, late, wrote, waitedMs }: DurableReady): void {
    if (rd.hardState) this.durableTerm = rd.hardState.term;
    if (wrote) this.counters.recordPersist(rd.entries.length, Math.round(waitedMs * 1000));
    this.send(late);
    const appliedBefore = this.applier.applied;
    if (rd.snapshot) {
      this.installSnapshot(rd.snapshot);
    }
    this.applier.apply(rd.committed);
    this.counters.appliedEntries += this.applier.applied - appliedBefore;
    if (rd.softState && this.roles.update(rd.softState)) this.onStepDown();
    raft.advance(rd);
    // Asked of the core, not read off the Ready: a truncated config entry reverts the membership
    // with no config entry in sight (sim seed 2744: a follower kept the removed member unroutable
    // for good after the removal was overwritten, so that member never caught up).
    if (raft.membershipVersion() !== this.peersVersion) this.refreshPeers();
    if (this.applier.applied > appliedBefore) this.announceApplied();
    this.slices.resume();
  }

  /**
   * A leader's snapshot, already durable: installed in slices when the state machine can, so the
   * loop keeps turning; until it has replaced the state, the applied index stays where it was
   * (reads wait, stale reads see the old state whole) and later entries are held back.
   */
  private installSnapshot(snap: Snapshot): void {
    this.snapshotter?.installed(snap.meta.index);
    // Read before the install: the Applier gives the bytes back once the state machine is done with them.
    const bytes = snap.data.length;
    if (this.applier.beginInstall(snap)) {
      this.slices.beginInstall(snap.meta.index, bytes);
      this.log.info("snapshot_install_started", { index: snap.meta.index, bytes });
      return;
    }
    this.counters.snapshotsInstalled++;
    this.log.info("snapshot_installed", { index: snap.meta.index, bytes });
  }

  /** After a slice of the Applier's pending work (apply-slices.ts): tell who waits on what got applied. */
  private afterSlice(step: ApplyStep, appliedBefore: number): void {
    if (!step.replaced) this.counters.appliedEntries += this.applier.applied - appliedBefore;
    if (step.configChanged) this.refreshPeers();
    if (this.applier.applied > appliedBefore) this.announceApplied();
  }

  /**
   * Sends what may go now; bulky messages wait for turns of their own (send-backlog.ts), so no
   * follower's heartbeat waits behind another's chunk read or a window of Apps.
   */
  private send(messages: Message[]): void {
    if (messages.length === 0) return;
    this.sendFilled(this.backlog.admit(messages));
    if (this.backlog.size > 0) this.scheduleBacklog();
  }

  private sendFilled(messages: Message[]): void {
    if (messages.length === 0) return;
    const filled = withSnapshotBytes(messages, this.opts.storage, this.opts.snapshotChunkBytes, (to, index) => this.snapshotGone(to, index));
    const msgs = coalesceMessages(filled, this.opts.maxMsgBytes);
    this.counters.messagesSent += msgs.length;
    this.requireTransport().send(msgs);
  }

  /** One held bulky message sent per macrotask, the followers in turn, until none is held. */
  private scheduleBacklog(): void {
    if (this.backlogScheduled || this.state !== "running") return;
    this.backlogScheduled = true;
    this.opts.timers.defer(() => {
      this.backlogScheduled = false;
      const run = this.state === "running" ? this.backlog.take() : null;
      if (run === null) return;
      const sent = this.guarded(() => {
        this.sendFilled(run);
        this.requireTransport().flush();
      });
      if (sent && this.backlog.size > 0) this.scheduleBacklog();
    });
  }

  /** A chunk's snapshot was pruned from storage: the core restarts that transfer, in its own macrotask (never inside a Ready). */
  private snapshotGone(to: NodeId, index: number): void {
    this.opts.timers.defer(() => {
      const raft = this.raft;
      if (this.state !== "running" || !raft) return;
      this.guarded(() => raft.snapshotUnavailable(to, index));
      this.scheduleDrain();
    });
  }

  private announceApplied(): void {
    const applied = this.applier.applied;
    this.reads.notify(applied);
    this.appliedWaiters.notify(applied);
    for (const listener of this.appliedListeners) {
      try {
        listener(applied);
      } catch (e) {
        this.log.error("applied_listener_failed", { applied, error: e });
      }
    }
    if (this.raft) this.snapshotter?.maybeSnapshot(this.raft);
  }

  /** Entries this node proposed may still commit under the new leader, or never: bound the wait. */
  private onStepDown(): void {
    this.proposals.shortenAll(this.opts.deposedProposalWaitMs, (i) =>
      new NoLeaderError(`node ${this.nodeId} lost leadership before entry ${i} was applied; its outcome is unknown: retry under the same request id (Idempotency-Key), or check before retrying`));
  }

  private refreshPeers(): void {
    const transport = this.transport;
    if (!transport || !this.raft) return;
    this.peersVersion = this.raft.membershipVersion();
    const m = this.raft.brief().membership;
    // Keyed by who the members are, not by their addresses: a config entry that only binds a
    // directory id carries the leader's view of the addresses, and a node keeps dialing its peers
    // the way it already does (its own --peers) until the members themselves change.
    const key = JSON.stringify([[...m.voters].sort((a, b) => a - b), [...m.learners].sort((a, b) => a - b)]);
    if (key === this.peersKey) return;
    this.peersKey = key;
    transport.setPeers(peersOf(m, this.opts.initialMembership));
    this.log.info("peers_updated", { voters: m.voters, learners: m.learners, addresses: m.addresses });
  }

  private async changeMembership(cc: ConfChange): Promise<void> {
    const raft = this.requireRunning("change membership");
    this.proposals.ensureCapacity();
    const r = raft.proposeConfChange(cc);
    if (!r.ok) {
      if (r.reason === "not_leader") throw new NotLeaderError(r.leader);
      const code = r.reason === "config_pending" || r.reason === "transferring" ? "change_pending" : "membership";
      throw new MembershipError(`membership change ${JSON.stringify(cc)} refused (${r.reason}): ${r.message}`, code);
    }
    this.log.info("membership_change_proposed", { change: cc, index: r.index });
    this.scheduleDrain();
    await this.proposals.wait(r.index, r.term);
  }

  private proposeFailure(reason: string, leader: NodeId, message: string): Error {
    switch (reason) {
      case "not_leader":
        return new NotLeaderError(leader);
      case "transferring":
        return new NoLeaderError(`leadership is being transferred; retry shortly (${message})`);
      default:
        return new ProposalRejectedError(`proposal refused (${reason}): ${message}`);
    }
  }

  /** Stop on an error the node cannot safely continue from (a write the disk refused). */
  private fail(error: Error): void {
    this.log.error("node_failed", { error });
    this.halt(new NodeStoppedError(`the pending operation (node failed: ${error.message})`));
    this.opts.onFatal?.(error);
  }

  private halt(error: Error): void {
    this.state = "stopped";
    this.opts.ticker.stop();
    this.opts.loopLag?.stop();
    this.slices.stop();
    this.snapshotter?.stop();
    this.backlog.clear();
    this.proposals.rejectAll(error);
    this.reads.rejectAll(error);
    this.members.rejectAll(error);
    this.appliedWaiters.cancelAll();
    this.roles.cancelWaits();
  }

  private requireRunning(what: string): Raft {
    if (this.state !== "running" || !this.raft) throw new NodeStoppedError(what);
    return this.raft;
  }

  private requireRaft(): Raft {
    if (!this.raft) throw new NodeStoppedError("status (runtime not started)");
    return this.raft;
  }

  private requireSnapshotter(): Snapshotter {
    if (!this.snapshotter) throw new NodeStoppedError("snapshot (runtime not started)");
    return this.snapshotter;
  }

  private requireTransport(): Transport {
    if (!this.transport) throw new NodeStoppedError("peer request (transport not started)");
    return this.transport;
  }
}

/**
 * The members' addresses, and those of the node's own --peers besides: a member whose log ends
 * before the config entry that added the current leader can still answer that leader when its
 * operator named it (sim finding: such a member stayed behind for good).
 */
function peersOf(m: Membership, given: Membership): Map<NodeId, string> {
  const peers = new Map<NodeId, string>();
  for (const [id, address] of Object.entries(given.addresses)) peers.set(Number(id), address);
  for (const [id, address] of Object.entries(m.addresses)) peers.set(Number(id), address);
  return peers;
}

/** Read-index traffic: a read round's heartbeat or its answer (context ≠ 0), a ReadIndex or its answer. */
function isReadTraffic(m: Message): boolean {
  if (m.type === "ReadIndex" || m.type === "ReadIndexResp") return true;
  return (m.type === "Heartbeat" || m.type === "HeartbeatResp") && m.context !== 0;
}
