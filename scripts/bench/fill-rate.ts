// The fill of `make bench-scale` alone, to iterate on its rate: a 3-node dist/yakt cluster, 30
// brokers on 6 racks kept alive, TOPICS topics × 100 partitions (RF 3) created through `POST
// /v1/topics` by WRITERS clients (to the leader, or round-robin over the nodes with SPREAD=1),
// then topic GETs, linearizable and stale. Printed: partitions/s, failed attempts, CPU µs per create of the leader and of
// each follower (/proc utime+stime), the topic GET p50/p99 and the CPU µs per GET of the serving
// node, the load average. Not a test; speed is never asserted.
//   TOPICS=2000 WRITERS=8 bun scripts/bench/fill-rate.ts
//   PROFILE=1 BUN_OPTIONS=--cpu-prof-md ...   (a graceful stop at the end lets the nodes write profiles)
import "./memory-options.ts";
import { loadavg } from "node:os";
import { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { processCpuMs } from "./cpu.ts";
import { fill, p, startBrokered, topicGets } from "./scale-steps.ts";

const TOPICS = Number(process.env.TOPICS ?? 2_000);
const WRITERS = Number(process.env.WRITERS ?? 8);
const GETS = Number(process.env.GETS ?? 3_000);
const SPREAD = process.env.SPREAD === "1";
const PARTITIONS = 100;
const BROKERS = 30;

const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

async function main(): Promise<void> {
  const cluster = new ProcessCluster(3);
  try {
    const { leader, beats } = await startBrokered(cluster, BROKERS);
    const ids = cluster.live();
    const cpu0 = ids.map((id) => processCpuMs(cluster.pid(id)));
    let turn = 0;
    const target = SPREAD ? () => ids[turn++ % ids.length] : () => leader;
    console.log(`load average at the start ${load()}; ${TOPICS} topics × ${PARTITIONS}, ${WRITERS} writers to ${SPREAD ? "every node" : "the leader"}`);
    const r = await fill(cluster, target, { topics: TOPICS, partitions: PARTITIONS, clients: WRITERS, samples: 10 });
    const commit = (await cluster.status(leader))?.commitOffset ?? 0;
    await cluster.waitApplied(commit, 600_000);
    const cpu1 = ids.map((id) => processCpuMs(cluster.pid(id)));
    const perCreate = ids.map((id, i) => `${id === leader ? "leader" : "follower"} ${id}: ${(((cpu1[i] - cpu0[i]) * 1000) / r.created).toFixed(0)} µs`);
    console.log(`fill: ${((r.created * PARTITIONS) / r.seconds).toFixed(0)} partitions/s (${r.created} creates in ${r.seconds.toFixed(1)} s, ${r.failed} failed attempts ${JSON.stringify(r.failures)}); CPU per create ${perCreate.join(", ")}; load ${load()}`);
    for (const stale of [false, true]) {
      const before = processCpuMs(cluster.pid(leader));
      const gets = await topicGets(cluster, leader, { topics: TOPICS, requests: GETS, clients: 4, stale });
      const getCpu = ((processCpuMs(cluster.pid(leader)) - before) * 1000) / gets.length;
      const kind = stale ? "stale" : "linearizable";
      console.log(`${kind} topic GETs: p50 ${p(gets, 50).toFixed(2)} ms, p99 ${p(gets, 99).toFixed(2)} ms over ${gets.length} (4 clients), leader CPU ${getCpu.toFixed(0)} µs per GET; load ${load()}`);
    }
    await beats.stop();
    if (process.env.PROFILE) {
      // A graceful stop lets the nodes write their profiles (BUN_OPTIONS=--cpu-prof-md ...).
      for (const id of cluster.live()) process.kill(cluster.pid(id), "SIGTERM");
      await Bun.sleep(3_000);
    }
  } finally {
    await cluster.stopAll();
  }
}

await main();
