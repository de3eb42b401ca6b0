// Does catching up a restarted follower keep the leader's heartbeats flowing? (issue 10: a node
// restarted into a 1M-partition cluster got pre-votes and raised the term against a live leader.)
// One 3-node cluster of dist/yakt filled like `make bench-scale` (SCALE_TOPICS × 100 partitions),
// then ROUNDS times: kill -9 a follower, create GAP_TOPICS more topics while it is down (so the
// leader has that much log to send it; SNAP=1 also snapshots the live nodes, so it gets the
// snapshot instead), start it, wait until it has applied the commit. Each round prints the leader
// changes the leader saw, the term before and after, the leader's loop pauses over 100 ms and its
// CPU time (/proc utime+stime) while it caught the follower up, then the survivors' election lines
// (LOGS=1: the whole of them). The last line sums the rounds. Not a test; to compare two builds
// back to back: YAKT_BINARY=/tmp/yakt-old bun scripts/bench/catchup-lease.ts
// Usage: make build && [SCALE_TOPICS=10000] [ROUNDS=4] [GAP_TOPICS=500] [SNAP=1] bun scripts/bench/catchup-lease.ts
import { loadavg } from "node:os";
import { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { waitUntil } from "../../test/node/support/wait-until.ts";
import { processCpuMs } from "./cpu.ts";
import { Heartbeats, fill, metric, snapshotNow } from "./scale-steps.ts";

const TOPICS = Number(process.env.SCALE_TOPICS ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const GAP_TOPICS = Number(process.env.GAP_TOPICS ?? 500);
const SNAP = process.env.SNAP === "1";
const LOGS = process.env.LOGS === "1";
const LINES = LOGS ? /./ : /raft\.campaign|raft\.role|snapshot-send/;

/** Topics gap-<from>… of 100 partitions, 8 writers; a failed create is tried again (bounded by its own timeout). */
async function createTopics(leader: number, from: number, count: number): Promise<void> {
  let next = from;
  const writer = async () => {
    while (next < from + count) {
      const body = JSON.stringify({ name: `gap-${next++}`, partitions: 100, replicationFactor: 3 });
      await fetch(cluster.url(leader, "/v1/topics"), { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(30_000) }).then((r) => r.arrayBuffer()).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
}

const cluster = new ProcessCluster(3);
cluster.startAll();
const beats = new Heartbeats(cluster, 30);
try {
  let leader = await cluster.waitForLeader(60_000);
  await beats.register(leader);
  await fill(cluster, () => leader, { topics: TOPICS, partitions: 100, clients: 8, samples: 1 });
  let extra = 0;
  const sum = { roundsWithElections: 0, terms: 0, pauses: 0, cpuMs: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    leader = await cluster.waitForLeader(60_000);
    const follower = cluster.live().find((id) => id !== leader) ?? 0;
    await cluster.kill(follower);
    await createTopics(leader, extra, GAP_TOPICS);
    extra += GAP_TOPICS;
    if (SNAP) for (const id of cluster.live()) await snapshotNow(cluster, id);
    // Elections while the follower was down (the gap's writes on a loaded machine) are not the catch-up's.
    leader = await cluster.waitForLeader(60_000);
    const before = await cluster.status(leader);
    const commit = before?.commitOffset ?? 0;
    const termBefore = before?.term ?? 0;
    const changesBefore = await metric(cluster, leader, "yakt_raft_leader_changes_total");
    const lagBefore = await metric(cluster, leader, "yakt_event_loop_pauses_over_100ms_total");
    const logAt = new Map(cluster.live().map((id) => [id, cluster.log(id).length]));
    const cpu0 = processCpuMs(cluster.pid(leader));
    const t0 = performance.now();
    cluster.start(follower);
    await waitUntil(`node ${follower} applied ${commit}`, async () => ((await cluster.status(follower).catch(() => null))?.appliedOffset ?? 0) >= commit, 600_000, 20);
    const ms = performance.now() - t0;
    const cpu = processCpuMs(cluster.pid(leader)) - cpu0;
    await Bun.sleep(500);
    const now = await cluster.waitForLeader(60_000);
    const term = (await cluster.status(now))?.term ?? 0;
    const changes = (await metric(cluster, leader, "yakt_raft_leader_changes_total").catch(() => -1)) - changesBefore;
    const peak = await metric(cluster, leader, "yakt_event_loop_pauses_over_100ms_total").catch(() => -1);
    sum.terms += term - termBefore;
    if (term > termBefore) sum.roundsWithElections++;
    sum.pauses += peak - lagBefore;
    sum.cpuMs.push(cpu);
    console.log(`round ${r + 1}: follower ${follower} caught up in ${ms.toFixed(0)} ms; leader ${leader} → ${now}, term ${termBefore} → ${term}, leader changes seen by ${leader}: ${changes}; leader's pauses over 100 ms ${peak - lagBefore}, leader CPU ${cpu.toFixed(0)} ms; load ${loadavg()[0].toFixed(1)}`);
    for (const id of cluster.ids) {
      const log = cluster.log(id).slice(id === follower ? 0 : (logAt.get(id) ?? 0));
      for (const line of log.split("\n").filter((l) => LINES.test(l))) console.log(`  node ${id}: ${line.slice(0, 300)}`);
    }
  }
  sum.cpuMs.sort((a, b) => a - b);
  console.log(`${ROUNDS} rounds: ${sum.roundsWithElections} with an election (term +${sum.terms} in all), leader pauses over 100 ms ${sum.pauses}, leader CPU per catch-up median ${sum.cpuMs[Math.floor(ROUNDS / 2)].toFixed(0)} ms; load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
} finally {
  await beats.stop();
  await cluster.stopAll();
}
