// A fleet of simulated Kafka brokers against a YAKt cluster: each registers, then loops on
// BrokerMgmt long polls (`wait_ms` = the heartbeat interval, so an idle broker still heartbeats
// every interval and a busy one re-polls on each answer), spread over the nodes. Each answer's
// records are matched against the acknowledgement times the writers noted, giving the
// commit-to-broker propagation latency: from the write's acknowledgement by the leader to a
// broker's answer holding its record (an answer that overtakes the writer's counts as 0: AckLog).
// The polls go over one kept-alive connection per broker (keepalive-client.ts): the generator
// shares the machine with the cluster, so each poll it makes costs as little as it can.
// A refused poll is retried after the answer's Retry-After (a 503 says how long), else 100 ms.
import type { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { KeepAliveConnection, type RawResponse } from "./keepalive-client.ts";

export interface FleetOptions {
  brokers: number;
  /** Kafka's broker.heartbeat.interval.ms is 2 s. */
  heartbeatMs: number;
  racks: number;
  /** First broker id (leaves room for other brokers in the same cluster). */
  firstId: number;
}

/** How long past its wait a poll may go unanswered before the sweep cuts it. */
const POLL_GRACE_MS = 10_000;

export const DEFAULT_FLEET: FleetOptions = { brokers: 1_000, heartbeatMs: 2_000, racks: 6, firstId: 1_000 };

/**
 * Commit-to-broker propagation: the writers note each acknowledged offset with its time, the
 * brokers each record they are answered. A broker may hold a record before its writer has noted
 * the acknowledgement (a follower's answer, or the leader's, can overtake the writer's): such an
 * arrival counts as 0 ms once the acknowledgement is noted, instead of being lost (losing them
 * would leave only the slower arrivals and overstate the latency). Arrivals of records no writer
 * acknowledged (a failed write that committed all the same) are never counted.
 */
export class AckLog {
  private readonly at = new Map<number, number>();
  /** Arrivals before the acknowledgement: offset → node → count. */
  private readonly early = new Map<number, Map<number, number>>();
  /** Every sample, and each node's (by the node the broker polls). */
  readonly propagationMs: number[] = [];
  readonly byNode = new Map<number, number[]>();
  /** Arrivals counted at 0 ms because they came before the acknowledgement was noted. */
  earlyCount = 0;

  note(offset: number, time: number): void {
    this.at.set(offset, time);
    const early = this.early.get(offset);
    if (early === undefined) return;
    this.early.delete(offset);
    for (const [node, count] of early) for (let i = 0; i < count; i++) this.sample(node, 0, true);
  }

  arrived(offset: number, node: number, time: number): void {
    const acked = this.at.get(offset);
    if (acked !== undefined) return this.sample(node, Math.max(0, time - acked));
    const early = this.early.get(offset) ?? new Map<number, number>();
    early.set(node, (early.get(node) ?? 0) + 1);
    this.early.set(offset, early);
  }

  private sample(node: number, ms: number, early = false): void {
    if (early) this.earlyCount++;
    this.propagationMs.push(ms);
    const own = this.byNode.get(node) ?? [];
    own.push(ms);
    this.byNode.set(node, own);
  }
}

interface FetchAnswer {
  mode: "diff" | "snapshot";
  offset: number;
  records?: { offset: number }[];
}

export class BrokerFleet {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly connections = new Set<KeepAliveConnection>();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  polls = 0;
  failedPolls = 0;
  readonly pollFailures = new Map<string, number>();

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly acks: AckLog,
    private readonly o: FleetOptions = DEFAULT_FLEET,
  ) {}

  /** Registers every broker through the leader, `concurrency` at a time. */
  async register(leader: () => number, concurrency = 32): Promise<void> {
    let next = 0;
    const one = async () => {
      while (next < this.o.brokers) {
        const id = this.o.firstId + next++;
        const body = { brokerId: id, brokerHost: `b${id}.bench`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id % this.o.racks}` };
        for (let attempt = 0; ; attempt++) {
          const res = await fetch(this.cluster.url(leader(), "/v1/brokers"), post(body)).catch(() => null);
          if (res) await res.arrayBuffer();
          if (res?.status === 201 || res?.status === 409) break;
          if (attempt > 50) throw new Error(`broker ${id} could not register (status ${res?.status ?? "network error"})`);
          await Bun.sleep(50);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, one));
  }

  /** Starts every broker's poll loop; the first poll of each is a snapshot, later ones diffs. */
  start(): void {
    this.running = true;
    this.sweeper = setInterval(() => this.sweep(), 1_000);
    const live = this.cluster.live();
    for (let i = 0; i < this.o.brokers; i++) this.loops.push(this.loop(this.o.firstId + i, live[i % live.length]));
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.sweeper);
    // A poll parked on its wait would hold stop() for up to an interval: cut them.
    for (const conn of this.connections) conn.abort("the fleet stopped");
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async loop(brokerId: number, node: number): Promise<void> {
    const url = new URL(this.cluster.url(node, "/v1/broker-mgmt/metadata"));
    if (url.protocol !== "http:") throw new Error(`the broker fleet speaks plain HTTP only, not ${url.protocol} (${url.href})`);
    const conn = new KeepAliveConnection(url.hostname, Number(url.port));
    this.connections.add(conn);
    const head = (length: number) => `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
    const bodyPrefix = `{"brokerId":${brokerId},"wait_ms":${this.o.heartbeatMs}`;
    let since: number | undefined;
    // Spread the first polls over one interval, as brokers that started at different times would.
    await Bun.sleep((brokerId * 7919) % this.o.heartbeatMs);
    while (this.running) {
      const body = since === undefined ? `${bodyPrefix}}` : `${bodyPrefix},"since":${since}}`;
      const res = await conn.request(head(Buffer.byteLength(body)), body).catch((e: Error) => e);
      const now = performance.now();
      if (!this.running) break; // stop() cut the poll: not a failure of the cluster
      this.polls++;
      if (res instanceof Error || res.status !== 200) {
        const reason = res instanceof Error ? res.message : `${res.status} ${res.body.slice(0, 80)}`;
        this.failedPolls++;
        this.pollFailures.set(reason, (this.pollFailures.get(reason) ?? 0) + 1);
        await Bun.sleep(retryDelayMs(res));
        continue;
      }
      const answer = JSON.parse(res.body) as FetchAnswer;
      if (answer.mode === "diff" && since !== undefined) this.noteArrivals(node, answer.records ?? [], now);
      since = answer.offset;
    }
    conn.abort("the fleet stopped");
    this.connections.delete(conn);
  }

  /** A poll unanswered well past its wait is cut (one sweep for the fleet, not a timer per poll). */
  private sweep(): void {
    const limit = performance.now() - (this.o.heartbeatMs + POLL_GRACE_MS);
    for (const conn of this.connections) if (conn.sentAt < limit) conn.abort(`no answer within ${this.o.heartbeatMs + POLL_GRACE_MS} ms`);
  }

  private noteArrivals(node: number, records: { offset: number }[], now: number): void {
    for (const r of records) this.acks.arrived(r.offset, node, now);
  }
}

/** What a polite client waits before it asks again: the server's Retry-After (seconds), else 100 ms. */
function retryDelayMs(res: RawResponse | Error): number {
  const seconds = res instanceof Error ? Number.NaN : Number(res.headers.get("retry-after") ?? Number.NaN);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1_000 : 100;
}

export function post(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) };
}
