// The leader's replication machinery: one Progress per follower or learner, and what to send each
// of them — pipelined Apps, heartbeats, InstallSnapshot chunks — given what they answered. It
// knows nothing of terms or roles: the Raft class owns those and the commit rule.
import { invariant } from "./errors.ts";
import { entryBytes, type RaftLog } from "./log.ts";
import { hasQuorum } from "./quorum.ts";
import { Progress } from "./progress.ts";
import { chunkAt } from "./snapshot-chunks.ts";
import type { Message, NodeId, PeerStatus, RaftConfig } from "./types.ts";

export type Outgoing = Partial<Message> & Pick<Message, "type" | "to">;

export interface ReplicationContext {
  readonly log: RaftLog;
  readonly cfg: RaftConfig;
  send(fields: Outgoing): void;
  logEvent(event: string, fields: Record<string, unknown>): void;
}

/** What an AppResp changed, for the caller's commit and transfer decisions. */
export interface AppRespOutcome {
  /** The follower's match moved (or a probe/transfer ended): commit may advance. */
  progressed: boolean;
  /** The follower was paused before this answer (so it needs an App even if commit does not move). */
  wasPaused: boolean;
}

export class Replicator {
  private readonly prs = new Map<NodeId, Progress>();

  constructor(private readonly ctx: ReplicationContext) {}

  ids(): NodeId[] {
    return [...this.prs.keys()];
  }

  match(id: NodeId): number {
    return this.prs.get(id)?.match ?? 0;
  }

  clear(): void {
    this.prs.clear();
  }

  /** Track exactly `want` (plus, unless `prune`, members still leaving); newcomers probe from the log's end. */
  sync(want: ReadonlySet<NodeId>, prune: boolean): void {
    if (prune) for (const id of this.prs.keys()) if (!want.has(id)) this.prs.delete(id);
    for (const id of want) {
      if (this.prs.has(id)) continue;
      this.prs.set(id, this.newProgress());
    }
  }

  tick(): void {
    for (const pr of this.prs.values()) {
      pr.ticksSinceContact++;
      if (pr.transfer !== null) pr.transfer.idleTicks++;
    }
  }

  /** Check-quorum: did a majority of voters talk to us since the last check? Resets the marks. */
  quorumActive(voters: readonly NodeId[], self: NodeId): boolean {
    const active = hasQuorum(voters, (id) => id === self || this.prs.get(id)?.recentActive === true);
    for (const pr of this.prs.values()) pr.recentActive = false;
    return active;
  }

  bcastAppend(sendIfEmpty = true): void {
    for (const id of this.prs.keys()) this.sendAppend(id, sendIfEmpty);
  }

  /** A heartbeat interval began: each follower's next heartbeat answer may resume its flow once. */
  beat(): void {
    for (const pr of this.prs.values()) pr.beat();
  }

  bcastHeartbeat(context: number): void {
    for (const [to, pr] of this.prs) {
      this.ctx.send({ type: "Heartbeat", to, commit: Math.min(pr.match, this.ctx.log.committed), context });
    }
  }

