// One local snapshot in progress: the meta captured at its start, the state machine's encoding of
// the state at that index, who waits for it (the on-demand callers that joined), and how long its
// slices held the loop and what its young collections took (for the log line that reports it).
import type { SnapshotMeta } from "../raft/types.ts";
import type { SnapshotEncoding } from "./contracts.ts";
import { OverloadedError } from "./errors.ts";
import type { SnapshotBytes } from "./snapshot-bytes.ts";
import type { YoungCollections } from "./young-collections.ts";

/** Bound on callers waiting for one snapshot (console and API on-demand requests). */
const MAX_JOINED = 1024;

interface Waiter {
  resolve: (meta: SnapshotMeta) => void;
  reject: (error: Error) => void;
}

export class SnapshotJob {
  private readonly waiters: Waiter[] = [];
  private readonly startedAt = performance.now();
  /** The encoded snapshot, once the encoding is done, handed to the store chunk by chunk. */
  bytes: SnapshotBytes | null = null;
  slices = 0;
  /** The longest slice of each phase, in ms: what the snapshot held the loop for at most. */
  readonly longestMs = { encode: 0, store: 0 };
  encodeMs = 0;

  constructor(
    readonly meta: SnapshotMeta,
    readonly reason: string,
    /** The snapshotter's count of installed leader snapshots when this one began. */
    readonly installsAtStart: number,
    readonly encoding: SnapshotEncoding,
    /** Collects what the slices leave, every few of them (young-collections.ts). */
    readonly young: YoungCollections,
  ) {}

  /** Resolves with the meta of the snapshot that ends up stored for this request. */
  join(): Promise<SnapshotMeta> {
    if (this.waiters.length >= MAX_JOINED) {
      return Promise.reject(new OverloadedError(`${MAX_JOINED} callers already wait for the snapshot at ${this.meta.index}; retry later`));
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Runs one slice of the job's work and records how long it held the loop. */
  timed<T>(slice: () => T): T {
    const phase = this.bytes === null ? "encode" : "store";
    const started = performance.now();
    try {
      return slice();
    } finally {
      const ms = performance.now() - started;
      this.slices++;
      if (ms > this.longestMs[phase]) this.longestMs[phase] = ms;
    }
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  resolve(meta: SnapshotMeta): void {
    for (const w of this.waiters.splice(0)) w.resolve(meta);
  }

  reject(error: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(error);
  }
}
