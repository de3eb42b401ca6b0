// The node process's memory as /metrics gauges: resident set size, the JavaScript heap and the
// part of it held outside the collector's blocks (buffers). Read
// with process.memoryUsage(), which costs ~0.1 ms at any heap size (bun:jsc's heapStats walks
// every object, ~200 ms at a million partitions, so a scrape never calls it).

export function processMemoryMetrics(usage: NodeJS.MemoryUsage = process.memoryUsage()): Record<string, number> {
  return {
    // Everything the kernel holds in RAM for this process: heap, malloc'd memory, code, SQLite's cache.
    yakt_process_resident_bytes: usage.rss,
    // Bytes of live (and not yet collected) JavaScript objects in the JSC heap.
    yakt_heap_bytes: usage.heapUsed,
    // The part of the heap figure its objects own outside the collector's blocks (ArrayBuffers such
    // as a snapshot's 21 MB at 1M partitions): counted until the next collection finds them dead.
    yakt_external_bytes: usage.external,
  };
}
