// Each node's memory sampled on a timer while the cluster is filled (every ~50 ms by default), so
// a peak between two creates' counts is seen: the resident set and its file-mapped part from
// /proc (no cost to the node), the JavaScript heap from the node's /metrics gauge (yakt_heap_bytes,
// process.memoryUsage(): ~0.1 ms on the node). "Other" = RSS − file − heap: what the allocators
// hold beyond the heap (freed pages kept, JIT code, SQLite's caches).
import { readFileSync } from "node:fs";
import type { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";

export const SAMPLE_EVERY_MS = 50;

/** One node at one moment, MiB; `atMs` from the sampler's start. */
export interface MemorySample {
  atMs: number;
  node: number;
  /** Partitions created when it was taken (as the fill counts them). */
  partitions: number;
  rss: number;
  file: number;
  heap: number;
  /** The part of the heap its objects own outside the collector's blocks (buffers: yakt_external_bytes). */
  external: number;
}

/** A field of /proc/<pid>/status in kB (VmRSS, RssFile), as MiB; NaN once the process is gone. */
export function statusMiB(pid: number, field: string): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return Number.NaN;
  }
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** The node's heap and external gauges, MiB (NaN when it does not answer). */
async function heapMiB(cluster: ProcessCluster, node: number): Promise<{ heap: number; external: number }> {
  try {
    const res = await fetch(cluster.url(node, "/metrics"), { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? Number.NaN) / 2 ** 20;
    return { heap: gauge("yakt_heap_bytes"), external: gauge("yakt_external_bytes") };
  } catch {
    return { heap: Number.NaN, external: Number.NaN };
  }
}

/** Samples every live node on a timer until stopped; a round still waiting on a node's gauge is not overlapped. */
export class MemorySampler {
  readonly samples: MemorySample[] = [];
  private running = true;
  private readonly done: Promise<void>;
  private readonly t0 = performance.now();

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly partitions: () => number,
    everyMs = SAMPLE_EVERY_MS,
  ) {
    this.done = (async () => {
      while (this.running) {
        const next = performance.now() + everyMs;
        await this.round();
        await Bun.sleep(Math.max(0, next - performance.now()));
      }
    })();
  }

  async stop(): Promise<MemorySample[]> {
    this.running = false;
    await this.done;
    return this.samples;
  }

  private async round(): Promise<void> {
    const nodes = this.cluster.live();
    const rows = await Promise.all(
      nodes.map(async (node) => {
        const { heap, external } = await heapMiB(this.cluster, node);
        const pid = this.cluster.pid(node);
        // Read right after the gauges, so they describe about the same moment.
        return { atMs: performance.now() - this.t0, node, partitions: this.partitions(), rss: statusMiB(pid, "VmRSS"), file: statusMiB(pid, "RssFile"), heap, external };
      }),
    );
    for (const row of rows) if (Number.isFinite(row.rss)) this.samples.push(row);
  }
}

/** Each node's highest-RSS sample. */
export function peaks(samples: readonly MemorySample[]): MemorySample[] {
  const best = new Map<number, MemorySample>();
  for (const s of samples) {
    const b = best.get(s.node);
    if (b === undefined || s.rss > b.rss) best.set(s.node, s);
  }
  return [...best.values()].sort((a, b) => a.node - b.node);
}

/** "node 2: 455 MiB at 0.93M partitions, 9.1 s (heap 301, file 45, other 109)". */
export function describeSample(s: MemorySample): string {
  const other = s.rss - s.file - s.heap;
  const heap = Number.isFinite(s.heap) ? `heap ${s.heap.toFixed(0)} of which external ${s.external.toFixed(0)}, file ${s.file.toFixed(0)}, other ${other.toFixed(0)}` : `file ${s.file.toFixed(0)}, heap not read`;
  return `node ${s.node}: ${s.rss.toFixed(0)} MiB at ${(s.partitions / 1e6).toFixed(2)}M partitions, ${(s.atMs / 1000).toFixed(1)} s (${heap})`;
}
