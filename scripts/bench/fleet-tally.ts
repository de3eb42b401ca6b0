// What a share of the broker fleet saw since it last reported (broker-polls.ts, broker-watches.ts):
// requests made, failures by reason, and every record's arrival (offset, node, time), handed over
// as one PollReport and forgotten. And the sweep both share: a request unanswered well past the
// heartbeat interval is cut, by one timer for the whole share rather than one per request.
import type { KeepAliveConnection } from "./keepalive-client.ts";

/** How long past its wait a poll may go unanswered before the sweep cuts it. */
export const POLL_GRACE_MS = 10_000;

/** What the loops saw since the last take(). */
export interface PollReport {
  polls: number;
  failed: number;
  failures: [string, number][];
  /** Triples: record offset, node, arrival time. */
  arrivals: Float64Array;
}

export class FleetTally {
  /** Long polls, or (watching brokers) heartbeats. */
  polls = 0;
  private failed = 0;
  private failures = new Map<string, number>();
  private arrivals: number[] = [];

  arrived(offset: number, node: number, time: number): void {
    this.arrivals.push(offset, node, time);
  }

  fail(reason: string): void {
    this.failed++;
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  /** What was seen since the last call, and forgets it. */
  take(): PollReport {
    const report: PollReport = { polls: this.polls, failed: this.failed, failures: [...this.failures], arrivals: Float64Array.from(this.arrivals) };
    this.polls = 0;
    this.failed = 0;
    this.failures = new Map();
    this.arrivals = [];
    return report;
  }
}

/** Cuts every request on `connections` unanswered for the interval and POLL_GRACE_MS past it. */
export function sweepConnections(connections: Iterable<KeepAliveConnection>, heartbeatMs: number): void {
  const limit = performance.now() - (heartbeatMs + POLL_GRACE_MS);
  for (const conn of connections) if (conn.sentAt < limit) conn.abort(`no answer within ${heartbeatMs + POLL_GRACE_MS} ms`);
}