  /** Sends the next App to `to` if its progress allows; false when nothing went out. */
  sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    const log = this.ctx.log;
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = log.term(prevIndex);
    if (prevTerm === undefined) {
      this.startSnapshot(to, pr);
      return true;
    }
    const entries = log.entriesFrom(pr.next, this.ctx.cfg.maxMsgBytes);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.ctx.send({ type: "App", to, index: prevIndex, logTerm: prevTerm, entries, commit: log.committed });
    let bytes = 0;
    for (const e of entries) bytes += entryBytes(e);
    pr.sentEntries(entries.length, prevIndex + entries.length, bytes);
    return true;
  }

  /** Fills the follower's inflight window (count and bytes) with whatever entries are waiting. */
  pump(to: NodeId): void {
    for (let i = 0; i <= this.ctx.cfg.maxInflight && this.sendAppend(to, false); i++);
  }

  onAppResp(m: Message): AppRespOutcome {
    const pr = this.touch(m);
    const none = { progressed: false, wasPaused: false };
    if (pr === undefined || m.index > this.ctx.log.lastIndex()) return none;
    if (m.reject) {
      this.onReject(m, pr);
      return none;
    }
    const wasPaused = pr.isPaused();
    // A repeat of the known match still ends a probe or a snapshot transfer the follower no longer needs.
    if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state !== "replicate")) return none;
    if (pr.state === "probe") pr.becomeReplicate();
    else if (pr.state === "snapshot") this.maybeEndTransfer(pr, m.index);
    else pr.inflights.freeLE(m.index);
    return { progressed: true, wasPaused };
  }

  /** Whether `m` accepts an index at or past where the leader began tracking its sender (Progress.since). */
  answersSinceTracked(m: Message): boolean {
    const pr = this.prs.get(m.from);
    return pr !== undefined && m.type === "AppResp" && !m.reject && m.index >= pr.since;
  }

  onHeartbeatResp(m: Message): void {
    const pr = this.touch(m);
    if (pr === undefined) return;
    if (pr.resumeOnHeartbeat() && pr.match < this.ctx.log.lastIndex()) this.sendAppend(m.from, true);
  }

  onSnapResp(m: Message): void {
    const pr = this.touch(m);
    const t = pr?.transfer;
    if (pr === undefined || pr.state !== "snapshot" || t === null || t === undefined) return;
    if (m.reject) t.offset = 0;
    else if (m.index <= t.snapshot.size) t.offset = m.index;
    else return;
    this.sendChunk(m.from, pr);
  }

  /**
   * The transfer to `to` of the snapshot at `index` cannot go on: its bytes were pruned from
   * storage. The follower is probed again from its match; the next heartbeat answer finds it below
   * the first index and starts a transfer of the latest snapshot (not at once: were the latest
   * unreadable too, the retries go at the heartbeat's pace, not in a loop).
   */
  restartTransfer(to: NodeId, index: number): void {
    const pr = this.prs.get(to);
    if (pr === undefined || pr.state !== "snapshot" || pr.transfer?.snapshot.meta.index !== index) return;
    this.ctx.logEvent("raft.snapshot-unavailable", { to, index });
    pr.becomeProbe();
  }

  /**
   * A chunk or its answer was lost: re-send the chunk the follower waits for, once per election
   * timeout, and only to a follower heard from within one (it answers heartbeats). One that hears
   * nothing gets no chunk it could not receive; it gets one as soon as it answers again.
   */
  resendStalledSnapshots(): void {
    const timeout = this.ctx.cfg.electionTick;
    for (const [to, pr] of this.prs) {
      if (pr.transfer !== null && pr.transfer.idleTicks >= timeout && pr.ticksSinceContact < timeout) this.sendChunk(to, pr);
    }
  }

  statuses(isVoter: (id: NodeId) => boolean): PeerStatus[] {
    return [...this.prs].map(([id, pr]) => ({
      id,
      voter: isVoter(id),
      match: pr.match,
      next: pr.next,
      state: pr.state,
      ticksSinceContact: pr.ticksSinceContact,
      contacted: pr.contacted,
    }));
  }

  private touch(m: Message): Progress | undefined {
    const pr = this.ownProgress(m);
    if (pr !== undefined) {
      pr.recentActive = true;
      pr.ticksSinceContact = 0;
      pr.contacted = true;
    }
    return pr;
  }

  /**
   * The follower's progress, begun anew when the answer comes from another disk than the one it
   * describes. A member wiped, removed and added again keeps its node id and is not bound to its
   * new directory id at first, so an answer its old disk sent before the wipe (held by the
   * network, or by a stalled leader) still reaches the new progress: crediting the new disk with
   * the old one's match would ignore every rejection it sends at or below that match as stale,
   * and it would never be caught up (sim seeds 4270, 10677, 63463). Each answer from the other
   * disk starts the progress anew, so a late answer costs one probe, never a follower.
   */
  private ownProgress(m: Message): Progress | undefined {
    const pr = this.prs.get(m.from);
    if (pr === undefined || m.directoryId === "" || pr.directoryId === m.directoryId) return pr;
    if (pr.directoryId === "") {
      pr.directoryId = m.directoryId;
      return pr;
    }
    this.ctx.logEvent("raft.progress-reset", { id: m.from, directoryId: m.directoryId, was: pr.directoryId, match: pr.match });
    const fresh = this.newProgress();
    fresh.directoryId = m.directoryId;
    this.prs.set(m.from, fresh);
    return fresh;
  }

  private newProgress(): Progress {
    const pr = new Progress(this.ctx.log.lastIndex() + 1, this.ctx.cfg.maxInflight, this.ctx.cfg.maxInflightBytes);
    pr.since = this.ctx.log.lastIndex();
    pr.recentActive = true; // a new member gets a full election timeout before check-quorum counts it
    return pr;
  }

  /** Fast back-off: skip the follower's whole conflicting term at once. */
  private onReject(m: Message, pr: Progress): void {
    const hint = m.logTerm > 0 ? this.ctx.log.findConflictByTerm(m.rejectHint, m.logTerm) : m.rejectHint;
    if (!pr.maybeDecrTo(m.index, hint)) return;
    if (pr.state === "replicate") pr.becomeProbe();
    this.sendAppend(m.from, true);
  }

  /**
   * An AppResp during a transfer ends it only if the follower can now be caught up from the log, or
   * it acknowledges the snapshot itself. Answers to Apps sent before the transfer began (a link that
   * held them, then delivered them all at once) only move match: ending the transfer on each would
   * restart it from its first chunk once per answer, the leader's CPU and memory growing with the
   * follower's backlog (issue 9 §5).
   */
  private maybeEndTransfer(pr: Progress, acked: number): void {
    const t = pr.transfer;
    invariant(t !== null, () => "snapshot state without a transfer");
    if (pr.match + 1 >= this.ctx.log.firstIndex() || acked >= t.snapshot.meta.index) this.endTransfer(pr);
  }

  /**
   * The follower holds a snapshot now: replicate from there, unless we compacted past it meanwhile
   * (the transferred snapshot was already stale), then probe, which starts a newer transfer.
   */
  private endTransfer(pr: Progress): void {
    if (pr.match + 1 >= this.ctx.log.firstIndex()) pr.becomeReplicate();
    else pr.becomeProbe();
  }

  private startSnapshot(to: NodeId, pr: Progress): void {
    const snapshot = this.ctx.log.snapshot;
    invariant(snapshot !== null, () => `follower ${to} needs index ${pr.next} below first index ${this.ctx.log.firstIndex()} but no snapshot exists`);
    this.ctx.logEvent("raft.snapshot-send", { to, index: snapshot.meta.index });
    pr.becomeSnapshot(snapshot);
    this.sendChunk(to, pr);
  }

  private sendChunk(to: NodeId, pr: Progress): void {
    const t = pr.transfer;
    invariant(t !== null, () => `no snapshot transfer to ${to} in progress`);
    t.idleTicks = 0;
    this.ctx.send({ type: "Snap", to, snapshot: chunkAt(t.snapshot, t.offset, this.ctx.cfg.snapshotChunkBytes) });
  }
}
