// Deliberately broken node runtimes for the bug-injection tests: each keeps the real RaftRuntime
// and breaks one rule of the order it must keep, the way a careless change to it would.
import type { RaftRuntime as RaftRuntimeType } from "../../src/node/raft-runtime.ts";
import { RaftRuntime } from "../../src/node/raft-runtime.ts";
import type { RuntimeOptions } from "../../src/node/runtime-options.ts";
import type { Timers } from "../../src/node/timers.ts";
import type { ForwardHandler } from "../../src/node/forwarding.ts";
import { Raft } from "../../src/raft/index.ts";
import type { Snapshot, SnapshotMeta } from "../../src/raft/types.ts";
import type { LogStorage, PersistBatch, StoredSnapshotInfo, SweepBound } from "../../src/storage/log-storage.ts";
import { SimCrash } from "./sim-storage.ts";

/**
 * Acknowledges a proposal as soon as the leader has appended it, before it commits: a write the
 * next leader does not hold was still answered "ok".
 */
class AckBeforeCommitRuntime extends RaftRuntime {
  override propose(data: Uint8Array): Promise<{ index: number; result: unknown }> {
    const before = this.isLeader() ? this.status().lastOffset : -1;
    const applied = super.propose(data);
    applied.catch(() => {}); // its outcome no longer reaches the caller
    const after = this.isLeader() ? this.status().lastOffset : -1;
    if (before < 0 || after <= before) return applied;
    return Promise.resolve({ index: after, result: undefined });
  }
}

export const ackBeforeCommitRuntime = (o: RuntimeOptions): RaftRuntimeType => new AckBeforeCommitRuntime(o);

/**
 * Serves forwarded requests without the read barrier: the node that takes a forwarded read answers
 * from its local state at once, trusting that it still leads because the Forwarder only hands it
 * requests while it believes so. A leader frozen by a pause (or cut off with a follower) while
 * others elect a new leader and commit writes then answers with what it held: a stale read.
 */
class UnfencedForwardedReadsRuntime extends RaftRuntime {
  /** True while a forwarded request's handler runs its synchronous part (where it asks for the barrier). */
  private servingForward = false;

  override onForward(handler: ForwardHandler): void {
    super.onForward((payload, from) => {
      this.servingForward = true;
      try {
        return handler(payload, from);
      } finally {
        this.servingForward = false;
      }
    });
  }

  override readBarrier(): Promise<void> {
    return this.servingForward ? Promise.resolve() : super.readBarrier();
  }
}

export const unfencedForwardedReadsRuntime = (o: RuntimeOptions): RaftRuntimeType => new UnfencedForwardedReadsRuntime(o);

/**
 * The real runtime over a core that `breakCore` breaks (a planted core bug of broken-cores.ts run
 * end to end). The runtime builds its core itself, with no seam for another, so the core is
 * broken in place the moment it is restored (onRestored), before it steps any message or read.
 */
export function runtimeWithBrokenCore(breakCore: (raft: Raft) => void): (o: RuntimeOptions) => RaftRuntimeType {
  return (o) => {
    const runtime: RaftRuntime = new RaftRuntime({
      ...o,
      onRestored: () => {
        breakCore(coreOf(runtime));
        o.onRestored?.();
      },
    });
    return runtime;
  };
}

/** The runtime's core, reached past `private`; checked, so a rename fails loudly rather than planting nothing. */
function coreOf(runtime: RaftRuntime): Raft {
  const raft = (runtime as unknown as { raft: unknown }).raft;
  if (!(raft instanceof Raft)) throw new Error("the runtime keeps no restored core in its `raft` field: the planted core bug would break nothing");
  return raft;
}

/**
 * The runtime goes on (sends, applies, advances) before its persist is done — as if the flush
 * answered before the write reached the disk: each batch reaches the disk one task later, so a
 * crash in between loses entries the node already acknowledged and applied.
 */
export const applyBeforePersistRuntime = (o: RuntimeOptions): RaftRuntimeType =>
  new RaftRuntime({ ...o, storage: new LateWrites(o.storage, o.timers!) });

/** A LogStorage that passes every call to `inner`: the broken storages below override what they break. */
class PassThroughStorage implements LogStorage {
  constructor(protected readonly inner: LogStorage) {}

  persist(batch: PersistBatch): void {
    this.inner.persist(batch);
  }

  write(batch: PersistBatch): boolean {
    return this.inner.write(batch);
  }

  flush(done: (error: Error | null) => void): void {
    this.inner.flush(done);
  }

  identity = () => this.inner.identity();
  format: LogStorage["format"] = (id) => this.inner.format(id);
  load = () => this.inner.load();
  saveSnapshot = (s: Snapshot) => this.inner.saveSnapshot(s);
  beginSnapshot = (m: SnapshotMeta) => this.inner.beginSnapshot(m);
  appendSnapshotChunk = (d: Uint8Array) => this.inner.appendSnapshotChunk(d);
  publishSnapshot = () => this.inner.publishSnapshot();
  abortSnapshot = () => this.inner.abortSnapshot();
  sweepSnapshots = (b: SweepBound) => this.inner.sweepSnapshots(b);
  listSnapshots = (): StoredSnapshotInfo[] => this.inner.listSnapshots();
  latestSnapshot = () => this.inner.latestSnapshot();
  readSnapshotChunk: LogStorage["readSnapshotChunk"] = (index, size, offset, length) => this.inner.readSnapshotChunk(index, size, offset, length);
  close = () => this.inner.close();
}

class LateWrites extends PassThroughStorage {
  constructor(
    inner: LogStorage,
    private readonly timers: Timers,
  ) {
    super(inner);
  }

  override persist(batch: PersistBatch): void {
    this.write(batch);
  }

  override write(batch: PersistBatch): boolean {
    const copy = { hardState: batch.hardState, entries: [...batch.entries], snapshot: batch.snapshot };
    this.timers.defer(() => {
      try {
        this.inner.persist(copy);
      } catch (e) {
        if (!(e instanceof SimCrash)) throw e; // the process died in this late write: nothing runs on
      }
    });
    return true;
  }

  /** The bug: the flush says "durable" while the write has not even been made. */
  override flush(done: (error: Error | null) => void): void {
    done(null);
  }
}

/**
 * The runtime's storage acknowledges a flush before the device has made anything durable: its
 * writes really are made (into the device's cache) and a real flush is started, but `done` is
 * called at once. Every write looks durable the moment it is made — invisible while a crash kept
 * everything, caught once a crash (a power loss) takes back writes the node already acted on.
 */
export const ackBeforeFlushRuntime = (o: RuntimeOptions): RaftRuntimeType => new RaftRuntime({ ...o, storage: new EarlyFlushAcks(o.storage) });

class EarlyFlushAcks extends PassThroughStorage {
  /** The device's flush in flight, and whether another was asked for meanwhile (one at a time). */
  private flushing = false;
  private again = false;

  /** The bug: "durable" at once; the device's own flush runs behind it and its answer is ignored. */
  override flush(done: (error: Error | null) => void): void {
    this.startDeviceFlush();
    done(null);
  }

  private startDeviceFlush(): void {
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = true;
    this.inner.flush(() => {
      this.flushing = false;
      if (!this.again) return;
      this.again = false;
      this.startDeviceFlush();
    });
  }
}
