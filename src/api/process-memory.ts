// The node process's memory as /metrics gauges: resident set size, the JavaScript heap and the
// memory outside it that the heap's objects own (buffers, strings' bytes). Read
// with process.memoryUsage(), which costs ~0.1 ms at any heap size (bun:jsc's heapStats walks
// every object, ~200 ms at a million partitions, so a scrape never calls it).

export function processMemoryMetrics(usage: NodeJS.MemoryUsage = process.memoryUsage()): Record<string, number> {
  return {
    // Everything the kernel holds in RAM for this process: heap, malloc'd memory, code, SQLite's cache.
    yakt_process_resident_bytes: usage.rss,
    // Bytes of live (and not yet collected) JavaScript objects in the JSC heap.
    yakt_heap_bytes: usage.heapUsed,
    // Bytes outside the heap owned by its objects (ArrayBuffers such as a snapshot's 21 MB at 1M
    // partitions, string contents): freed only when the object owning them is collected.
    yakt_external_bytes: usage.external,
  };
}
