// Per-route request counters and a latency histogram for /metrics. Recording is a couple of map
// look-ups and array increments (cheap on the hot path); label values come from a fixed set
// (route templates, known methods, status codes) and the number of series is capped anyway.

/** Upper bounds (seconds) of the latency buckets; +Inf is implicit. */
export const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** Cap on distinct (method, route, status) series; past it new ones fold into one overflow series. */
export const MAX_SERIES = 1024;
const OVERFLOW = "overflow";

export interface RequestCount {
  method: string;
  route: string;
  status: number;
  count: number;
}

export interface LatencySeries {
  method: string;
  route: string;
  /** Cumulative counts per LATENCY_BUCKETS entry, then +Inf. */
  buckets: number[];
  sum: number;
  count: number;
}

export class RequestMetrics {
  private readonly counts = new Map<string, RequestCount>();
  private readonly latencies = new Map<string, LatencySeries>();

  record(method: string, route: string, status: number, seconds: number): void {
    const m = KNOWN_METHODS.has(method) ? method : "OTHER";
    this.count(m, route, status);
    this.observe(m, route, Number.isFinite(seconds) && seconds > 0 ? seconds : 0);
  }

  requestCounts(): RequestCount[] {
    return [...this.counts.values()];
  }

  latencySeries(): LatencySeries[] {
    return [...this.latencies.values()];
  }

  private count(method: string, route: string, status: number): void {
    let key = `${method} ${route} ${status}`;
    let entry = this.counts.get(key);
    if (!entry && this.counts.size >= MAX_SERIES) {
      key = OVERFLOW;
      entry = this.counts.get(key);
      if (!entry) this.counts.set(key, (entry = { method: OVERFLOW, route: OVERFLOW, status: 0, count: 0 }));
    }
    if (!entry) this.counts.set(key, (entry = { method, route, status, count: 0 }));
    entry.count++;
  }

  private observe(method: string, route: string, seconds: number): void {
    let key = `${method} ${route}`;
    let series = this.latencies.get(key);
    if (!series && this.latencies.size >= MAX_SERIES) {
      key = OVERFLOW;
      series = this.latencies.get(key);
      method = route = OVERFLOW;
    }
    if (!series) {
      series = { method, route, buckets: new Array(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      this.latencies.set(key, series);
    }
    // Buckets are cumulative: one increment for each bound the observation fits under.
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]) series.buckets[i]++;
    series.buckets[LATENCY_BUCKETS.length]++;
    series.sum += seconds;
    series.count++;
  }
}
