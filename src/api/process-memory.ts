// The node process's memory as /metrics gauges: resident set size and the JavaScript heap. Read
// with process.memoryUsage(), which costs ~0.1 ms at any heap size (bun:jsc's heapStats walks
// every object, ~200 ms at a million partitions, so a scrape never calls it).

export function processMemoryMetrics(usage: NodeJS.MemoryUsage = process.memoryUsage()): Record<string, number> {
  return {
    // Everything the kernel holds in RAM for this process: heap, malloc'd memory, code, SQLite's cache.
    yakt_process_resident_bytes: usage.rss,
    // Bytes of live (and not yet collected) JavaScript objects in the JSC heap.
    yakt_heap_bytes: usage.heapUsed,
  };
}
