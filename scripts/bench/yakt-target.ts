// The YAKt side of the benchmark: a 3-node cluster of dist/yakt on loopback, writes as
// POST /v1/topics to the leader, and failover trials (SIGKILL the leader, time to the next ack).
import type { HttpClientOptions } from "../../test/cluster/support/http.ts";
import { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { waitUntil } from "../../test/node/support/wait-until.ts";
import { PAYLOAD_CHARS, topicName } from "./payload.ts";

const RETRY_BACKOFF_MS = 5;
/** Broker ids the steady rows update and read. */
export const BENCH_BROKER_BASE = 1;

/** A legal 200-character host name, different for each sequence number. */
function hostName(seq: number): string {
  const head = `h${seq}.`;
  return head + "x".repeat(PAYLOAD_CHARS - head.length);
}

/** A secured cluster (tls-cost.ts): HTTPS and peer TLS flags per node, and the client's CA. */
export interface SecuredTarget {
  nodeFlags: (id: number) => string[];
  client: HttpClientOptions;
}

export class YaktTarget {
  /** YAKT_FLAGS adds node flags (e.g. "--snapshot-entries 50000") to compare settings. */
  readonly cluster: ProcessCluster;
  leader = 0;

  constructor(private readonly secured: SecuredTarget | null = null) {
    const flags = (process.env.YAKT_FLAGS ?? "").split(" ").filter(Boolean);
    this.cluster = new ProcessCluster(3, flags, 3, secured ? { https: true, ...secured } : {});
  }

  async start(): Promise<void> {
    this.cluster.startAll();
    this.leader = await this.cluster.waitForLeader();
  }

  /** Why writes failed (status and error code, or the network error), counted. */
  readonly failures = new Map<string, number>();

  /** One write to the leader, on a kept-alive connection. */
  write(run: string, seq: number): Promise<boolean> {
    return this.toLeader("POST", "/v1/topics", { name: topicName(run, seq) }, 201);
  }

  /**
   * A write that leaves the state the same size, for rows long enough to reach MAX_TOPICS: broker
   * `seq % brokers` gets a new 200-character host (a RegistrationChangeBrokerRecord).
   */
  updateBroker(seq: number, brokers: number): Promise<boolean> {
    return this.toLeader("PUT", `/v1/brokers/${BENCH_BROKER_BASE + (seq % brokers)}`, { brokerHost: hostName(seq) }, 200);
  }

  /** Registers brokers BENCH_BROKER_BASE … + n - 1 (for updateBroker and read). */
  async registerBrokers(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const body = { brokerId: BENCH_BROKER_BASE + i, brokerHost: hostName(i), brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${i % 6}` };
      await waitUntil(`broker ${body.brokerId} registered`, () => this.toLeader("POST", "/v1/brokers", body, 201), 30_000, 10);
    }
  }

  /** A linearizable read (the default) of one broker, on node `seq % 3`: a ReadIndex round on any node. */
  async read(seq: number, brokers: number): Promise<boolean> {
    const live = this.cluster.live();
    const res = await fetch(this.cluster.url(live[seq % live.length], `/v1/brokers/${BENCH_BROKER_BASE + (seq % brokers)}`), { signal: AbortSignal.timeout(10_000) }).catch(
      (e: Error) => e,
    );
    if (res instanceof Error) return this.failed(`read ${res.name}`);
    const body = await res.text();
    return res.status === 200 || this.failed(`read ${res.status} ${body.slice(0, 100)}`);
  }

  pids(): number[] {
    return this.cluster.live().map((id) => this.cluster.pid(id));
  }

  private async toLeader(method: string, path: string, body: unknown, okStatus: number): Promise<boolean> {
    const res = await fetch(this.cluster.url(this.leader, path), {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
      tls: this.secured?.client.tls,
    }).catch((e: Error) => e);
    if (res instanceof Error) return this.failed(res.name);
    const text = await res.text();
    if (res.status === okStatus) return true;
    if (res.status === 503) {
      this.followLeader();
      // A polite client backs off a little instead of spinning on a cluster that is moving leadership.
      await Bun.sleep(RETRY_BACKOFF_MS);
    }
    return this.failed(`${res.status} ${text.slice(0, 100)}`);
  }

  private following = false;

  /**
   * Keeps the writes on the leader of the moment for as long as the returned stop is not called. A
   * node that lost leadership forwards the writes it still gets, and they succeed, so a client that
   * looks again only on a failure would write through the old leader for the rest of the row: its
   * HTTP work and the forward hop would then be measured instead of a client's path to the leader.
   */
  watchLeader(everyMs = 250): () => void {
    const timer = setInterval(() => this.followLeader(), everyMs);
    return () => clearInterval(timer);
  }

  /** Leadership moved (a snapshot hand-off or an election): find the new leader, once at a time. */
  private followLeader(): void {
    if (this.following) return;
    this.following = true;
    this.cluster
      .waitForLeader(5_000)
      .then((id) => {
        this.leader = id;
      })
      .catch(() => {})
      .finally(() => {
        this.following = false;
      });
  }

  private failed(reason: string): false {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
    return false;
  }

  /** SIGKILL the leader; milliseconds until some live node acknowledges a write. */
  async failoverTrial(trial: number): Promise<number> {
    const victim = await this.cluster.waitForLeader();
    const t0 = performance.now();
    await this.cluster.kill(victim);
    let seq = 0;
    let attempts = 0;
    await waitUntil(
      `a write acknowledged after killing leader ${victim}`,
      async () => {
        const live = this.cluster.live();
        const id = live[attempts++ % live.length];
        const res = await fetch(this.cluster.url(id, "/v1/topics"), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: topicName(`fail${trial}`, seq++) }),
          signal: AbortSignal.timeout(2_000),
        }).catch(() => null);
        if (res) await res.arrayBuffer();
        return res?.status === 201;
      },
      15_000,
      1,
    );
    const ms = performance.now() - t0;
    this.cluster.start(victim);
    this.leader = await this.cluster.waitForLeader();
    // The next trial starts from three healthy nodes: the restarted one has replayed its log and
    // caught up (else killing the leader would leave one node able to vote, not two).
    const commit = (await this.cluster.status(this.leader))?.commitOffset ?? 0;
    await this.cluster.waitApplied(commit, 60_000);
    return ms;
  }

  stop(): Promise<void> {
    return this.cluster.stopAll();
  }
}
