// The young garbage of streamed snapshot answers, collected as it is made. Each slice of a streamed
// image leaves its strings and its chunk of bytes behind (the answer's size in garbage, ~290 MiB
// at 1M partitions), and JavaScriptCore lets young garbage grow to about the heap's size before it
// collects on its own: a node's RSS rose by 120–380 MiB over one full GET at 1M partitions,
// 170–600 MiB at 2M. Collecting the young generation every STREAM_BYTES_PER_COLLECTION bytes
// written keeps it near flat: +20–40 MiB at 1M, +25–35 MiB at 2M (scripts/bench/image-get-peak.ts;
// in-process at 1M: +0 MiB, 72 collections of ~1 ms). The policy is a sliced install's
// (src/node/apply-slices.ts): a collection that held the loop longer than COLLECT_PAUSE_MS (a loaded
// machine, where the loop waits for the collector's helper threads) doubles the spacing until the
// next one, a quick one halves it back, so a loaded node waits for few of them. One per node,
// counting the bytes of every stream it writes: garbage is per byte, whoever made it.
import { edenGC } from "bun:jsc";
import { COLLECT_PAUSE_MS } from "../node/apply-slices.ts";
import { invariant } from "../node/errors.ts";

/** Bytes streamed between two young collections: ~1 ms each, ~7% of writing the bytes (in-process, 1M partitions). */
export const STREAM_BYTES_PER_COLLECTION = 4 * 1024 * 1024;
/** The widest spacing slow collections can push it to, in multiples of the base. */
const MAX_SPACING_FACTOR = 64;

export interface YoungGarbageOptions {
  /** Collects the young generation; default bun:jsc's edenGC. */
  collect?: () => void;
  everyBytes?: number;
  now?: () => number;
}

export class YoungGarbage {
  private readonly collect: () => void;
  private readonly everyBytes: number;
  private readonly now: () => number;
  /** Bytes between collections now: everyBytes, or more after slow collections. */
  private spacing: number;
  private sinceLast = 0;
  private collections = 0;
  private collectMs = 0;
  private longestMs = 0;
  private failures = 0;
  private written = 0;

  constructor(o: YoungGarbageOptions = {}) {
    this.collect = o.collect ?? (() => void edenGC());
    this.everyBytes = o.everyBytes ?? STREAM_BYTES_PER_COLLECTION;
    this.now = o.now ?? (() => performance.now());
    invariant(Number.isSafeInteger(this.everyBytes) && this.everyBytes > 0, () => `young collections need a positive byte spacing, got ${this.everyBytes}`);
    this.spacing = this.everyBytes;
  }

  /** `bytes` were written by a stream: garbage once the socket has taken them. */
  wrote(bytes: number): void {
    invariant(Number.isSafeInteger(bytes) && bytes >= 0, () => `a stream wrote ${bytes} bytes`);
    this.written += bytes;
    this.sinceLast += bytes;
  }

  /**
   * Collects the young generation once enough bytes were written since the last collection. Called
   * where a stream holds the fewest young objects (before it writes its next chunk): what is alive
   * at a collection is promoted, and would wait for a full collection as garbage. True when it
   * collected.
   */
  collectIfDue(): boolean {
    if (this.sinceLast < this.spacing) return false;
    this.sinceLast = 0;
    const started = this.now();
    try {
      this.collect();
    } catch {
      // A collection is no part of the answer: one that fails is counted, never a reason to cut it.
      this.failures++;
    }
    const ms = this.now() - started;
    this.collections++;
    this.collectMs += ms;
    this.longestMs = Math.max(this.longestMs, ms);
    const slow = ms > COLLECT_PAUSE_MS;
    this.spacing = slow ? Math.min(this.spacing * 2, this.everyBytes * MAX_SPACING_FACTOR) : Math.max(this.everyBytes, this.spacing / 2);
    invariant(this.spacing >= this.everyBytes && this.spacing <= this.everyBytes * MAX_SPACING_FACTOR, () => `young collection spacing ${this.spacing} out of its bounds`);
    return true;
  }

  /** Bytes written between collections now (for tests): the base, or more after slow collections. */
  get spacingBytes(): number {
    return this.spacing;
  }

  /** For /metrics. */
  metrics(): Record<string, number> {
    return {
      yakt_image_stream_bytes_total: this.written,
      yakt_image_stream_young_collections_total: this.collections,
      yakt_image_stream_young_collect_ms_total: Math.round(this.collectMs),
      yakt_image_stream_young_collect_longest_ms: Math.round(this.longestMs * 10) / 10,
      yakt_image_stream_young_collect_failures_total: this.failures,
    };
  }
}
