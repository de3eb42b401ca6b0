// A 3-node cluster of dist/yakt filled through the REST API with topics of 100 partitions (RF 3,
// 30 brokers on 6 racks) up to --partitions, then: RSS per node, POST /v1/snapshots on each node,
// a follower and then the leader killed with SIGKILL and restarted, each timed from the kill until
// it answers again and until it has applied everything the cluster had committed at the kill.
// Brokers never heartbeat here: the nodes run with a one-hour session timeout, so no fence churns
// the fill. Every wait is bounded. Usage: make build && bun scripts/bench/restart-scale.ts [--partitions N]
import { readFileSync } from "node:fs";
import { http } from "../../test/cluster/support/http.ts";
import { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { waitUntil } from "../../test/node/support/wait-until.ts";

const BROKERS = 30;
const RACKS = 6;
const PER_TOPIC = 100;
const WRITERS = 16;
const FILL_TIMEOUT_MS = 30 * 60_000;
const RESTART_TIMEOUT_MS = 120_000;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
}

/** A write to whichever node leads now; a 503 or a dead node moves on to the leader it names. */
async function write(cluster: ProcessCluster, leader: { id: number }, path: string, body: unknown): Promise<void> {
  const deadline = Date.now() + RESTART_TIMEOUT_MS;
  for (;;) {
    const r = await http("POST", cluster.url(leader.id, path), body, 30_000);
    if (r.status === 201) return;
    if (r.status === 409) return; // a retry of a write that did commit
    if (Date.now() > deadline) throw new Error(`POST ${path} kept failing: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    leader.id = await cluster.waitForLeader(RESTART_TIMEOUT_MS);
  }
}

async function fill(cluster: ProcessCluster, leader: { id: number }, partitions: number): Promise<number> {
  for (let b = 1; b <= BROKERS; b++) {
    await write(cluster, leader, "/v1/brokers", { brokerId: b, brokerHost: `host${b}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `rack${b % RACKS}` });
  }
  const topics = Math.ceil(partitions / PER_TOPIC);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < topics) {
        const t = next++;
        await write(cluster, leader, "/v1/topics", { name: `scale-${t}`, partitions: Math.min(PER_TOPIC, partitions - t * PER_TOPIC), replicationFactor: 3 });
      }
    }),
  );
  return partitions / ((performance.now() - started) / 1000);
}

async function committed(cluster: ProcessCluster, id: number): Promise<number> {
  const status = await cluster.status(id);
  if (!status) throw new Error(`node ${id} does not answer /v1/cluster`);
  return status.commitOffset;
}

/** SIGKILL `id`, start it again; ms until it answers and until it applied what was committed at the kill. */
async function restart(cluster: ProcessCluster, id: number, other: number): Promise<{ answerMs: number; caughtUpMs: number }> {
  const target = Math.max(await committed(cluster, id), await committed(cluster, other));
  const started = performance.now();
  await cluster.kill(id);
  cluster.start(id);
  await waitUntil(`node ${id} to answer after its restart`, () => cluster.status(id), RESTART_TIMEOUT_MS, 5);
  const answerMs = performance.now() - started;
  await waitUntil(`node ${id} to apply ${target}`, async () => ((await cluster.status(id))?.appliedOffset ?? 0) >= target, RESTART_TIMEOUT_MS, 5);
  return { answerMs, caughtUpMs: performance.now() - started };
}

const partitions = Number(flag("--partitions") ?? 1_000_000);
if (!Number.isSafeInteger(partitions) || partitions < 1) throw new RangeError(`--partitions must be a positive integer, got ${flag("--partitions")}`);
const cluster = new ProcessCluster(3, ["--session-timeout-ms", "3600000"]);
try {
  cluster.startAll();
  const leader = { id: await cluster.waitForLeader() };
  const rate = await waitUntil("the fill", () => fill(cluster, leader, partitions), FILL_TIMEOUT_MS);
  await cluster.waitApplied(await committed(cluster, leader.id), RESTART_TIMEOUT_MS);
  console.log(`filled ${partitions} partitions at ${rate.toFixed(0)} partitions/s`);
  console.log(`RSS after the fill (MiB): ${cluster.live().map((id) => `node ${id} ${rssMiB(cluster.pid(id))}`).join(", ")}`);
  for (const id of cluster.live()) {
    const started = performance.now();
    const r = await http("POST", cluster.url(id, "/v1/snapshots"), undefined, RESTART_TIMEOUT_MS);
    if (r.status !== 201) throw new Error(`POST /v1/snapshots on node ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    console.log(`POST /v1/snapshots on node ${id}${id === leader.id ? " (leader)" : ""}: ${(performance.now() - started).toFixed(0)} ms`);
  }
  leader.id = await cluster.waitForLeader();
  const follower = cluster.live().find((id) => id !== leader.id) ?? 0;
  const f = await restart(cluster, follower, leader.id);
  console.log(`follower ${follower} kill -9 -> answering ${f.answerMs.toFixed(0)} ms, caught up ${f.caughtUpMs.toFixed(0)} ms`);
  const old = leader.id;
  const l = await restart(cluster, old, follower);
  console.log(`leader ${old} kill -9 -> answering ${l.answerMs.toFixed(0)} ms, caught up ${l.caughtUpMs.toFixed(0)} ms`);
  console.log(`RSS after the restarts (MiB): ${cluster.live().map((id) => `node ${id} ${rssMiB(cluster.pid(id))}`).join(", ")}`);
} finally {
  await cluster.stopAll();
}
