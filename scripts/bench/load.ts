// A closed-loop load generator: `clients` concurrent callers each issue one request after another
// for a bounded time (and a bounded count); latencies of the acknowledged ones are kept.

export interface LoadResult {
  clients: number;
  ok: number;
  failed: number;
  seconds: number;
  latenciesMs: number[];
}

export interface LoadOptions {
  clients: number;
  durationMs: number;
  maxRequests: number;
  /** One request; resolves true when acknowledged. `seq` is unique across clients. */
  request: (seq: number) => Promise<boolean>;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let seq = 0;
  let failed = 0;
  const start = performance.now();
  const deadline = start + o.durationMs;
  const client = async () => {
    while (performance.now() < deadline && seq < o.maxRequests) {
      const mine = seq++;
      const t0 = performance.now();
      if (await o.request(mine)) latencies.push(performance.now() - t0);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: o.clients }, client));
  return { clients: o.clients, ok: latencies.length, failed, seconds: (performance.now() - start) / 1000, latenciesMs: latencies };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values: number[]): number {
  return percentile(values, 50);
}
