// The watch loops of a share of the broker fleet (broker-fleet.ts, FLEET_MODE=watch): each broker
// holds one GET /v1/watch stream (sse-client.ts) on the node it was given, and heartbeats apart
// from it with a plain BrokerMgmt POST (`since` = the offset its stream reached, no wait) every
// heartbeat interval over its own kept-alive connection (keepalive-client.ts), as a KRaft broker
// sends BrokerHeartbeat beside its metadata fetch. For every record event it notes the record's
// offset, the node and the time it arrived, as the poll loops do (broker-polls.ts). A stream that
// ends (cut, the node stopping, the connection lost) is counted as a failure and reopened with
// Last-Event-ID after the answer's Retry-After, else 100 ms; a refused heartbeat is counted too.
import { type PollReport, type PollTarget, POLL_GRACE_MS, wallNow } from "./broker-polls.ts";
import { KeepAliveConnection } from "./keepalive-client.ts";
import { SseStream } from "./sse-client.ts";

const STOPPED = "the fleet stopped";

export class BrokerWatches {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly streams = new Set<SseStream>();
  private readonly connections = new Set<KeepAliveConnection>();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private heartbeats = 0;
  private failed = 0;
  private failures = new Map<string, number>();
  private arrivals: number[] = [];
  /** The offset each broker's stream has reached (none before its snapshot event). */
  private readonly reached = new Map<number, number>();

  constructor(private readonly heartbeatMs: number) {}

  start(targets: PollTarget[]): void {
    this.running = true;
    this.sweeper = setInterval(() => this.sweep(), 1_000);
    for (const target of targets) this.loops.push(this.watch(target), this.heartbeat(target));
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.sweeper);
    for (const stream of this.streams) stream.close(STOPPED);
    for (const conn of this.connections) conn.abort(STOPPED);
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** What was seen since the last call, and forgets it; `polls` counts the heartbeats. */
  take(): PollReport {
    const report: PollReport = { polls: this.heartbeats, failed: this.failed, failures: [...this.failures], arrivals: Float64Array.from(this.arrivals) };
    this.heartbeats = 0;
    this.failed = 0;
    this.failures = new Map();
    this.arrivals = [];
    return report;
  }

  /** One broker's stream, reopened from its last event id whenever it ends. */
  private async watch({ brokerId, node, host }: PollTarget): Promise<void> {
    const [hostname, port] = host.split(":");
    // Spread the first streams (each starts with a snapshot event) over one interval.
    await Bun.sleep((brokerId * 7919) % this.heartbeatMs);
    while (this.running) {
      const ended = Promise.withResolvers<{ reason: string; retryAfterMs: number | null }>();
      const stream = new SseStream(hostname, Number(port), {
        event: (type, id, data, arrivedAt) => this.event(brokerId, node, type, id, data, arrivedAt),
        end: (reason, retryAfterMs) => ended.resolve({ reason, retryAfterMs }),
      }, wallNow);
      this.streams.add(stream);
      const last = this.reached.get(brokerId) ?? null;
      await stream.open("/v1/watch", last).catch((error: Error) => stream.close(`could not connect: ${error.message}`));
      const { reason, retryAfterMs } = await ended.promise;
      this.streams.delete(stream);
      if (!this.running) break;
      this.fail(reason);
      await Bun.sleep(retryAfterMs !== null && retryAfterMs > 0 ? Math.min(retryAfterMs, 10_000) : 100);
    }
  }

  private event(brokerId: number, node: number, type: string, id: number, data: string | null, arrivedAt: number): void {
    if (type === "record") {
      const last = this.reached.get(brokerId);
      if (last !== undefined && id <= last) return this.fail(`record ${id} after ${last}: out of order`);
      if (last !== undefined) this.arrivals.push(id, node, arrivedAt);
      this.reached.set(brokerId, id);
    } else if (type === "snapshot") this.reached.set(brokerId, id);
    // cut and shutdown end the stream: counted when it ends, with their reason.
    else if (type === "cut" || type === "shutdown") this.fail(`${type}: ${(data ?? "").slice(0, 80)}`);
  }

  /** One broker's heartbeats: a BrokerMgmt POST from the offset its stream reached, every interval. */
  private async heartbeat({ brokerId, host }: PollTarget): Promise<void> {
    const [hostname, port] = host.split(":");
    const conn = new KeepAliveConnection(hostname, Number(port));
    this.connections.add(conn);
    const head = (length: number) => `POST /v1/broker-mgmt/metadata HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
    await Bun.sleep((brokerId * 7919) % this.heartbeatMs);
    while (this.running) {
      const since = this.reached.get(brokerId);
      // Before its snapshot event a broker has no offset to ask from (without one the answer is the whole image).
      if (since !== undefined) {
        const body = `{"brokerId":${brokerId},"since":${since}}`;
        const res = await conn.request(head(body.length), body).catch((e: Error) => e);
        if (!this.running) break;
        this.heartbeats++;
        if (res instanceof Error) this.fail(`heartbeat: ${res.message}`);
        else if (res.status !== 200) this.fail(`heartbeat: ${res.status} ${res.body.slice(0, 80)}`);
      }
      await Bun.sleep(since === undefined ? 100 : this.heartbeatMs);
    }
    conn.abort(STOPPED);
    this.connections.delete(conn);
  }

  private fail(reason: string): void {
    this.failed++;
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  /** A heartbeat unanswered well past its interval is cut (one sweep for the fleet, not a timer each). */
  private sweep(): void {
    const limit = performance.now() - (this.heartbeatMs + POLL_GRACE_MS);
    for (const conn of this.connections) if (conn.sentAt < limit) conn.abort(`no heartbeat answer within ${this.heartbeatMs + POLL_GRACE_MS} ms`);
  }
}
