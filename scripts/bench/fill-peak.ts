// The fill of `make bench-scale` alone, to find and cut its memory peak: a 3-node dist/yakt cluster,
// 30 brokers kept alive, TOPICS topics × 100 partitions (RF 3) by 8 writers to the leader, each
// node's RSS, heap and "other" sampled every 50 ms (fill-memory.ts) until every node has applied
// the last create. Printed: each node's peak and what it was made of, a timeline (the highest
// sample of every half second), the snapshots each node took (from its log), the fill rate, the
// nodes' CPU per create, the longest event-loop pause each measured, the young collections its
// applies made, and the load average.
// Memory and speed are measured, never asserted. YAKT_BINARY picks another build to compare.
//   TOPICS=10000 bun scripts/bench/fill-peak.ts
//   FLAGS="--snapshot-records 100000000" bun scripts/bench/fill-peak.ts   (flags for every node)
import "./memory-options.ts";
import { loadavg } from "node:os";
import { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { processCpuMs } from "./cpu.ts";
import { describeSample, type MemorySample, peaks } from "./fill-memory.ts";
import { fill, metric, startBrokered } from "./scale-steps.ts";

const TOPICS = Number(process.env.TOPICS ?? 10_000);
const PARTITIONS = 100;
const BROKERS = 30;
const TIMELINE_STEP_MS = 500;

const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

/** Per half second, each node's highest sample: "t  node1 rss/heap/other  node2 …". */
function timeline(samples: readonly MemorySample[], nodes: number[]): string[] {
  const rows = new Map<number, Map<number, MemorySample>>();
  for (const s of samples) {
    const slot = Math.floor(s.atMs / TIMELINE_STEP_MS);
    const row = rows.get(slot) ?? new Map<number, MemorySample>();
    const held = row.get(s.node);
    if (held === undefined || s.rss > held.rss) row.set(s.node, s);
    rows.set(slot, row);
  }
  const cell = (s: MemorySample | undefined) => (s === undefined ? "-".padStart(19) : `${s.rss.toFixed(0)}/${s.heap.toFixed(0)}/${s.external.toFixed(0)}/${(s.rss - s.file - s.heap).toFixed(0)}`.padStart(19));
  return [...rows.entries()].sort(([a], [b]) => a - b).map(([slot, row]) => `${((slot * TIMELINE_STEP_MS) / 1000).toFixed(1).padStart(5)} s ${nodes.map((n) => cell(row.get(n))).join(" ")}`);
}

/** The node's snapshot_taken lines: when (s since `t0`, wall clock), at which index, and its young collections. */
function snapshots(cluster: ProcessCluster, node: number, t0: number): string[] {
  return cluster
    .log(node)
    .split("\n")
    .filter((l) => l.includes('"snapshot_taken"'))
    .map((l) => JSON.parse(l) as { ts: string; index: number; bytes: number; totalMs: number; youngCollections?: number; longestCollectMs?: number })
    .map((e) => `node ${node} snapshot at ${((Date.parse(e.ts) - t0) / 1000).toFixed(1)} s: index ${e.index}, ${(e.bytes / 2 ** 20).toFixed(1)} MiB, ${e.totalMs} ms, ${e.youngCollections ?? 0} young collections (longest ${e.longestCollectMs ?? 0} ms)`);
}

async function main(): Promise<void> {
  const cluster = new ProcessCluster(3, (process.env.FLAGS ?? "").split(" ").filter((f) => f !== ""));
  try {
    const { leader, beats } = await startBrokered(cluster, BROKERS);
    const ids = cluster.live();
    const cpu0 = ids.map((id) => processCpuMs(cluster.pid(id)));
    console.log(`load average at the start ${load()}; ${TOPICS} topics × ${PARTITIONS}, leader ${leader}`);
    const t0 = Date.now();
    const r = await fill(cluster, () => leader, { topics: TOPICS, partitions: PARTITIONS, clients: 8, samples: 1, sampleEveryMs: 50 });
    const cpu1 = ids.map((id) => processCpuMs(cluster.pid(id)));
    // Since the node started (the sampler's /metrics reads start a new window of the _max gauge).
    const pauses = await Promise.all(
      ids.map(async (id) => {
        const [peak, over20, over100] = await Promise.all(["yakt_event_loop_lag_peak_ms", "yakt_event_loop_pauses_over_20ms_total", "yakt_event_loop_pauses_over_100ms_total"].map((m) => metric(cluster, id, m)));
        return `node ${id} ${peak.toFixed(1)} ms (${over20} over 20 ms, ${over100} over 100 ms)`;
      }),
    );
    await beats.stop();
    console.log(`fill: ${((r.created * PARTITIONS) / r.seconds).toFixed(0)} partitions/s (${r.created} creates in ${r.seconds.toFixed(1)} s, ${r.failed} failed attempts ${JSON.stringify(r.failures)}); load ${load()}`);
    console.log(`CPU per create: ${ids.map((id, i) => `node ${id} ${(((cpu1[i] - cpu0[i]) * 1000) / r.created).toFixed(0)} µs`).join(", ")}`);
    console.log(`longest event-loop pause since the start: ${pauses.join(", ")}`);
    // A build before the applies' collections has no such counters: n/a.
    const collections = await Promise.all(ids.map(async (id) => `node ${id} ${await metric(cluster, id, "yakt_apply_young_collections_total").catch(() => "n/a")} (longest ${await metric(cluster, id, "yakt_apply_young_collect_ms_max").catch(() => "n/a")} ms)`));
    console.log(`young collections after applies: ${collections.join(", ")}`);
    // A failed create is most often a leadership change: how many each node saw, and its term.
    const changes = await Promise.all(ids.map(async (id) => `node ${id} ${await metric(cluster, id, "yakt_raft_leader_changes_total")} (term ${await metric(cluster, id, "yakt_raft_term")})`));
    console.log(`leader changes: ${changes.join(", ")}`);
    if (r.failed > 0) for (const id of ids) for (const line of cluster.log(id).split("\n").filter((l) => /"level":"(warn|error)"|elect|leader_changed|step/.test(l)).slice(-8)) console.log(`  node ${id}: ${line.slice(0, 300)}`);
    console.log(`${r.timed.length} samples; peaks (${ids.map((id) => (id === leader ? `leader ${id}` : `follower ${id}`)).join(", ")}):`);
    for (const s of peaks(r.timed)) console.log(`  ${describeSample(s)}`);
    for (const id of ids) for (const line of snapshots(cluster, id, t0)) console.log(`  ${line}`);
    console.log(`timeline, each node's highest sample per ${TIMELINE_STEP_MS} ms: RSS/heap/external/other MiB`);
    for (const line of timeline(r.timed, ids)) console.log(line);
  } finally {
    await cluster.stopAll();
  }
}

await main();
