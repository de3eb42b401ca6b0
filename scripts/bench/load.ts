// A closed-loop load generator: `clients` concurrent callers each issue one request after another
// for a bounded time (and a bounded count); latencies of the acknowledged ones are kept.

export interface LoadResult {
  clients: number;
  ok: number;
  failed: number;
  seconds: number;
  latenciesMs: number[];
  /** With `timeline`: when each acknowledged request ended, ms from the start (same order as latenciesMs). */
  endsMs?: number[];
}

export interface LoadOptions {
  clients: number;
  durationMs: number;
  maxRequests: number;
  /** One request; resolves true when acknowledged. `seq` is unique across clients. */
  request: (seq: number) => Promise<boolean>;
  /** Keep each acknowledgement's end time too (for latency-over-time plots). */
  timeline?: boolean;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const ends: number[] = [];
  let seq = 0;
  let failed = 0;
  const start = performance.now();
  const deadline = start + o.durationMs;
  const client = async () => {
    while (performance.now() < deadline && seq < o.maxRequests) {
      const mine = seq++;
      const t0 = performance.now();
      if (await o.request(mine)) {
        const t1 = performance.now();
        latencies.push(t1 - t0);
        if (o.timeline) ends.push(t1 - start);
      } else failed++;
    }
  };
  await Promise.all(Array.from({ length: o.clients }, client));
  return { clients: o.clients, ok: latencies.length, failed, seconds: (performance.now() - start) / 1000, latenciesMs: latencies, ...(o.timeline ? { endsMs: ends } : {}) };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values: number[]): number {
  return percentile(values, 50);
}
