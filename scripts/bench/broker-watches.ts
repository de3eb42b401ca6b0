// The watch loops of a share of the broker fleet (broker-fleet.ts, FLEET_MODE=watch): each broker
// heartbeats with a plain BrokerMgmt POST every heartbeat interval over its own kept-alive
// connection (keepalive-client.ts), as a KRaft broker sends BrokerHeartbeat beside its metadata
// fetch, and follows the metadata on one GET /v1/watch stream (sse-client.ts) on the node it was
// given. Its first heartbeat has no `since` and brings the image (as a long-polling broker's first
// poll does); the stream starts after that offset (Last-Event-ID), so a fleet starting at once
// does not ask every node for a thousand snapshot events; later heartbeats carry the offset the
// stream reached. For every record event it notes the record's offset, the node and the time it
// arrived, as the poll loops do (broker-polls.ts). A stream that ends (cut, the node stopping, the
// connection lost) is counted as a failure and reopened from its last event id after the answer's
// Retry-After, else 100 ms; a refused heartbeat is counted too.
import { type PollTarget, scanAnswer, wallNow } from "./broker-polls.ts";
import { FleetTally, type PollReport, sweepConnections } from "./fleet-tally.ts";
import { KeepAliveConnection } from "./keepalive-client.ts";
import { SseStream } from "./sse-client.ts";

const STOPPED = "the fleet stopped";

export class BrokerWatches {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly streams = new Set<SseStream>();
  private readonly connections = new Set<KeepAliveConnection>();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  /** Its `polls` are the heartbeats. */
  private readonly tally = new FleetTally();
  /** The offset each broker has the metadata up to (none before its first heartbeat's image). */
  private readonly reached = new Map<number, number>();

  constructor(private readonly heartbeatMs: number) {}

  start(targets: PollTarget[]): void {
    this.running = true;
    this.sweeper = setInterval(() => sweepConnections(this.connections, this.heartbeatMs), 1_000);
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
    return this.tally.take();
  }

  /** One broker's stream, from its image's offset on, reopened from its last event id whenever it ends. */
  private async watch({ brokerId, node, host }: PollTarget): Promise<void> {
    const [hostname, port] = host.split(":");
    while (this.running && !this.reached.has(brokerId)) await Bun.sleep(50);
    while (this.running) {
      const ended = Promise.withResolvers<{ reason: string; retryAfterMs: number | null }>();
      const stream = new SseStream(hostname, Number(port), {
        event: (type, id, data, arrivedAt) => this.event(brokerId, node, type, id, data, arrivedAt),
        end: (reason, retryAfterMs) => ended.resolve({ reason, retryAfterMs }),
      }, wallNow);
      this.streams.add(stream);
      await stream.open("/v1/watch", this.reached.get(brokerId) ?? null).catch((error: Error) => stream.close(`could not connect: ${error.message}`));
      const { reason, retryAfterMs } = await ended.promise;
      this.streams.delete(stream);
      if (!this.running) break;
      this.tally.fail(reason);
      await Bun.sleep(retryAfterMs !== null && retryAfterMs > 0 ? Math.min(retryAfterMs, 10_000) : 100);
    }
  }

  private event(brokerId: number, node: number, type: string, id: number, data: string | null, arrivedAt: number): void {
    if (type === "record") {
      const last = this.reached.get(brokerId);
      // The records of one entry share its offset: the entry arrived with the first of them.
      if (last !== undefined && id === last) return;
      if (last !== undefined && id < last) return this.tally.fail(`record ${id} after ${last}: out of order`);
      if (last !== undefined) this.tally.arrived(id, node, arrivedAt);
      this.reached.set(brokerId, id);
    } else if (type === "snapshot") this.reached.set(brokerId, id);
    // cut and shutdown end the stream: counted when it ends, with their reason.
    else if (type === "cut" || type === "shutdown") this.tally.fail(`${type}: ${(data ?? "").slice(0, 80)}`);
  }

  /** The first heartbeat's answer: the image, whose offset the stream starts after. */
  private image(brokerId: number, body: string): void {
    try {
      const answer = scanAnswer(body, undefined);
      if (!this.reached.has(brokerId)) this.reached.set(brokerId, answer.offset);
    } catch (error) {
      this.tally.fail(`heartbeat: ${(error as Error).message}`);
    }
  }

  /** One broker's heartbeats: a BrokerMgmt POST from the offset its stream reached (the first for the image), every interval. */
  private async heartbeat({ brokerId, host }: PollTarget): Promise<void> {
    const [hostname, port] = host.split(":");
    const conn = new KeepAliveConnection(hostname, Number(port));
    this.connections.add(conn);
    const head = (length: number) => `POST /v1/broker-mgmt/metadata HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
    // Spread the first heartbeats (each brings the image) over one interval, as brokers that started at different times would.
    await Bun.sleep((brokerId * 7919) % this.heartbeatMs);
    while (this.running) {
      const since = this.reached.get(brokerId);
      const body = since === undefined ? `{"brokerId":${brokerId}}` : `{"brokerId":${brokerId},"since":${since}}`;
      const res = await conn.request(head(body.length), body).catch((e: Error) => e);
      if (!this.running) break;
      this.tally.polls++;
      if (res instanceof Error) this.tally.fail(`heartbeat: ${res.message}`);
      else if (res.status !== 200) this.tally.fail(`heartbeat: ${res.status} ${res.body.slice(0, 80)}`);
      else if (since === undefined) this.image(brokerId, res.body);
      // Until a broker has its image it asks again soon; then once an interval.
      await Bun.sleep(this.reached.has(brokerId) ? this.heartbeatMs : 100);
    }
    conn.abort(STOPPED);
    this.connections.delete(conn);
  }

}
