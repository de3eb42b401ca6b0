// The first GETs a node answers after a restart, without the read round or the peers: a 1-node
// cluster of dist/yakt (or YAKT_BINARY) filled with SCALE_TOPICS topics × 100 partitions (30 brokers
// kept alive), its snapshot taken, then RESTARTS times: kill -9, start, and 8 batches of 250 topic
// GETs (2 clients; STALE=1 for stale reads), each batch's node CPU per GET and p99, and the node's
// warm_up_done line. The first batch against the later ones is what a fresh process costs; compare
// two builds back to back:  YAKT_BINARY=/tmp/yakt-old STALE=1 bun run scripts/bench/first-gets.ts
import { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { processCpuMs } from "./cpu.ts";
import { Heartbeats, fill, topicGets, p } from "./scale-steps.ts";
const TOPICS = Number(process.env.SCALE_TOPICS ?? 1000);
const cluster = new ProcessCluster(1);
try {
  cluster.startAll();
  const leader = await cluster.waitForLeader();
  const beats = new Heartbeats(cluster, 30);
  await beats.register(leader);
  await fill(cluster, () => leader, { topics: TOPICS, partitions: 100, clients: 8, samples: 1 });
  await fetch(cluster.url(1, "/v1/snapshots"), { method: "POST" });
  for (let r = 0; r < Number(process.env.RESTARTS ?? 3); r++) {
    await cluster.kill(1);
    cluster.start(1);
    await cluster.waitForLeader(60_000);
    const out: string[] = [];
    for (let b = 0; b < 8; b++) {
      const c0 = processCpuMs(cluster.pid(1));
      const g = await topicGets(cluster, 1, { topics: TOPICS, requests: 250, clients: 2, stale: process.env.STALE === "1", seed: 100 * r + b + 1 });
      out.push(`${(((processCpuMs(cluster.pid(1)) - c0) * 1000) / g.length).toFixed(0)}/${p(g, 99).toFixed(1)}`);
    }
    const warm = cluster.log(1).split("\n").find((l) => l.includes("warm_up_done")) ?? "";
    console.log(`restart ${r}: CPU µs/p99 ms per 250 GETs: ${out.join(" ")} ${warm.slice(warm.indexOf("gcMs") - 1, warm.length - 1)}`);
  }
  await beats.stop();
} finally {
  await cluster.stopAll();
}
