// The node's own snapshots: periodic ones (policy, with the leader's hand-off first) and on-demand
// ones, each encoded by the state machine, stored, then used to compact the core's log.
import type { Raft } from "../raft/index.ts";
import type { NodeId, SnapshotMeta } from "../raft/types.ts";
import type { LogStorage } from "../storage/log-storage.ts";
import type { Applier } from "./applier.ts";
import type { StateMachine } from "./contracts.ts";
import { SnapshotError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { RuntimeMetrics } from "./metrics.ts";
import { SnapshotHandoff } from "./snapshot-handoff.ts";
import { SnapshotPolicy } from "./snapshot-policy.ts";

/** A leader waits this many times longer before its snapshot (and its hand-off, snapshot-handoff.ts). */
const LEADER_SNAPSHOT_FACTOR = 2;

export interface SnapshotterDeps {
  nodeId: NodeId;
  storage: LogStorage;
  stateMachine: StateMachine;
  applier: Applier;
  log: Logger;
  counters: RuntimeMetrics;
  now: () => number;
  everyEntries: number;
  everyMs: number;
  /** Bound on waiting for a hand-off before snapshotting as leader anyway. */
  handoffTimeoutMs: number;
  electionTicks: number;
}

export class Snapshotter {
  private readonly policy: SnapshotPolicy;
  private readonly handoff: SnapshotHandoff;

  constructor(
    private readonly d: SnapshotterDeps,
    startIndex: number,
  ) {
    this.policy = new SnapshotPolicy(
      { everyEntries: d.everyEntries, everyMs: d.everyMs, nodeId: d.nodeId, leaderFactor: LEADER_SNAPSHOT_FACTOR },
      startIndex,
      d.now(),
    );
    this.handoff = new SnapshotHandoff(d.handoffTimeoutMs, d.electionTicks);
  }

  /** A snapshot from the leader replaced the state. */
  installed(index: number): void {
    this.policy.taken(index, this.d.now());
  }

  /** Take a periodic snapshot if one is due; a leader hands leadership off first. */
  maybeSnapshot(raft: Raft, leader: boolean): void {
    const now = this.d.now();
    if (!this.policy.due(this.d.applier.applied, now, leader)) return;
    if (leader) {
      const decision = this.handoff.decide(raft.status(), now);
      if (decision.action === "wait") return;
      if (decision.action === "transfer") {
        this.d.log.info("snapshot_handoff", { to: decision.to, applied: this.d.applier.applied });
        raft.transferLeader(decision.to);
        return;
      }
    }
    this.handoff.reset();
    try {
      this.take(raft, "periodic");
    } catch (e) {
      // Not retried every tick: the next attempt waits a full period; the log simply stays longer.
      this.d.log.error("snapshot_failed", { error: e });
      this.policy.taken(this.d.applier.applied, now);
    }
  }

  /** Snapshot the applied state now: store it, then compact the core's log behind it. */
  take(raft: Raft, reason: string): SnapshotMeta {
    const a = this.d.applier;
    if (a.applied === 0) throw new SnapshotError("nothing is applied yet, so there is no state to snapshot (applied index 0)");
    const started = performance.now();
    const snapshot = {
      meta: { index: a.applied, term: a.appliedTerm, membership: a.membership },
      data: this.d.stateMachine.snapshot(),
    };
    const encoded = performance.now();
    this.d.storage.saveSnapshot(snapshot);
    const saved = performance.now();
    raft.compact(snapshot);
    this.policy.taken(snapshot.meta.index, this.d.now());
    this.d.counters.snapshotsTaken++;
    this.d.log.info("snapshot_taken", {
      reason,
      index: snapshot.meta.index,
      bytes: snapshot.data.length,
      encodeMs: Math.round(encoded - started),
      saveMs: Math.round(saved - encoded),
      compactMs: Math.round(performance.now() - saved),
    });
    return snapshot.meta;
  }
}
