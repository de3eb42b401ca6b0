// A fleet of simulated Kafka brokers against a YAKt cluster: each registers, then follows the
// metadata in one of two modes (FLEET_MODE), spread over the nodes: `poll` loops on BrokerMgmt long
// polls (`wait_ms` = the heartbeat interval, so an idle broker still heartbeats every interval and
// a busy one re-polls on each answer); `watch` holds one GET /v1/watch stream and heartbeats with a
// plain BrokerMgmt POST every interval (broker-watches.ts). Each answer's (or event's)
// records are matched against the acknowledgement times the writers noted, giving the
// commit-to-broker propagation latency: from the write's acknowledgement by the leader to a
// broker's answer holding its record (an answer that overtakes the writer's counts as 0: AckLog).
// The polls (broker-polls.ts) go over one kept-alive connection per broker (keepalive-client.ts):
// the generator shares the machine with the cluster, so each poll costs it as little as it can.
// They run on the main thread, or with FLEET_THREADS=n spread over n worker threads
// (fleet-worker.ts), so a burst of answers is read on several cores instead of queueing behind
// one, at some more CPU per poll. Times are wall-clock milliseconds (broker-polls.ts wallNow), the
// same in every thread: writers note theirs with it.
import type { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { BrokerPolls, type PollReport, type PollTarget } from "./broker-polls.ts";
import { BrokerWatches } from "./broker-watches.ts";
import type { FromWorker, ToWorker } from "./fleet-worker.ts";

/** How often the loops report what they saw (a worker posts it; the main thread takes it). */
export const REPORT_MS = 50;

export interface FleetOptions {
  brokers: number;
  /** Kafka's broker.heartbeat.interval.ms is 2 s. */
  heartbeatMs: number;
  racks: number;
  /** First broker id (leaves room for other brokers in the same cluster). */
  firstId: number;
  /** Worker threads the brokers' polls are spread over (FLEET_THREADS); 0 runs them on the main thread. */
  threads: number;
  /** How the brokers follow the metadata (FLEET_MODE): long polls, or a watch stream and heartbeats. */
  mode: FleetMode;
}

export type FleetMode = "poll" | "watch";

/** A share of the fleet's loops, on one thread: broker-polls.ts or broker-watches.ts. */
export interface FleetLoops {
  start(targets: PollTarget[]): void;
  stop(): Promise<void>;
  take(): PollReport;
}

export function fleetLoops(mode: FleetMode, heartbeatMs: number): FleetLoops {
  return mode === "watch" ? new BrokerWatches(heartbeatMs) : new BrokerPolls(heartbeatMs);
}

export function fleetMode(text: string | undefined): FleetMode {
  if (text === undefined || text === "poll" || text === "watch") return text ?? "poll";
  throw new Error(`FLEET_MODE must be poll or watch, got ${JSON.stringify(text)}`);
}

export const DEFAULT_FLEET: FleetOptions = {
  brokers: 1_000,
  heartbeatMs: 2_000,
  racks: 6,
  firstId: 1_000,
  threads: Number(process.env.FLEET_THREADS ?? 0),
  mode: fleetMode(process.env.FLEET_MODE),
};

export { wallNow } from "./broker-polls.ts";

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

/**
 * The offset a write's answer acknowledges: a record's own (a producer id), or its topic's (a
 * topic create answers `{topic, partitions}`, whose records share the topic's entry); null when
 * the answer names none. Until 2026-12-07 only the first was read, so topic creates were never
 * counted in the propagation: half the writes of the mixed rows.
 */
export function ackedOffset(answer: unknown): number | null {
  if (typeof answer !== "object" || answer === null) return null;
  const { offset, topic } = answer as { offset?: unknown; topic?: { offset?: unknown } };
  const value = offset ?? (typeof topic === "object" && topic !== null ? topic.offset : undefined);
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : null;
}

export class BrokerFleet {
  private workers: Worker[] = [];
  private local: FleetLoops | null = null;
  private localReports: ReturnType<typeof setInterval> | undefined;
  private stopped: Promise<void>[] = [];
  private error: Error | null = null;
  polls = 0;
  failedPolls = 0;
  readonly pollFailures = new Map<string, number>();

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly acks: AckLog,
    private readonly o: FleetOptions = DEFAULT_FLEET,
  ) {
    if (!Number.isSafeInteger(o.threads) || o.threads < 0) throw new Error(`the fleet's threads must be 0 (the main thread) or more, got ${o.threads}`);
  }

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

  /** Starts every broker's poll loop, brokers dealt round-robin to the nodes and to the threads. */
  start(): void {
    const live = this.cluster.live();
    const shares: PollTarget[][] = Array.from({ length: Math.max(1, this.o.threads) }, () => []);
    for (let i = 0; i < this.o.brokers; i++) {
      const node = live[i % live.length];
      const url = new URL(this.cluster.url(node, "/"));
      if (url.protocol !== "http:") throw new Error(`the broker fleet speaks plain HTTP only, not ${url.protocol} (${url.href})`);
      shares[i % shares.length].push({ brokerId: this.o.firstId + i, node, host: url.host });
    }
    if (this.o.threads === 0) this.startLocal(shares[0]);
    else for (const targets of shares) this.startWorker(targets);
  }

  /** Stops every loop and waits for the threads' last reports. */
  async stop(): Promise<void> {
    if (this.local !== null) {
      clearInterval(this.localReports);
      await this.local.stop();
      this.take(this.local.take());
      this.local = null;
    }
    for (const worker of this.workers) worker.postMessage({ type: "stop" } satisfies ToWorker);
    await Promise.all(this.stopped);
    for (const worker of this.workers) worker.terminate();
    this.workers = [];
    this.stopped = [];
    if (this.error) throw this.error;
  }

  /** The loops on this thread, their reports taken as often as a worker's would come. */
  private startLocal(targets: PollTarget[]): void {
    const local = fleetLoops(this.o.mode, this.o.heartbeatMs);
    local.start(targets);
    this.localReports = setInterval(() => this.take(local.take()), REPORT_MS);
    this.local = local;
  }

  private startWorker(targets: PollTarget[]): void {
    const worker = new Worker(new URL("./fleet-worker.ts", import.meta.url).href);
    this.stopped.push(
      new Promise<void>((resolve) => {
        worker.onmessage = (event: MessageEvent<FromWorker>) => {
          const message = event.data;
          if (message.type === "error") {
            this.error ??= new Error(`a fleet thread failed: ${message.message}`);
            return resolve();
          }
          this.take(message.report);
          if (message.type === "stopped") resolve();
        };
        worker.onerror = (event) => {
          this.error ??= new Error(`a fleet thread failed: ${event.message}`);
          resolve();
        };
      }),
    );
    worker.postMessage({ type: "start", mode: this.o.mode, heartbeatMs: this.o.heartbeatMs, targets } satisfies ToWorker);
    this.workers.push(worker);
  }

  private take(report: PollReport): void {
    this.polls += report.polls;
    this.failedPolls += report.failed;
    for (const [reason, count] of report.failures) this.pollFailures.set(reason, (this.pollFailures.get(reason) ?? 0) + count);
    const a = report.arrivals;
    for (let i = 0; i + 2 < a.length; i += 3) this.acks.arrived(a[i], a[i + 1], a[i + 2]);
  }
}

export function post(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) };
}
