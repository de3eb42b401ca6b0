// The memory a node takes to start (issue 10): ONE node filled with --topics topics × 100
// partitions, its snapshot taken, then --rounds times for each build named in --builds: kill -9,
// start it (restore from the snapshot, the collection, the warm-up), and report its highest RSS
// from its start until it answers (the kernel's VmHWM), its RSS, heap and external when it answers
// and 3 s later, its warm_up_done line (with the memory the warm-up found and left), and the first
// 2,000 stale topic GETs after it (8 batches of 250: the node's CPU per GET and p99), which the
// warm-up is there to make cheap. The builds take turns on the same data dir, so they compare back
// to back in the same conditions. No peer sends a snapshot here: snapshot-send-memory.ts measures
// the restart that overlaps an install. Not a test:
//   make build && nice -n 5 bun scripts/bench/start-memory.ts --builds dist/yakt,/tmp/yakt-old [--topics 10000] [--rounds 2]
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { buildLink, buildsFlag } from "./build-link.ts";
import { positiveIntFlag } from "./flags.ts";

const TOPICS = positiveIntFlag("--topics", 10_000);
const ROUNDS = positiveIntFlag("--rounds", 2);
const BATCHES = 8;
const BATCH_GETS = 250;
const SAMPLE_MS = 10;
const builds = buildsFlag();
// The cluster runs the binary behind a link, pointed at the build whose turn it is (build-link.ts).
const link = buildLink("start-memory", builds[0]);
const { ProcessCluster } = await import("../../test/cluster/support/process-cluster.ts");
const { waitUntil } = await import("../../test/node/support/wait-until.ts");
const { processCpuMs } = await import("./cpu.ts");
const { Heartbeats, fill, gaugeMiB, nodePauseMs, p, rssMiB, topicGets } = await import("./scale-steps.ts");
type Cluster = InstanceType<typeof ProcessCluster>;

/** CPU ms a process has run so far, from the nanosecond counters of its threads' schedstat (/proc's stat counts 10-ms ticks: 40 µs a GET over 250 GETs). */
function preciseCpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
  return ns / 1e6;
}

const kib = (pid: number, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN);

/** The node's RSS, heap and external (MiB) from /metrics. */
async function split(cluster: Cluster): Promise<string> {
  const heap = await gaugeMiB(cluster, 1, "yakt_heap_bytes");
  const external = await gaugeMiB(cluster, 1, "yakt_external_bytes");
  return `RSS ${rssMiB(cluster.pid(1)).toFixed(0)} (heap ${heap.toFixed(0)} of which external ${external.toFixed(0)})`;
}

/** The highest RSS of a process, read from /proc every SAMPLE_MS until stop(), and when (ms after the start). */
function sampleRss(pid: number): { high: { mib: number; atMs: number }; stop(): void } {
  const t0 = performance.now();
  const sampler = { high: { mib: 0, atMs: 0 }, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    const mib = rssMiB(pid);
    if (mib > sampler.high.mib) sampler.high = { mib, atMs: performance.now() - t0 };
  }, SAMPLE_MS);
  return sampler;
}

/** One restart of the node on `build`: lines to print. */
async function restart(cluster: Cluster, build: string): Promise<string> {
  await cluster.kill(1);
  link.pointAt(build);
  const t0 = performance.now();
  cluster.start(1);
  const pid = cluster.pid(1);
  const sampler = sampleRss(pid);
  try {
    await waitUntil("node 1 answers", async () => (await cluster.status(1)) !== null, 120_000, 5);
  } finally {
    sampler.stop();
  }
  const high = sampler.high;
  const answersMs = performance.now() - t0;
  const cpuToAnswer = processCpuMs(pid);
  const hwm = kib(pid, "VmHWM") / 1024;
  const atAnswer = await split(cluster);
  const batches: string[] = [];
  // The GETs ask for zstd (Bun's fetch) and miss the kept bodies (topics not read before): the steady path's compression.
  const duringGets = sampleRss(pid);
  for (let b = 0; b < BATCHES; b++) {
    // Read before the batch: the node's longest pause counts from here.
    await nodePauseMs(cluster, 1);
    const c0 = preciseCpuMs(pid);
    const g = await topicGets(cluster, 1, { topics: TOPICS, requests: BATCH_GETS, clients: 2, stale: true, seed: 1000 * b + 7 });
    const cpu = ((preciseCpuMs(pid) - c0) * 1000) / g.length;
    batches.push(`${cpu.toFixed(0)}/${p(g, 50).toFixed(1)}/${p(g, 99).toFixed(1)}/${(await nodePauseMs(cluster, 1)).toFixed(0)}`);
  }
  duringGets.stop();
  await Bun.sleep(3_000);
  const warm = cluster.log(1).split("\n").findLast((l) => l.includes('"warm_up_done"')) ?? "no warm_up_done line";
  return [
    `${build}: answers after ${answersMs.toFixed(0)} ms (CPU ${cpuToAnswer.toFixed(0)} ms); highest RSS ${hwm.toFixed(0)} MiB (VmHWM; sampled ${high.mib.toFixed(0)} at ${high.atMs.toFixed(0)} ms)`,
    `  when it answers: ${atAnswer}; after the GETs and 3 s: ${await split(cluster)}`,
    `  first ${BATCHES}×${BATCH_GETS} stale GETs, CPU µs/p50/p99/longest pause ms: ${batches.join(" ")}; highest RSS meanwhile ${duringGets.high.mib.toFixed(0)} MiB`,
    `  ${warm.slice(warm.indexOf('"event"'), 600)}`,
  ].join("\n");
}

async function main(): Promise<void> {
  console.log(`${TOPICS * 100} partitions, builds ${builds.join(", ")}; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the start`);
  // Brokers stay registered across the restarts (their sessions would time out while the node is down).
  const cluster = new ProcessCluster(1, ["--session-timeout-ms", "3600000"]);
  try {
    cluster.startAll();
    const leader = await cluster.waitForLeader(60_000);
    const beats = new Heartbeats(cluster, 30);
    await beats.register(leader);
    try {
      const filled = await fill(cluster, () => leader, { topics: TOPICS, partitions: 100, clients: 8, samples: 1 });
      console.log(`fill: ${filled.created} topics in ${filled.seconds.toFixed(1)} s`);
      const snap = await fetch(cluster.url(1, "/v1/snapshots"), { method: "POST", signal: AbortSignal.timeout(600_000) });
      if (snap.status !== 201) throw new Error(`snapshot answered ${snap.status}`);
      for (let r = 0; r < ROUNDS; r++) {
        for (const build of builds) console.log(`round ${r + 1}, load ${loadavg()[0].toFixed(1)}: ${await restart(cluster, build)}`);
      }
    } finally {
      await beats.stop();
    }
  } finally {
    await cluster.stopAll();
    link.remove();
    console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the end`);
  }
}

await main();
