// The node's own snapshots, periodic (policy) and on demand, taken alike on leader and followers:
// nothing holds the loop for long, so a leader no longer hands leadership away first. The state
// is captured at once (meta from the Applier, a frozen view from the state machine); then one
// bounded slice per macrotask encodes it, stores it in chunks and publishes it, and the core's log
// is compacted behind it. The loop serves Readys between slices. A snapshot overtaken meanwhile
// (leader's snapshot installed, node stopped, newer one stored) is dropped without being stored.
// The encoded bytes go to the store chunk by chunk; handed over as pieces (stepPieces), each is
// freed once copied and whatever is left when a job ends early (snapshot-bytes.ts). The young
// generation is collected every SLICES_PER_COLLECTION slices and when the job is over
// (young-collections.ts): at 1M partitions the encoding left ~60 MiB of garbage over its ~9,000
// slices, which JavaScriptCore let pile up, so each node's RSS rose by that much during each of
// the fill's snapshots, the last one near the fill's end its highest point (issue 10).
import type { Raft } from "../raft/index.ts";
import type { NodeId, SnapshotMeta } from "../raft/types.ts";
import type { LogStorage } from "../storage/log-storage.ts";
import type { Applier } from "./applier.ts";
import type { SnapshotEncoding, StateMachine } from "./contracts.ts";
import { NodeStoppedError, SnapshotError } from "./errors.ts";
import { SnapshotBytes } from "./snapshot-bytes.ts";
import type { Logger } from "./logger.ts";
import type { RuntimeMetrics } from "./metrics.ts";
import { SnapshotJob } from "./snapshot-job.ts";
import { SnapshotPolicy } from "./snapshot-policy.ts";
import { YoungCollections } from "./young-collections.ts";

/**
 * Items per encoding slice. Measured at 50k topics of 200-character names on the 2-core dev machine
 * (shared): a slice of 1024 records written takes ~1.5 ms, of 1024 × 8 sort moves ~1 ms; 2048
 * reached 3–7 ms. The capture at begin (map copies) adds one ~4 ms slice at 50k topics.
 */
export const DEFAULT_SLICE_ITEMS = 1024;

/**
 * Bytes per storage transaction while saving: 256 KiB commits in about 1–2 ms with an fsync each
 * here (1 MiB took 2–14 ms; since synchronous=NORMAL they are not fsynced: the next flush covers them), so a 30 MB snapshot is saved in ~120 short steps.
 */
const SAVE_CHUNK_BYTES = 256 * 1024;
/**
 * Rows the sweep deletes per macrotask: log entries the snapshot covers (about 1 µs each here)
 * and chunks of pruned snapshots (8 × 256 KiB ≈ 2–3 ms here).
 */
const SWEEP_BOUND = { entries: 2048, chunks: 8 };

/**
 * Slices between two young collections: ~35 at 1M partitions. In-process at 1M
 * (scripts/bench/snapshot-slices.ts --rounds 2 [--no-collect], 13:52 UTC, load 6–11), the RSS the
 * snapshot added at its highest +69–148 MiB without them (+34–148 left after it), +55–67 with them
 * (+24–38 after), CPU alike. Every 32 slices (~290 collections) cut the peak to +39–45 in-process,
 * but in a cluster filling 1M partitions, three snapshots per node, it cost each node ~150–250 µs
 * of CPU per create and more pauses over 20 ms (the loop waits for the collector's helper threads
 * on the loaded machine); during a fill the applies' collections (apply-slices.ts) clear the
 * snapshot's garbage too.
 */
export const SLICES_PER_COLLECTION = 256;

/** What the snapshotter needs of the core. */
export type SnapshotRaft = Pick<Raft, "compact">;

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
  everyRecords?: number;
  /** Runs `work` in a later macrotask, never inside the runtime's ready()…advance(). */
  defer: (work: () => void) => void;
  sliceItems?: number;
  /** Collects the young generation (bun:jsc's edenGC in a node); none: no collection. */
  collectYoung?: () => void;
}

export class Snapshotter {
  private readonly policy: SnapshotPolicy;
  private readonly sliceItems: number;
  private job: SnapshotJob | null = null;
  /** The state machine's record count when the job in progress captured its state. */
  private jobRecords = 0;
  private installs = 0;
  private stopped = false;
  private sweeping = false;

