// A fleet of simulated Kafka brokers against a YAKt cluster: each registers, then loops on
// BrokerMgmt long polls (`wait_ms` = the heartbeat interval, so an idle broker still heartbeats
// every interval and a busy one re-polls on each answer), spread over the nodes. Each answer's
// records are matched against the acknowledgement times the writers noted, giving the
// commit-to-broker propagation latency: from the write's acknowledgement by the leader to a
// broker's answer holding its record (never below 0: a follower may answer before the writer hears).
// A refused poll is retried after the answer's Retry-After (a 503 says how long), else 100 ms.
import type { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";

export interface FleetOptions {
  brokers: number;
  /** Kafka's broker.heartbeat.interval.ms is 2 s. */
  heartbeatMs: number;
  racks: number;
  /** First broker id (leaves room for other brokers in the same cluster). */
  firstId: number;
}

export const DEFAULT_FLEET: FleetOptions = { brokers: 1_000, heartbeatMs: 2_000, racks: 6, firstId: 1_000 };

/** Offsets the writers saw acknowledged, with the time; bounded by the writers' rate × duration. */
export class AckLog {
  private readonly at = new Map<number, number>();
  note(offset: number, time: number): void {
    this.at.set(offset, time);
  }
  take(offset: number): number | undefined {
    return this.at.get(offset);
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
  readonly propagationMs: number[] = [];
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
    const live = this.cluster.live();
    for (let i = 0; i < this.o.brokers; i++) this.loops.push(this.loop(this.o.firstId + i, live[i % live.length]));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async loop(brokerId: number, node: number): Promise<void> {
    let since: number | undefined;
    // Spread the first polls over one interval, as brokers that started at different times would.
    await Bun.sleep((brokerId * 7919) % this.o.heartbeatMs);
    while (this.running) {
      const body = { brokerId, wait_ms: this.o.heartbeatMs, ...(since === undefined ? {} : { since }) };
      const res = await fetch(this.cluster.url(node, "/v1/broker-mgmt/metadata"), { ...post(body), signal: AbortSignal.timeout(this.o.heartbeatMs + 10_000) }).catch(
        (e: Error) => e,
      );
      const now = performance.now();
      this.polls++;
      if (res instanceof Error || res.status !== 200) {
        const reason = res instanceof Error ? res.name : `${res.status} ${(await res.text()).slice(0, 80)}`;
        this.failedPolls++;
        this.pollFailures.set(reason, (this.pollFailures.get(reason) ?? 0) + 1);
        await Bun.sleep(retryDelayMs(res));
        continue;
      }
      const answer = (await res.json()) as FetchAnswer;
      if (answer.mode === "diff" && since !== undefined) this.noteArrivals(answer.records ?? [], now);
      since = answer.offset;
    }
  }

  private noteArrivals(records: { offset: number }[], now: number): void {
    for (const r of records) {
      const acked = this.acks.take(r.offset);
      if (acked !== undefined) this.propagationMs.push(Math.max(0, now - acked));
    }
  }
}

/** What a polite client waits before it asks again: the server's Retry-After (seconds), else 100 ms. */
function retryDelayMs(res: Response | Error): number {
  const seconds = res instanceof Error ? Number.NaN : Number(res.headers.get("retry-after") ?? Number.NaN);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1_000 : 100;
}

export function post(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) };
}
