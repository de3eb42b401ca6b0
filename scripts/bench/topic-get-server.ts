// The serving node's own view of a topic-GET row, to set beside the client's latencies: how long
// the node took per GET from its fast route's start to its answer (the request histogram of
// src/api/request-metrics.ts, the route's buckets), its longest event-loop pause, the kept bodies
// hit and built, the read rounds, and what else the cluster did meanwhile (entries committed, brokers
// fenced). A slow GET the node did not see as slow was lost outside it: in the client, the kernel
// or the scheduler (a stall of several processes at once shows as all clients slow together).
import type { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";

const ROUTE_BUCKET = /^yakt_http_request_duration_seconds_bucket\{method="GET",route="\/v1\/topics\/:name",le="([^"]+)"\} (\d+)$/gm;

/** One reading of a node's /metrics, the parts a row compares. */
interface Reading {
  /** Cumulative counts by upper bound (seconds; +Inf last). */
  buckets: Map<string, number>;
  gauges: Map<string, number>;
}

const GAUGES = ["yakt_event_loop_lag_max_ms", "yakt_raft_read_index_rounds_total", "yakt_topic_bodies_hits_total", "yakt_topic_bodies_misses_total"] as const;

async function read(cluster: ProcessCluster, node: number): Promise<Reading> {
  const res = await fetch(cluster.url(node, "/metrics"), { signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`node ${node}: /metrics answered ${res.status}`);
  const buckets = new Map<string, number>();
  for (const m of text.matchAll(ROUTE_BUCKET)) buckets.set(m[1], Number(m[2]));
  const gauges = new Map<string, number>();
  for (const name of GAUGES) gauges.set(name, Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN));
  return { buckets, gauges };
}

/** Brokers by status, e.g. "ALIVE 30" or "ALIVE 12, FENCED 18", from a stale read of the node. */
async function brokerStatuses(cluster: ProcessCluster, node: number): Promise<string> {
  const res = await fetch(cluster.url(node, "/v1/brokers?all=true&consistency=stale"), { signal: AbortSignal.timeout(60_000) });
  const { brokers } = (await res.json()) as { brokers: { fields: { brokerStatus: string } }[] };
  const counts = new Map<string, number>();
  for (const b of brokers) counts.set(b.fields.brokerStatus, (counts.get(b.fields.brokerStatus) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${status} ${n}`).join(", ");
}

/** The node's view of a row: started before the GETs (this also starts a new loop-pause window), finished after. */
export class ServerView {
  private constructor(
    private readonly cluster: ProcessCluster,
    private readonly node: number,
    private readonly before: Reading,
    private readonly commitBefore: number,
  ) {}

  static async start(cluster: ProcessCluster, node: number): Promise<ServerView> {
    const commit = (await cluster.status(node))?.commitOffset ?? 0;
    return new ServerView(cluster, node, await read(cluster, node), commit);
  }

  /** "server ≤0.5 ms n, 0.5–1 ms n, 1–5 ms n, 5–10 ms n, >10 ms n | pause … | bodies built/kept … | rounds/GET … | committed … | brokers …". */
  async finish(gets: number): Promise<string> {
    const after = await read(this.cluster, this.node);
    const commit = (await this.cluster.status(this.node))?.commitOffset ?? 0;
    const upTo = (le: string) => (after.buckets.get(le) ?? 0) - (this.before.buckets.get(le) ?? 0);
    const [half, ms1, ms5, ms10, all] = [upTo("0.0005"), upTo("0.001"), upTo("0.005"), upTo("0.01"), upTo("+Inf")];
    const grew = (name: (typeof GAUGES)[number]) => (after.gauges.get(name) ?? 0) - (this.before.gauges.get(name) ?? 0);
    return (
      `server ≤0.5 ms ${half}, 0.5–1 ms ${ms1 - half}, 1–5 ms ${ms5 - ms1}, 5–10 ms ${ms10 - ms5}, >10 ms ${all - ms10} | ` +
      `longest pause ${after.gauges.get("yakt_event_loop_lag_max_ms")} ms | bodies built ${grew("yakt_topic_bodies_misses_total")}, kept ${grew("yakt_topic_bodies_hits_total")} | ` +
      `rounds/GET ${(grew("yakt_raft_read_index_rounds_total") / Math.max(1, gets)).toFixed(2)} | committed meanwhile ${commit - this.commitBefore} | brokers ${await brokerStatuses(this.cluster, this.node)}`
    );
  }
}
