// Every watcher of GET /v1/watch on this node: a bounded set, fed after each applied batch, kept
// alive by heartbeat comments, and closed (with a `shutdown` event) when the node stops. The
// applied-index subscription and the heartbeat timer exist only while someone watches.
import type { MetadataAnswer, MetadataService } from "../../metadata/service-types.ts";
import type { ConsensusHandle, Unsubscribe } from "../../node/contracts.ts";
import { type SnapshotPumping, Watcher } from "./watcher.ts";

export interface WatchLimits {
  /** Watchers one node serves at once; one more is refused with 503. */
  maxWatchers: number;
  /** Unsent bytes one watcher may have waiting (beyond its largest snapshot event) before it is cut. */
  maxBufferBytes: number;
  /** A comment this often keeps idle connections (and proxies) from timing out. */
  heartbeatMs: number;
  /** Records per slice of a snapshot event (written from a frozen view, never built whole). */
  snapshotSliceRecords: number;
  /** A watcher that leaves a slice of its snapshot event unread this long is cut. */
  snapshotStallMs: number;
}

export const DEFAULT_WATCH_LIMITS: WatchLimits = {
  maxWatchers: 256,
  maxBufferBytes: 8 * 1024 * 1024,
  heartbeatMs: 15_000,
  snapshotSliceRecords: 1_000,
  snapshotStallMs: 60_000,
};

/** Too many watchers: mapped to 503 with Retry-After like the node's own overload (api/errors.ts). */
export class WatchersFullError extends Error {
  readonly code = "overloaded";
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private readonly limits: WatchLimits;
  private unsubscribe: Unsubscribe | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private cut = 0;

  constructor(
    private readonly service: MetadataService,
    private readonly handle: ConsensusHandle,
    limits: Partial<WatchLimits> = {},
  ) {
    this.limits = { ...DEFAULT_WATCH_LIMITS, ...limits };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`watch limit ${name} must be a positive integer, got ${value}`);
    }
  }

  get size(): number {
    return this.watchers.size;
  }

  /** For /metrics: watchers now, and how many were cut for reading too slowly. */
  metrics(): Record<string, number> {
    return { yakt_watch_watchers: this.watchers.size, yakt_watch_cut_total: this.cut };
  }

  /**
   * A new watcher from `since` (a Last-Event-ID or the query's since). A bad since throws the
   * service's bad_request before any stream exists, so the caller gets a JSON 400.
   */
  open(since: string | undefined, enterStream: () => () => void = () => () => {}): Watcher {
    if (this.stopped) throw new WatchersFullError("the node is shutting down; watch another node");
    if (this.watchers.size >= this.limits.maxWatchers) {
      throw new WatchersFullError(`this node already serves ${this.limits.maxWatchers} watchers; retry later or watch another node`);
    }
    const first = this.service.watch({ since });
    // A first snapshot takes a slot of the node's stream bound (a 503 before any stream exists).
    const leave = first.mode === "snapshot" ? enterStream() : () => {};
    const watcher = new Watcher(null, this.limits.maxBufferBytes, (w) => this.forget(w));
    this.watchers.add(watcher);
    this.ensureRunning();
    watcher.deliver(first, this.pumping(leave));
    return watcher;
  }

  /** Ends every stream; later requests are refused. */
  closeAll(): void {
    this.stopped = true;
    for (const w of [...this.watchers]) w.end("shutdown", "shutting_down", `node ${this.handle.nodeId} is stopping; reconnect to another node with Last-Event-ID`);
    this.idle();
  }

  /** After an apply: each watcher gets what is new to it; watchers at one offset share one answer. */
  private feed(): void {
    const answers = new Map<number, MetadataAnswer>();
    for (const w of [...this.watchers]) {
      if (w.offset === null || w.isClosed) continue;
      let answer = answers.get(w.offset);
      if (answer === undefined) {
        answer = this.service.watch({ following: w.offset });
        answers.set(w.offset, answer);
      }
      // A watcher that fell behind compaction gets a snapshot here (rare; it takes no stream slot).
      if (!w.deliver(answer, this.pumping(() => {}))) this.cut++;
    }
  }

  private ensureRunning(): void {
    if (this.unsubscribe === null) this.unsubscribe = this.handle.onApplied(() => this.feed());
    if (this.heartbeat === null) {
      this.heartbeat = setInterval(() => {
        const at = new Date().toISOString();
        for (const w of [...this.watchers]) w.comment(`heartbeat ${at}`);
      }, this.limits.heartbeatMs);
    }
  }

  private pumping(done: () => void): SnapshotPumping {
    return { sliceRecords: this.limits.snapshotSliceRecords, stallMs: this.limits.snapshotStallMs, done };
  }

  private forget(w: Watcher): void {
    this.watchers.delete(w);
    if (this.watchers.size === 0) this.idle();
  }

  private idle(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
