// Where a topic GET's time goes at scale: one 3-node cluster of dist/yakt (or YAKT_BINARY) filled
// once through the REST API like `make bench-scale` (SCALE_TOPICS topics × 100 partitions, RF 3,
// 30 brokers kept alive by heartbeats), then the bench's topic-GET row (GETS GETs of random topics
// to the leader, 4 clients) ROUNDS times, linearizable and stale: p50/p99, and CPU per GET of the
// leader (its system part apart), of the two followers and of this generator (/proc utime+stime),
// with the read-index rounds the leader took per GET and the disk writes (persist batches) of each
// node meanwhile. Every row reads the bench's topics (its seeded sequence): the first linearizable
// row starts with none of their bodies kept (src/api/topic-bodies.ts), the later rows read them again.
// Each row also says what the leader saw of it (topic-get-server.ts): its own time per GET, split
// at 1, 5 and 10 ms, its longest loop pause, the bodies it built and kept, and what the cluster
// committed meanwhile and how its brokers stand (a fencing storm rewrites partitions during a row).
// AFTER_INSTALL=1 first does what bench-scale does before its second row — a snapshot, kill -9 and
// restart of a follower and then of the leader, a follower's install of the leader's snapshot —
// so the first row is bench-scale's "just after the restarts and the install".
// WRITERS=n runs n loops of broker updates on the leader during each row (reads under writes; the
// nodes' CPU per GET then includes the writes'). Not a test; a tool for comparing two builds back to back:
//   YAKT_BINARY=/tmp/yakt-old nice -n 5 bun run scripts/bench/topic-get.ts
//   SCALE_TOPICS=1000 ROUNDS=2 bun run scripts/bench/topic-get.ts          (a quick try)
//   AFTER_INSTALL=1 ROUNDS=1 bun run scripts/bench/topic-get.ts   (bench-scale's second row, then again)
//   AFTER_START=1 bun run scripts/bench/topic-get.ts   (instead of the rows: GETs at a follower
//     restarted with kill -9, at 0, 1, 5 and 20 s after it caught up; after-start.ts; REPLAY=1
//     restarts it without a snapshot, so it replays its whole log)
//   PROFILE=1 BUN_OPTIONS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" SCALE_TOPICS=300 GETS=20000 bun run scripts/bench/topic-get.ts
import "./memory-options.ts";
import { loadavg } from "node:os";
import { BINARY, ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { afterStart } from "./after-start.ts";
import { processCpuMs, processSystemCpuMs } from "./cpu.ts";
import { Heartbeats, fill, followerInstall, killAndCatchUp, metric, p, snapshotNow, topicGets } from "./scale-steps.ts";
import { ServerView } from "./topic-get-server.ts";

const TOPICS = Number(process.env.SCALE_TOPICS ?? 10_000);
const GETS = Number(process.env.GETS ?? 3_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** Writers updating brokers on the leader while each row runs (reads under write load); 0 by default. */
const WRITERS = Number(process.env.WRITERS ?? 0);
/** The rows just after bench-scale's restarts and install (1), or on the cluster as the fill left it (0). */
const AFTER_INSTALL = process.env.AFTER_INSTALL === "1";
/** Restarts of a follower timed by after-start.ts instead of the rows (0: the rows). */
const AFTER_START = Number(process.env.AFTER_START ?? 0);
const AFTER_START_DELAYS_S = [0, 1, 5, 20];
const PARTITIONS = 100;
const BROKERS = 30;
const CLIENTS = 4;
const APPLY_WAIT_MS = 600_000;
const LEADER_WAIT_MS = 60_000;

const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
const us = (cpuMs: number, gets: number) => `${((cpuMs * 1000) / Math.max(1, gets)).toFixed(0)}µs`;

/** `WRITERS` loops of broker updates on the leader until `stop` resolves; how many were acknowledged. */
async function writeLoad(cluster: ProcessCluster, leader: number, stop: Promise<unknown>): Promise<number> {
  let done = false;
  let acknowledged = 0;
  void stop.then(() => (done = true));
  const writer = async (w: number) => {
    for (let k = 0; !done; k++) {
      const id = 1 + ((w + k * WRITERS) % BROKERS);
      const init = { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ brokerHost: `b${id}-${k}.scale` }), signal: AbortSignal.timeout(30_000) };
      const res = await fetch(cluster.url(leader, `/v1/brokers/${id}`), init).catch(() => null);
      await res?.arrayBuffer();
      if (res?.status === 200) acknowledged++;
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  return acknowledged;
}

/** One row: the GETs, with the CPU every process spent on them and the leader's read rounds. */
async function row(cluster: ProcessCluster, leader: number, stale: boolean): Promise<string> {
  const nodes = cluster.live();
  const cpu0 = nodes.map((id) => processCpuMs(cluster.pid(id)));
  const sys0 = processSystemCpuMs(cluster.pid(leader));
  const persists0 = await Promise.all(nodes.map((id) => metric(cluster, id, "yakt_raft_persist_batches_total")));
  // The last reading of the leader's /metrics before the GETs: its loop-pause window starts here.
  const server = await ServerView.start(cluster, leader);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const gets = topicGets(cluster, leader, { topics: TOPICS, requests: GETS, clients: CLIENTS, stale });
  const writes = writeLoad(cluster, leader, gets);
  const latencies = await gets;
  const seconds = (performance.now() - t0) / 1000;
  const written = await writes;
  const self = process.cpuUsage(self0);
  const seen = await server.finish(latencies.length);
  const persists = await Promise.all(nodes.map(async (id, i) => (await metric(cluster, id, "yakt_raft_persist_batches_total")) - persists0[i]));
  const cpu = nodes.map((id, i) => `n${id}${id === leader ? "*" : ""} ${us(processCpuMs(cluster.pid(id)) - cpu0[i], latencies.length)}`);
  const leaderSys = us(processSystemCpuMs(cluster.pid(leader)) - sys0, latencies.length);
  const kind = stale ? "stale       " : "linearizable";
  return (
    `${kind} p50 ${p(latencies, 50).toFixed(2)} ms p99 ${p(latencies, 99).toFixed(2)} ms max ${p(latencies, 100).toFixed(1)} ms, ` +
    `${(latencies.length / seconds).toFixed(0)} GET/s, ${latencies.length} ok | CPU per GET ${cpu.join(" ")} (leader system ${leaderSys}) gen ${us((self.user + self.system) / 1000, latencies.length)} | ` +
    `${(written / seconds).toFixed(0)} writes/s, disk writes ${persists.join("/")} | load ${load()}\n             leader's view: ${seen}`
  );
}

/** bench-scale's steps before its second row (snapshot, follower and leader restarts, an install); the leader after them. */
async function restartsAndInstall(cluster: ProcessCluster, leader: number): Promise<number> {
  await snapshotNow(cluster, leader);
  const follower = cluster.live().find((id) => id !== leader) ?? leader;
  const shown = ({ ms, nodePauseMs }: { ms: number; nodePauseMs: number }) => `${(ms / 1000).toFixed(2)} s, longest pause ${nodePauseMs} ms`;
  console.log(`follower ${follower} kill -9 and caught up: ${shown(await killAndCatchUp(cluster, follower))}`);
  const victim = await cluster.waitForLeader(LEADER_WAIT_MS);
  console.log(`leader ${victim} kill -9 and caught up: ${shown(await killAndCatchUp(cluster, victim))}`);
  const sender = await cluster.waitForLeader(LEADER_WAIT_MS);
  const receiver = cluster.live().find((id) => id !== sender) ?? sender;
  console.log(`follower ${receiver} installed leader ${sender}'s snapshot: ${shown(await followerInstall(cluster, sender, receiver))}`);
  return cluster.waitForLeader(LEADER_WAIT_MS);
}

async function main(): Promise<void> {
  console.log(`binary ${BINARY}; ${TOPICS} topics × ${PARTITIONS} partitions; load ${load()}`);
  const cluster = new ProcessCluster(3);
  try {
    cluster.startAll();
    let leader = await cluster.waitForLeader();
    const beats = new Heartbeats(cluster, BROKERS);
    await beats.register(leader);
    try {
      const filled = await fill(cluster, () => leader, { topics: TOPICS, partitions: PARTITIONS, clients: 8, samples: 1 });
      console.log(`fill: ${filled.created} topics in ${filled.seconds.toFixed(1)} s`);
      leader = await cluster.waitForLeader();
      await cluster.waitApplied((await cluster.status(leader))?.commitOffset ?? 0, APPLY_WAIT_MS);
      // Warms the JIT on the first 100 topics only: the first row then reads topics no GET has read
      // yet (no kept body: the bench's own row), and the later rows read the same topics again.
      await topicGets(cluster, leader, { topics: Math.min(100, TOPICS), requests: GETS, clients: CLIENTS });
      if (AFTER_INSTALL) leader = await restartsAndInstall(cluster, leader);
      for (let r = 0; r < AFTER_START; r++) {
        const lines = await afterStart(cluster, { topics: TOPICS, gets: GETS, clients: CLIENTS, delaysS: AFTER_START_DELAYS_S, stale: process.env.STALE === "1", replay: process.env.REPLAY === "1" });
        for (const line of lines) console.log(line);
        console.log(`load ${load()}`);
      }
      for (let r = 0; r < (AFTER_START > 0 ? 0 : ROUNDS); r++) {
        console.log(`${r === 0 ? "first pass" : "again     "} ${await row(cluster, leader, false)}`);
        console.log(`again      ${await row(cluster, leader, true)}`);
      }
      if (process.env.PROFILE) {
        // A graceful stop lets the nodes write their profiles (BUN_OPTIONS=--cpu-prof-md ...).
        for (const id of cluster.live()) process.kill(cluster.pid(id), "SIGTERM");
        await Bun.sleep(3000);
      }
    } finally {
      await beats.stop();
    }
  } finally {
    await cluster.stopAll();
  }
}

await main();
