// The leader that sends its snapshot to a follower, at scale: its memory (RSS, heap, of which
// external buffers) just before a follower that must install the snapshot is started, and after
// the install, settled 3 s and 15 s, with the leader's CPU during the install and the install's
// time. Isolates what the sending itself leaves on the leader (issue 10), which `make
// bench-scale`'s install step mixes with the snapshots taken just before it. The follower that
// installed it is reported alike (its memory as soon as it caught up, 3 s and 15 s later, and its
// CPU from its start: the restart from its own snapshot, then the install). Not a test:
//   make build && nice -n 5 bun scripts/bench/snapshot-send-memory.ts [--topics 10000]
//   YAKT_BINARY=/tmp/old/yakt ...   (another build, to compare back to back)
import { loadavg } from "node:os";
import { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { waitUntil } from "../../test/node/support/wait-until.ts";
import { processCpuMs } from "./cpu.ts";
import { positiveIntFlag } from "./flags.ts";
import { fill, Heartbeats, memoryOf, metric, type NodeMemory, rssMiB, snapshotNow } from "./scale-steps.ts";

const TOPICS = positiveIntFlag("--topics", 10_000);
const BROKERS = 30;
const STEP_MS = 600_000;

const row = (what: string, n: NodeMemory | undefined) =>
  n === undefined ? `${what}: down` : `${what}: RSS ${n.rss.toFixed(0)} MiB, heap ${n.heap.toFixed(0)} of which external ${n.external.toFixed(1)}, file ${n.file.toFixed(0)}, other ${(n.rss - n.file - n.heap).toFixed(0)}`;

const SAMPLE_MS = 25;

/** The highest RSS of a process from now until stop(), read from /proc every SAMPLE_MS, and when it was seen. */
function sampleRss(pid: number): { stop(): { mib: number; atMs: number } } {
  const t0 = performance.now();
  let high = { mib: 0, atMs: 0 };
  const read = () => {
    const mib = rssMiB(pid);
    if (mib > high.mib) high = { mib, atMs: performance.now() - t0 };
  };
  read();
  const timer = setInterval(read, SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      read();
      return high;
    },
  };
}

async function nodeMemory(cluster: ProcessCluster, node: number, settleMs: number): Promise<NodeMemory | undefined> {
  return (await memoryOf(cluster, settleMs)).find((n) => n.node === node);
}

async function run(cluster: ProcessCluster): Promise<void> {
  const leader = await cluster.waitForLeader(60_000);
  const beats = new Heartbeats(cluster, BROKERS);
  await beats.register(leader);
  try {
    const filled = await fill(cluster, () => leader, { topics: TOPICS, partitions: 100, clients: 8, samples: 2 });
    console.log(`fill: ${filled.created} topics in ${filled.seconds.toFixed(1)} s`);
    const follower = cluster.live().find((id) => id !== leader)!;
    await cluster.kill(follower);
    for (let port = 20_001; port <= 20_020; port++) {
      const put = { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ brokerPort: String(port) }), signal: AbortSignal.timeout(30_000) };
      await fetch(cluster.url(leader, "/v1/brokers/1"), put);
    }
    await cluster.waitApplied((await cluster.status(leader))?.commitOffset ?? 0, STEP_MS);
    for (const id of cluster.live()) await snapshotNow(cluster, id);
    const commit = (await cluster.status(leader))?.commitOffset ?? 0;
    console.log(row(`leader ${leader} before the send (settled 3 s)`, await nodeMemory(cluster, leader, 3_000)));
    const cpu0 = processCpuMs(cluster.pid(leader));
    const t0 = performance.now();
    cluster.start(follower);
    const peak = sampleRss(cluster.pid(follower));
    await waitUntil(`node ${follower} to apply ${commit}`, async () => ((await cluster.status(follower))?.appliedOffset ?? 0) >= commit, STEP_MS, 20);
    const ms = performance.now() - t0;
    const cpu = processCpuMs(cluster.pid(leader)) - cpu0;
    if ((await metric(cluster, follower, "yakt_raft_snapshots_installed_total")) < 1) throw new Error(`node ${follower} caught up without installing a snapshot`);
    const now = await cluster.status(follower);
    // Reported, not refused: the sender's memory is what is measured either way.
    if (now?.leader !== leader) console.log(`leadership moved off node ${leader} during the install: node ${now?.leader} leads in term ${now?.term}`);
    const followerCpu = processCpuMs(cluster.pid(follower));
    const high = peak.stop();
    console.log(`follower ${follower}: highest RSS from its start to caught up ${high.mib.toFixed(0)} MiB, ${high.atMs.toFixed(0)} ms after its start (sampled every ${SAMPLE_MS} ms)`);
    const installed = cluster.log(follower).split("\n").findLast((l) => l.includes('"snapshot_installed"'));
    console.log(`follower ${follower}: ${installed ?? "no snapshot_installed line"}`);
    console.log(`install on node ${follower}: ${ms.toFixed(0)} ms; leader CPU meanwhile ${cpu.toFixed(0)} ms, the follower's since its start ${followerCpu.toFixed(0)} ms`);
    console.log(row(`follower ${follower} as it caught up`, await nodeMemory(cluster, follower, 0)));
    const settled = await memoryOf(cluster, 3_000);
    console.log(row(`leader ${leader} after the send (settled 3 s)`, settled.find((n) => n.node === leader)));
    console.log(row(`follower ${follower} after the install (settled 3 s)`, settled.find((n) => n.node === follower)));
    const later = await memoryOf(cluster, 12_000);
    console.log(row(`leader ${leader} after the send (settled 15 s)`, later.find((n) => n.node === leader)));
    console.log(row(`follower ${follower} after the install (settled 15 s)`, later.find((n) => n.node === follower)));
  } finally {
    await beats.stop();
  }
}

async function main(): Promise<void> {
  console.log(`${TOPICS * 100} partitions, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the start`);
  const cluster = new ProcessCluster(3);
  try {
    cluster.startAll();
    await run(cluster);
  } finally {
    await cluster.stopAll();
    console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the end`);
  }
}

await main();
