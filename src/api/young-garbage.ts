// The young garbage of streamed snapshot answers, collected as it is made. Each slice of a streamed
// image leaves its strings and its chunk of bytes behind (the answer's size in garbage, ~290 MiB
// at 1M partitions), and JavaScriptCore lets young garbage grow to about the heap's size before it
// collects on its own: a node's RSS rose by 120–380 MiB over one full GET at 1M partitions,
// 170–600 MiB at 2M. Collecting the young generation every STREAM_BYTES_PER_COLLECTION bytes
// written keeps it near flat: +20–40 MiB at 1M, +25–35 MiB at 2M (scripts/bench/image-get-peak.ts;
// in-process at 1M: +0 MiB, 72 collections of ~1 ms). Paced as the node's other young collections
// are (src/node/young-collections.ts: a slow collection doubles the spacing, a quick one halves it
// back), in bytes. One per node, counting the bytes of every stream it writes: garbage is per byte,
// whoever made it.
import { invariant } from "../node/errors.ts";
import { YoungCollections, collectYoungGeneration } from "../node/young-collections.ts";

/** Bytes streamed between two young collections: ~1 ms each, ~7% of writing the bytes (in-process, 1M partitions). */
export const STREAM_BYTES_PER_COLLECTION = 4 * 1024 * 1024;

export interface YoungGarbageOptions {
  /** Collects the young generation; default bun:jsc's edenGC. */
  collect?: () => void;
  everyBytes?: number;
  now?: () => number;
}

export class YoungGarbage {
  private readonly pacer: YoungCollections;
  private written = 0;

  constructor(o: YoungGarbageOptions = {}) {
    const everyBytes = o.everyBytes ?? STREAM_BYTES_PER_COLLECTION;
    invariant(Number.isSafeInteger(everyBytes) && everyBytes > 0, () => `young collections need a positive byte spacing, got ${everyBytes}`);
    this.pacer = new YoungCollections(o.collect ?? collectYoungGeneration, everyBytes, o.now ?? (() => performance.now()));
  }

  /** `bytes` were written by a stream: garbage once the socket has taken them. */
  wrote(bytes: number): void {
    invariant(Number.isSafeInteger(bytes) && bytes >= 0, () => `a stream wrote ${bytes} bytes`);
    this.written += bytes;
    this.pacer.add(bytes);
  }

  /**
   * Collects the young generation once enough bytes were written since the last collection. Called
   * where a stream holds the fewest young objects (before it writes its next chunk): what is alive
   * at a collection is promoted, and would wait for a full collection as garbage. A collection that
   * throws is counted, never a reason to cut the answer. True when it collected.
   */
  collectIfDue(): boolean {
    if (!this.pacer.due) return false;
    this.pacer.collectNow();
    return true;
  }

  /** Bytes written between collections now (for tests): the base, or more after slow collections. */
  get spacingBytes(): number {
    return this.pacer.spacing;
  }

  /** For /metrics. */
  metrics(): Record<string, number> {
    const r = this.pacer.report();
    return {
      yakt_image_stream_bytes_total: this.written,
      yakt_image_stream_young_collections_total: r.youngCollections,
      yakt_image_stream_young_collect_ms_total: Math.round(r.collectMs),
      yakt_image_stream_young_collect_longest_ms: r.longestCollectMs,
      yakt_image_stream_young_collect_failures_total: this.pacer.failed,
    };
  }
}
