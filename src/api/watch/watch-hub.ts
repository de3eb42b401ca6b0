// Every watcher of GET /v1/watch on this node: a bounded set, fed once per loop turn after records
// were applied, kept alive by heartbeat comments, and closed (with a `shutdown` event) when the
// node stops. The applied-index subscription and the heartbeat timer exist only while someone
// watches. Besides each watcher's own bound, the unsent bytes of all of them together are bounded:
// past it, the watchers furthest behind are cut (and, if they still hold the memory at the next
// feed, dropped), so a crowd of stalled clients cannot exhaust the node while others are served.
// The total is what the watchers hold in memory (held-bytes.ts): a chunk queued by many
// watchers once, and what Bun was handed and has not yet written for each watcher (at most one
// chunk of HANDOFF_BYTES), wherever it sits.
// A feed is one write per watcher that has something new (every record applied since its offset,
// encoded once for all watchers at that offset): a write to a socket costs the node several µs of
// kernel time, far more than its bytes, so a batch of commits is never split into a write each.
import type { MetadataAnswer, MetadataService } from "../../metadata/service-types.ts";
import type { ConsensusHandle, Unsubscribe } from "../../node/contracts.ts";
import { sseComment } from "./sse.ts";
import { HeldBytes } from "./held-bytes.ts";
import { type SnapshotPumping, Watcher, type WatcherCounts, type WatcherTerms } from "./watcher.ts";

export interface WatchLimits {
  /** Watchers one node serves at once; one more is refused with 503. */
  maxWatchers: number;
  /** Unsent bytes one watcher may have waiting (beyond its largest snapshot event) before it is cut. */
  maxBufferBytes: number;
  /** Unsent bytes all watchers together may have waiting (cut or not); past it the furthest behind are cut. */
  maxTotalBufferBytes: number;
  /** How long a cut watcher's unsent bytes (its `cut` event last) wait to be read before its connection is dropped. */
  drainMs: number;
  /** A comment this often keeps idle connections (and proxies) from timing out. */
  heartbeatMs: number;
  /** Records per slice of a snapshot event (written from a frozen view, never built whole). */
  snapshotSliceRecords: number;
  /** A watcher that leaves a slice of its snapshot event unread this long is cut. */
  snapshotStallMs: number;
}

/** 1,000 watching brokers still fit when one of three nodes is down (--max-watchers). */
export const DEFAULT_MAX_WATCHERS = 1_024;
/** The flag's upper bound: each watcher holds a socket, and a node has some 65k of them at most. */
export const MAX_MAX_WATCHERS = 65_536;

