// Leader failover at scale: one 3-node cluster of dist/yakt (or YAKT_BINARY) filled through the REST
// API like `make bench-scale` (SCALE_TOPICS topics × 100 partitions, RF 3, 30 brokers heartbeating),
// then TRIALS kill -9s of the leader, each timed to the next acknowledged write (the victim started
// again and caught up before the next). Prints every trial, the median and the max, and how many
// trials needed more than one election (a split vote or a lost pre-vote round: the term rose by
// more than one). Not a test; for comparing two builds back to back:
//   YAKT_BINARY=/tmp/yakt-old bun run scripts/bench/scale-failover.ts
//   SCALE_TOPICS=1000 TRIALS=5 bun run scripts/bench/scale-failover.ts     (a quick try)
import { loadavg } from "node:os";
import { BINARY, ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { Heartbeats, failover, fill, p } from "./scale-steps.ts";

const TOPICS = Number(process.env.SCALE_TOPICS ?? 10_000);
const TRIALS = Number(process.env.TRIALS ?? 12);
const LEADER_WAIT_MS = 60_000;
const APPLY_WAIT_MS = 600_000;

const cluster = new ProcessCluster(3);
cluster.startAll();
const beats = new Heartbeats(cluster, 30);
try {
  let leader = await cluster.waitForLeader(LEADER_WAIT_MS);
  await beats.register(leader);
  console.log(`binary ${BINARY}; ${TOPICS} topics × 100 partitions; load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  await fill(cluster, () => leader, { topics: TOPICS, partitions: 100, clients: 8, samples: 5 });
  const trials: number[] = [];
  let extraElections = 0;
  for (let t = 0; t < TRIALS; t++) {
    leader = await cluster.waitForLeader(LEADER_WAIT_MS);
    const termBefore = (await cluster.status(leader))?.term ?? 0;
    trials.push(await failover(cluster, LEADER_WAIT_MS));
    const now = await cluster.waitForLeader(LEADER_WAIT_MS);
    const term = (await cluster.status(now))?.term ?? 0;
    if (term > termBefore + 1) extraElections++;
    console.log(`trial ${t + 1}: ${trials[t].toFixed(0)} ms, term ${termBefore} → ${term}`);
    await cluster.waitApplied((await cluster.status(now))?.commitOffset ?? 0, APPLY_WAIT_MS);
  }
  console.log(`failover median ${p(trials, 50).toFixed(0)} ms, max ${p(trials, 100).toFixed(0)} ms over ${TRIALS}; ${extraElections} needed more than one election; load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
} finally {
  await beats.stop();
  await cluster.stopAll();
}