  constructor(
    private readonly d: SnapshotterDeps,
    startIndex: number,
  ) {
    this.policy = new SnapshotPolicy(
      { everyEntries: d.everyEntries, everyMs: d.everyMs, everyRecords: d.everyRecords, nodeId: d.nodeId },
      startIndex,
      d.now(),
    );
    this.sliceItems = d.sliceItems ?? DEFAULT_SLICE_ITEMS;
    if (!Number.isSafeInteger(this.sliceItems) || this.sliceItems < 1) {
      throw new RangeError(`snapshot slice must be a positive integer of items, got ${this.sliceItems}`);
    }
  }

  /** A snapshot from the leader replaced the state: one in progress is of an older state now. */
  installed(index: number): void {
    this.installs++;
    this.policy.taken(index, this.d.now(), this.recordsApplied());
  }

  /** Whether a snapshot is being encoded or stored right now. */
  get inProgress(): boolean {
    return this.job !== null;
  }

  /** Start a periodic snapshot if one is due and none is in progress (nor a leader's being installed). */
  maybeSnapshot(raft: SnapshotRaft): void {
    if (this.job !== null || this.stopped || this.d.applier.installingIndex !== null) return;
    if (!this.policy.due(this.d.applier.applied, this.d.now(), this.recordsApplied())) return;
    try {
      this.start(raft, "periodic");
    } catch (e) {
      this.failed(null, e);
    }
  }

  /** The state machine's running count of records applied (StateMachine.recordsApplied), for the policy. */
  private recordsApplied(): number {
    return this.d.stateMachine.recordsApplied?.() ?? 0;
  }

