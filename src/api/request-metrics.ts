// Per-route request counters and a latency histogram for /metrics. Recording is on every answer's
// path, so it builds no key: two map look-ups (route, then method) find the pair's series, a third
// its status's counter, and one bucket is incremented (the cumulative counts Prometheus wants are
// summed when read). Label values come from a fixed set (route templates, known methods, status
// codes) and the number of series is capped anyway.

import { invariant } from "../node/errors.ts";

/**
 * Upper bounds (seconds) of the latency buckets; +Inf is implicit. Below 5 ms they resolve issue
 * 10's topic-GET goals (p50 ≤ 1 ms, p99 ≤ 5 ms): a node's own share of a GET is a few hundred µs,
 * and a histogram whose first bound was 1 ms could not say how much of the client's time it was.
 */
export const LATENCY_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
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

/** One (method, route) pair: its latency series (one count per bucket, not cumulative) and its counts by status. */
interface PairSeries {
  latency: LatencySeries;
  statuses: Map<number, RequestCount>;
}

export class RequestMetrics {
  /** By route, then method. */
  private readonly pairs = new Map<string, Map<string, PairSeries>>();
  /** Every counter and every latency series, in order of their first answer (overflow ones included). */
  private readonly counts: RequestCount[] = [];
  private readonly latencies: LatencySeries[] = [];
  private overflowCount: RequestCount | null = null;
  private overflowPair: PairSeries | null = null;

  record(method: string, route: string, status: number, seconds: number): void {
    const m = KNOWN_METHODS.has(method) ? method : "OTHER";
    const pair = this.pairs.get(route)?.get(m) ?? this.newPair(m, route);
    this.count(pair, m, route, status);
    observe(pair.latency, Number.isFinite(seconds) && seconds > 0 ? seconds : 0);
  }

  requestCounts(): RequestCount[] {
    return this.counts.map((c) => ({ ...c }));
  }

  /** The series with cumulative bucket counts, as Prometheus has them. */
  latencySeries(): LatencySeries[] {
    return this.latencies.map((s) => {
      let sum = 0;
      return { ...s, buckets: s.buckets.map((n) => (sum += n)) };
    });
  }

  private newPair(method: string, route: string): PairSeries {
    if (this.latencies.length >= MAX_SERIES) {
      // Past the cap every new pair shares one overflow series and, since each pair made before had a
      // counter of its own while there was room, the overflow counter: its statuses stay empty.
      invariant(this.counts.length >= MAX_SERIES, () => `${this.latencies.length} latency series but only ${this.counts.length} counters`);
      this.overflowPair ??= { latency: this.newLatency(OVERFLOW, OVERFLOW), statuses: new Map() };
      return this.overflowPair;
    }
    const pair: PairSeries = { latency: this.newLatency(method, route), statuses: new Map() };
    let methods = this.pairs.get(route);
    if (methods === undefined) this.pairs.set(route, (methods = new Map()));
    methods.set(method, pair);
    return pair;
  }

  private newLatency(method: string, route: string): LatencySeries {
    const series: LatencySeries = { method, route, buckets: new Array(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
    this.latencies.push(series);
    return series;
  }

  private count(pair: PairSeries, method: string, route: string, status: number): void {
    let entry = pair.statuses.get(status);
    if (entry === undefined) {
      if (this.counts.length >= MAX_SERIES) {
        if (this.overflowCount === null) this.counts.push((this.overflowCount = { method: OVERFLOW, route: OVERFLOW, status: 0, count: 0 }));
        entry = this.overflowCount;
      } else {
        entry = { method, route, status, count: 0 };
        this.counts.push(entry);
        pair.statuses.set(status, entry);
      }
    }
    entry.count++;
  }
}

/** One increment, in the first bucket whose bound the observation fits under (+Inf last). */
function observe(series: LatencySeries, seconds: number): void {
  let i = 0;
  while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
  series.buckets[i]++;
  series.sum += seconds;
  series.count++;
}
