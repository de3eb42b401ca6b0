// The poll loops of a share of the broker fleet (broker-fleet.ts), run in a worker thread
// (fleet-worker.ts): each broker loops on BrokerMgmt long polls over its own kept-alive connection
// (keepalive-client.ts) to the node it was given, and notes, for every record an answer brings,
// the record's offset, the node and the time it arrived. Times are wall-clock milliseconds with
// sub-millisecond precision (performance.timeOrigin + performance.now()), comparable across the
// threads of the process. A refused poll is retried after the answer's Retry-After, else 100 ms.
import { KeepAliveConnection, type RawResponse } from "./keepalive-client.ts";

/** How long past its wait a poll may go unanswered before the sweep cuts it. */
export const POLL_GRACE_MS = 10_000;

export interface PollTarget {
  brokerId: number;
  node: number;
  /** host:port of the node's HTTP API (plain HTTP). */
  host: string;
}

/** What the loops saw since the last take(). */
export interface PollReport {
  polls: number;
  failed: number;
  failures: [string, number][];
  /** Triples: record offset, node, arrival time. */
  arrivals: Float64Array;
}

interface FetchAnswer {
  mode: "diff" | "snapshot";
  offset: number;
  records?: { offset: number }[];
}

export const wallNow = () => performance.timeOrigin + performance.now();

export class BrokerPolls {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly connections = new Set<KeepAliveConnection>();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private polls = 0;
  private failed = 0;
  private failures = new Map<string, number>();
  private arrivals: number[] = [];

  constructor(private readonly heartbeatMs: number) {}

  start(targets: PollTarget[]): void {
    this.running = true;
    this.sweeper = setInterval(() => this.sweep(), 1_000);
    for (const target of targets) this.loops.push(this.loop(target));
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.sweeper);
    // A poll parked on its wait would hold stop() for up to an interval: cut them.
    for (const conn of this.connections) conn.abort("the fleet stopped");
    await Promise.all(this.loops);
    this.loops = [];
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

  private async loop({ brokerId, node, host }: PollTarget): Promise<void> {
    const [hostname, port] = host.split(":");
    const conn = new KeepAliveConnection(hostname, Number(port));
    this.connections.add(conn);
    const head = (length: number) => `POST /v1/broker-mgmt/metadata HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
    const bodyPrefix = `{"brokerId":${brokerId},"wait_ms":${this.heartbeatMs}`;
    let since: number | undefined;
    // Spread the first polls over one interval, as brokers that started at different times would.
    await Bun.sleep((brokerId * 7919) % this.heartbeatMs);
    while (this.running) {
      const body = since === undefined ? `${bodyPrefix}}` : `${bodyPrefix},"since":${since}}`;
      const res = await conn.request(head(Buffer.byteLength(body)), body).catch((e: Error) => e);
      const now = wallNow();
      if (!this.running) break; // stop() cut the poll: not a failure of the cluster
      this.polls++;
      if (res instanceof Error || res.status !== 200) {
        const reason = res instanceof Error ? res.message : `${res.status} ${res.body.slice(0, 80)}`;
        this.failed++;
        this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
        await Bun.sleep(retryDelayMs(res));
        continue;
      }
      const answer = JSON.parse(res.body) as FetchAnswer;
      if (answer.mode === "diff" && since !== undefined) for (const r of answer.records ?? []) this.arrivals.push(r.offset, node, now);
      since = answer.offset;
    }
    conn.abort("the fleet stopped");
    this.connections.delete(conn);
  }

  /** A poll unanswered well past its wait is cut (one sweep for the fleet, not a timer per poll). */
  private sweep(): void {
    const limit = performance.now() - (this.heartbeatMs + POLL_GRACE_MS);
    for (const conn of this.connections) if (conn.sentAt < limit) conn.abort(`no answer within ${this.heartbeatMs + POLL_GRACE_MS} ms`);
  }
}

/** What a polite client waits before it asks again: the server's Retry-After (seconds), else 100 ms. */
function retryDelayMs(res: RawResponse | Error): number {
  const seconds = res instanceof Error ? Number.NaN : Number(res.headers.get("retry-after") ?? Number.NaN);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1_000 : 100;
}