  /** Join the snapshot in progress, or start one of the applied state; resolves with what got stored. */
  snapshotNow(raft: SnapshotRaft): Promise<SnapshotMeta> {
    if (this.stopped) return Promise.reject(new NodeStoppedError("snapshot"));
    // A leader's snapshot being installed is stored already, and is newer than the state applied.
    const installing = this.d.applier.installingIndex;
    const latest = this.d.storage.listSnapshots()[0];
    if (installing !== null && latest !== undefined && latest.index >= installing) {
      return Promise.resolve({ index: latest.index, term: latest.term, membership: latest.membership });
    }
    try {
      return (this.job ?? this.start(raft, "on_demand")).join();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The node stops: a snapshot in progress is dropped (nothing more is written) and its callers told. */
  stop(): void {
    this.stopped = true;
    const job = this.job;
    this.job = null;
    if (job === null) return;
    this.d.log.info("snapshot_abandoned", { reason: job.reason, index: job.meta.index, why: "node stopped" });
    job.reject(new NodeStoppedError(`the snapshot at ${job.meta.index}`));
    job.bytes?.release();
  }

  private start(raft: SnapshotRaft, reason: string): SnapshotJob {
    const a = this.d.applier;
    if (a.applied === 0) throw new SnapshotError("nothing is applied yet, so there is no state to snapshot (applied index 0)");
    const meta: SnapshotMeta = { index: a.applied, term: a.appliedTerm, membership: a.membership };
    const young = new YoungCollections(this.d.collectYoung, SLICES_PER_COLLECTION, () => performance.now());
    const job = new SnapshotJob(meta, reason, this.installs, beginEncoding(this.d.stateMachine), young);
    this.job = job;
    this.jobRecords = this.recordsApplied();
    this.d.defer(() => this.advance(raft, job));
    return job;
  }

  private advance(raft: SnapshotRaft, job: SnapshotJob): void {
    if (this.job !== job) return; // stopped meanwhile
    try {
      const over = job.timed(() => this.slice(raft, job));
      // Outside the slice's own time: the log line tells the two apart.
      job.young.note();
      if (over) job.young.finish();
      if (!over) this.d.defer(() => this.advance(raft, job));
      else if (this.job === job) this.taken(job); // published (an abandoned job is cleared already)
    } catch (e) {
      this.failed(job, e);
    }
  }

  /**
   * One bounded piece of the job: encode, then store chunk by chunk, then publish and compact.
   * True once over (published, or abandoned because it was overtaken).
   */
  private slice(raft: SnapshotRaft, job: SnapshotJob): boolean {
    const storage = this.d.storage;
    if (job.bytes === null) {
      job.bytes = encodeStep(job.encoding, this.sliceItems);
      if (job.bytes === null) return false;
      job.encodeMs = job.elapsedMs();
      if (this.abandonIfStale(job)) return true;
      storage.beginSnapshot(job.meta);
      return false;
    }
    if (this.abandonIfStale(job)) {
      storage.abortSnapshot();
      return true;
    }
    if (!job.bytes.done) {
      storage.appendSnapshotChunk(job.bytes.next());
      return false;
    }
    storage.publishSnapshot();
    raft.compact({ meta: job.meta, size: job.bytes.size });
    return true;
  }

  private taken(job: SnapshotJob): void {
    this.job = null;
    this.policy.taken(job.meta.index, this.d.now(), this.jobRecords);
    this.d.counters.snapshotsTaken++;
    this.d.log.info("snapshot_taken", {
      reason: job.reason,
      index: job.meta.index,
      bytes: job.bytes?.size ?? 0,
      slices: job.slices,
      longestEncodeSliceMs: Math.round(job.longestMs.encode * 10) / 10,
      longestStoreSliceMs: Math.round(job.longestMs.store * 10) / 10,
      encodeMs: Math.round(job.encodeMs),
      totalMs: Math.round(job.elapsedMs()),
      ...job.young.report(),
    });
    job.resolve(job.meta);
    this.sweep();
  }

  /** Deletes the bytes of snapshots the publish pruned, a bounded run per macrotask. */
  private sweep(): void {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    this.d.defer(() => {
      this.sweeping = false;
      if (this.stopped) return;
      try {
        if (this.d.storage.sweepSnapshots(SWEEP_BOUND) > 0) this.sweep();
      } catch (e) {
        // Left for the next snapshot or the next start (which drops every unowned chunk).
        this.d.log.error("snapshot_sweep_failed", { error: e });
      }
    });
  }

  /** Drops the job (nothing stored) when it was overtaken; true if so. */
  private abandonIfStale(job: SnapshotJob): boolean {
    const why = this.staleness(job);
    if (why === null) return false;
    this.abandon(job, why);
    return true;
  }

  /** Why the finished snapshot must not be stored, or null when it still should. */
  private staleness(job: SnapshotJob): string | null {
    if (this.installs !== job.installsAtStart) return "a snapshot from the leader was installed meanwhile";
    const latest = this.d.storage.listSnapshots()[0];
    if (latest !== undefined && latest.index >= job.meta.index) return `a snapshot at ${latest.index} is stored already`;
    return null;
  }

  /** Nothing was written; callers get the snapshot that made this one stale. */
  private abandon(job: SnapshotJob, why: string): void {
    this.job = null;
    this.d.log.info("snapshot_abandoned", { reason: job.reason, index: job.meta.index, why });
    const latest = this.d.storage.listSnapshots()[0];
    if (latest === undefined) job.reject(new SnapshotError(`the snapshot at ${job.meta.index} was dropped (${why}) and none is stored`));
    else job.resolve({ index: latest.index, term: latest.term, membership: latest.membership });
    job.bytes?.release();
  }

  private failed(job: SnapshotJob | null, e: unknown): void {
    if (job !== null && this.job === job) this.job = null;
    if (job?.bytes) this.abortQuietly();
    const error = e instanceof Error ? e : new Error(String(e));
    // Not retried every tick: the next attempt waits a full period; the log simply stays longer.
    this.d.log.error("snapshot_failed", { reason: job?.reason ?? "periodic", index: job?.meta.index, error });
    this.policy.taken(this.d.applier.applied, this.d.now(), this.recordsApplied());
    job?.reject(error instanceof SnapshotError ? error : new SnapshotError(`snapshot at ${job.meta.index} failed: ${error.message}`));
    job?.bytes?.release();
  }

  /** Best effort: a pending snapshot left behind is dropped by the next begin or start anyway. */
  private abortQuietly(): void {
    try {
      this.d.storage.abortSnapshot();
    } catch {
      // The storage is closed or failing; nothing of the pending snapshot is visible either way.
    }
  }
}

/** One encoding slice: the snapshot once encoded, in handed-over pieces when the encoding offers them. */
function encodeStep(encoding: SnapshotEncoding, items: number): SnapshotBytes | null {
  if (encoding.stepPieces) {
    const pieces = encoding.stepPieces(items);
    return pieces === null ? null : SnapshotBytes.handedOver(pieces, SAVE_CHUNK_BYTES);
  }
  const data = encoding.step(items);
  return data === null ? null : SnapshotBytes.borrowed(data, SAVE_CHUNK_BYTES);
}

/** A state machine without beginSnapshot() is encoded in one go, right away (the state is now). */
function beginEncoding(sm: StateMachine): SnapshotEncoding {
  if (sm.beginSnapshot) return sm.beginSnapshot();
  const data = sm.snapshot();
  return { step: () => data };
}
