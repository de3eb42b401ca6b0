// Where a node's memory goes at scale: ONE dist/yakt node filled through the REST API with topics
// of 100 partitions (RF 3, 30 brokers on 6 racks) up to --partitions, then its resident set and
// JavaScript heap (the /metrics gauges) after each big one-off operation, each after a settle:
// the fill, POST /v1/snapshots, a full image GET, kill -9 and restart (snapshot load), and the
// image GET again. CPU is the node's user+system time from /proc, so runs on a loaded machine
// compare. Usage: make build && bun scripts/bench/node-memory.ts [--partitions N] [--settle-ms 5000]
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { http } from "../../test/cluster/support/http.ts";
import { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { waitUntil } from "../../test/node/support/wait-until.ts";
import { positiveIntFlag as flag } from "./flags.ts";
import { gaugeMiB, RACKS, rssMiB } from "./scale-steps.ts";

const BROKERS = 30;
const PER_TOPIC = 100;
const WRITERS = 16;
const STEP_TIMEOUT_MS = 300_000;
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of a process so far (fields 14 and 15 of /proc/<pid>/stat). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Waits `settleMs`, then prints RSS, heap and the node's CPU since the last sample. */
async function sample(cluster: ProcessCluster, step: string, settleMs: number, last: { pid: number; cpu: number }): Promise<void> {
  await Bun.sleep(settleMs);
  const pid = cluster.pid(1);
  const heap = await gaugeMiB(cluster, 1, "yakt_heap_bytes");
  const cpu = cpuSeconds(pid);
  // A restarted node is a new process: its CPU counts from zero.
  const spent = pid === last.pid ? cpu - last.cpu : cpu;
  Object.assign(last, { pid, cpu });
  const cols = [step.padEnd(28), `RSS ${rssMiB(pid).toFixed(0).padStart(5)} MiB`, `heap ${heap.toFixed(0).padStart(5)} MiB`, `CPU ${spent.toFixed(1).padStart(6)} s`, `load ${loadavg()[0].toFixed(1)}`];
  console.log(cols.join("  "));
}

async function create(cluster: ProcessCluster, path: string, body: unknown): Promise<void> {
  await waitUntil(`POST ${path}`, async () => [201, 409].includes((await http("POST", cluster.url(1, path), body, 30_000)).status), STEP_TIMEOUT_MS, 50);
}

async function fill(cluster: ProcessCluster, partitions: number): Promise<void> {
  for (let b = 1; b <= BROKERS; b++) {
    await create(cluster, "/v1/brokers", { brokerId: b, brokerHost: `host${b}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `rack${b % RACKS}` });
  }
  const topics = Math.ceil(partitions / PER_TOPIC);
  let next = 0;
  const writer = async () => {
    while (next < topics) {
      const t = next++;
      await create(cluster, "/v1/topics", { name: `scale-${t}`, partitions: Math.min(PER_TOPIC, partitions - t * PER_TOPIC), replicationFactor: 3 });
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}

/** The full image, read to its end and dropped. */
async function imageGet(cluster: ProcessCluster): Promise<void> {
  const res = await fetch(cluster.url(1, "/v1/client-mgmt/metadata"), { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  if (res.status !== 200) throw new Error(`full metadata GET answered ${res.status}`);
  const reader = res.body?.getReader();
  for (;;) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) break;
  }
}

const partitions = flag("--partitions", 1_000_000);
const settleMs = flag("--settle-ms", 5_000);
const cluster = new ProcessCluster(1, ["--session-timeout-ms", "3600000"]);
const last = { pid: 0, cpu: 0 };
try {
  cluster.startAll();
  await cluster.waitForLeader();
  await sample(cluster, "started", settleMs, last);
  // Bounded: each create is retried for at most STEP_TIMEOUT_MS.
  await fill(cluster, partitions);
  await sample(cluster, `filled to ${partitions}`, settleMs, last);
  const snap = await http("POST", cluster.url(1, "/v1/snapshots"), undefined, STEP_TIMEOUT_MS);
  if (snap.status !== 201) throw new Error(`POST /v1/snapshots: ${snap.status} ${JSON.stringify(snap.body)}`);
  await sample(cluster, "after POST /v1/snapshots", settleMs, last);
  await imageGet(cluster);
  await sample(cluster, "after a full image GET", settleMs, last);
  const applied = (await cluster.status(1))?.appliedOffset ?? 0;
  await cluster.kill(1);
  cluster.start(1);
  await waitUntil("the restarted node to apply its log", async () => ((await cluster.status(1))?.appliedOffset ?? 0) >= applied, STEP_TIMEOUT_MS, 20);
  await sample(cluster, "after kill -9 and restart", settleMs, last);
  await imageGet(cluster);
  await sample(cluster, "after a full image GET", settleMs, last);
} finally {
  await cluster.stopAll();
}