export const DEFAULT_WATCH_LIMITS: WatchLimits = {
  maxWatchers: DEFAULT_MAX_WATCHERS,
  maxBufferBytes: 8 * 1024 * 1024,
  maxTotalBufferBytes: 64 * 1024 * 1024,
  drainMs: 10_000,
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
  /** Closed watchers whose bytes still wait unsent (they count toward the total bound). */
  private readonly draining = new Set<Watcher>();
  private readonly limits: WatchLimits;
  private readonly terms: WatcherTerms;
  private feedScheduled = false;
  private boundScheduled = false;
  private unsubscribe: Unsubscribe | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private cut = 0;
  private feeds = 0;
  private readonly counts: WatcherCounts = { eventWrites: 0 };
  private readonly held = new HeldBytes();

  constructor(
    private readonly service: MetadataService,
    private readonly handle: ConsensusHandle,
    limits: Partial<WatchLimits> = {},
    /** Runs its argument once the event loop has turned: the applies of one turn make one feed. */
    private readonly defer: (fn: () => void) => void = (fn) => setImmediate(fn),
  ) {
    this.limits = { ...DEFAULT_WATCH_LIMITS, ...limits };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`watch limit ${name} must be a positive integer, got ${value}`);
    }
    if (this.limits.maxTotalBufferBytes < this.limits.maxBufferBytes) {
      throw new RangeError(`watch limit maxTotalBufferBytes (${this.limits.maxTotalBufferBytes}) must be at least maxBufferBytes (${this.limits.maxBufferBytes})`);
    }
    this.terms = {
      maxBufferBytes: this.limits.maxBufferBytes,
      drainMs: this.limits.drainMs,
      closed: (w) => this.forget(w),
      released: (w) => this.draining.delete(w),
      counts: this.counts,
      held: this.held,
    };
  }

  get size(): number {
    return this.watchers.size;
  }

  /**
   * For /metrics: watchers now, how many were cut for reading too slowly, the bytes waiting unsent,
   * the feeds (one per loop turn that applied records) and the writes of record events they made
   * (at most one per watcher and feed, whatever the number of records).
   */
  metrics(): Record<string, number> {
    return {
      yakt_watch_watchers: this.watchers.size,
      yakt_watch_cut_total: this.cut,
      yakt_watch_unsent_bytes: this.unsentBytes(),
      yakt_watch_feeds_total: this.feeds,
      yakt_watch_event_writes_total: this.counts.eventWrites,
    };
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
    const watcher = new Watcher(null, this.terms);
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

  /** After the applies of a loop turn: each watcher gets what is new to it; watchers at one offset share one answer. */
  private feed(): void {
    this.feedScheduled = false;
    this.feeds++;
    // Before this feed's bytes are queued: what waits now is what clients left unread.
    this.bound();
    const answers = new Map<number, MetadataAnswer>();
    // A watcher that fell behind compaction gets a snapshot here (rare; it takes no stream slot).
    const pumping = this.pumping(() => {});
    // No copy of the set: a watcher cut here leaves it, and a Set's iteration skips what left it.
    for (const w of this.watchers) {
      if (w.offset === null || w.isClosed) continue;
      let answer = answers.get(w.offset);
      if (answer === undefined) {
        answer = this.service.watch({ following: w.offset });
        answers.set(w.offset, answer);
      }
      if (!w.deliver(answer, pumping)) this.cut++;
    }
    // And a turn later, for the watchers that left unread what waited at the last check and wrote
    // nothing since (Watcher.stalled): the bytes this feed added are no sign of a stall, as a
    // client reading along is handed them a chunk at a time, each once the last was written.
    if (!this.boundScheduled) {
      this.boundScheduled = true;
      this.defer(() => {
        this.boundScheduled = false;
        this.bound();
      });
    }
  }

  /**
   * Keeps the unsent bytes of all watchers within maxTotalBufferBytes: first the connections of
   * watchers already cut are dropped (their `cut` event waits behind bytes they do not read), the
   * largest first, then the live watchers furthest behind are cut, as many as dropping them would
   * take to get back within the bound: among the stalled ones (left unread what waited at the last
   * check and wrote nothing since, Watcher.stalled), those with the most unsent bytes first, and of
   * those as far behind, the one that wrote least. A watcher whose client reads is never cut here,
   * however much of the last feeds it still has to write (its own bound still applies). A cut watcher's bytes are freed once it reads them, at the
   * next check still over the bound, or after drainMs. Bytes several watchers queue are held once
   * in memory and counted once (HeldBytes): they are freed when the last of those watchers is.
   */
  private bound(): void {
    const max = this.limits.maxTotalBufferBytes;
    // Judged against the last check, and the point the next check judges against.
    const stalled = [...this.watchers].filter((w) => w.stalled());
    for (const w of this.watchers) w.markChecked();
    if (this.held.total <= max) return;
    for (const w of bySizeDown(this.draining)) {
      if (this.held.total <= max) return;
      w.drop();
    }
    let total = this.held.total;
    const taken = new Map<Uint8Array, number>();
    for (const w of furthestBehindFirst(stalled)) {
      if (total <= max || w.unsent() === 0) return;
      total -= w.freedWith(taken);
      w.cut(`the node's watchers together left more than ${max} bytes unread, and this watcher was among those furthest behind`);
      this.cut++;
    }
  }

  private unsentBytes(): number {
    return this.held.total;
  }

  private ensureRunning(): void {
    if (this.unsubscribe === null) {
      this.unsubscribe = this.handle.onApplied(() => {
        if (this.feedScheduled) return;
        this.feedScheduled = true;
        this.defer(() => this.feed());
      });
    }
    if (this.heartbeat === null) {
      this.heartbeat = setInterval(() => {
        const beat = encoder.encode(sseComment(`heartbeat ${new Date().toISOString()}`));
        for (const w of [...this.watchers]) w.send(beat);
      }, this.limits.heartbeatMs);
    }
  }

  private pumping(done: () => void): SnapshotPumping {
    return { sliceRecords: this.limits.snapshotSliceRecords, stallMs: this.limits.snapshotStallMs, done };
  }

  /** A watcher closed: it leaves the set, and counts toward the total bound until it is released. */
  private forget(w: Watcher): void {
    this.watchers.delete(w);
    this.draining.add(w);
    if (this.watchers.size === 0) this.idle();
  }

  private idle(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

const encoder = new TextEncoder();

function bySizeDown(watchers: Iterable<Watcher>): Watcher[] {
  return [...watchers].sort((a, b) => b.unsent() - a.unsent());
}

/** The most unsent bytes first; of watchers as far behind, the one whose client read least first. */
function furthestBehindFirst(watchers: Watcher[]): Watcher[] {
  return watchers.sort((a, b) => b.unsent() - a.unsent() || a.written - b.written);
}
