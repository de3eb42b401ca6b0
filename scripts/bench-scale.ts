// `make bench-scale`: issue 10's table on a 3-node cluster of dist/yakt filled through the REST API
// with 10,000 topics × 100 partitions (RF 3, 30 brokers on 6 racks): fill rate, RSS per node (and
// a plot of it as the partitions grow), the full metadata GET, POST /v1/snapshots, kill -9 and
// catch-up of a follower and of the leader, a follower's install of the leader's snapshot, topic
// GET p50/p99, and leader failover at that size; with each operation the longest event-loop pause
// the serving node measured itself (its /metrics probe).
// Printed as a table and written to its section of bench/RESULTS.md. Not a test.
//   SCALE_TOPICS=1000 bun run scripts/bench-scale.ts     (a smaller fill, e.g. to try it)
//   SCALE_TOPICS=20000 bun run scripts/bench-scale.ts    (2M partitions: its own section, "at 2M")
import "./bench/memory-options.ts";
import { existsSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { ProcessCluster } from "../test/cluster/support/process-cluster.ts";
import { writeSection } from "./bench/results-file.ts";
import { describeSample, peaks, SAMPLE_EVERY_MS } from "./bench/fill-memory.ts";
import { type BigRead, type FillResult, Heartbeats, type NodeMemory, RACKS, type Timed, failover, fill, followerInstall, fullMetadata, gaugeMiB, killAndCatchUp, memoryOf, p, rssMiB, snapshotNow, topicGets } from "./bench/scale-steps.ts";
import { lineChart } from "./bench/svg.ts";

const ROOT = resolve(import.meta.dir, "..");
const TOPICS = Number(process.env.SCALE_TOPICS ?? 10_000);
const PARTITIONS = 100;
const BROKERS = 30;
const FILL_CLIENTS = 8;
const GETS = 3_000;
const FAILOVER_TRIALS = 5;
/** How long the nodes settle before each memory sample (a one-off peak's garbage gets collected). */
const SETTLE_MS = 3_000;
/** The 1M run owns the section `make bench-scale`; another size writes its own beside it. */
const MILLIONS = (TOPICS * PARTITIONS) / 1e6;
const SECTION = TOPICS === 10_000 ? "make bench-scale" : `make bench-scale at ${MILLIONS}M`;

/** A measure, or why it could not be taken (the cluster may not survive every step at this size). */
type Step<T> = { ok: true; value: T } | { ok: false; error: string };

async function step<T>(name: string, run: () => Promise<T>): Promise<Step<T>> {
  try {
    const value = await run();
    console.log(`${name}: done`);
    return { ok: true, value };
  } catch (error) {
    const message = (error as Error).message.split("\n")[0].slice(0, 160);
    console.log(`${name}: failed: ${message}`);
    return { ok: false, error: message };
  }
}

/** A restart or catch-up: its time and the longest pause of the node's own loop meanwhile. */
interface Restart {
  ms: number;
  nodePauseMs: number;
}

interface Measures {
  fill: FillResult;
  rss: number[];
  /** JavaScript heap per node after the fill (the yakt_heap_bytes gauge), MiB. */
  heap: number[];
  full: Step<BigRead>;
  snapshot: Step<Timed>;
  followerRestart: Step<Restart>;
  leaderRestart: Step<Restart>;
  install: Step<Restart>;
  rssAfterRestart: number[];
  /** Each node's memory after each step, and which node the step was done to. */
  memory: [string, NodeMemory[]][];
  /** Topic GETs on the cluster as the fill left it (every node warm), and again after the restarts and the install. */
  steadyGets: Step<number[]>;
  gets: Step<number[]>;
  /** Kill -9 of the leader → next acknowledged write, FAILOVER_TRIALS times (the victim restarted and caught up between). */
  failoverMs: Step<number[]>;
}

const LEADER_WAIT_MS = 60_000;

async function measure(cluster: ProcessCluster): Promise<Measures> {
  let leader = await cluster.waitForLeader();
  const beats = new Heartbeats(cluster, BROKERS);
  await beats.register(leader);
  try {
    const fillResult = await fill(cluster, () => leader, { topics: TOPICS, partitions: PARTITIONS, clients: FILL_CLIENTS, samples: 20, sampleEveryMs: SAMPLE_EVERY_MS });
    console.log(`fill: ${fillResult.created} topics in ${fillResult.seconds.toFixed(1)} s, ${fillResult.failed} failed attempts`);
    leader = await cluster.waitForLeader(LEADER_WAIT_MS);
    const commit = (await cluster.status(leader))?.commitOffset ?? 0;
    await cluster.waitApplied(commit, 600_000);
    const rss = cluster.live().map((id) => rssMiB(cluster.pid(id)));
    const heap = await Promise.all(cluster.live().map((id) => gaugeMiB(cluster, id, "yakt_heap_bytes")));
    const memory: [string, NodeMemory[]][] = [];
    const sample = async (what: string) => memory.push([what, await memoryOf(cluster, SETTLE_MS)]);
    await sample(`after the fill (leader ${leader})`);
    const steadyGets = await step("topic GETs (steady)", () => topicGets(cluster, leader, { topics: TOPICS, requests: GETS, clients: 4 }));
    const full = await step("full GET", () => fullMetadata(cluster, leader));
    const snapshot = await step("snapshot", () => snapshotNow(cluster, leader));
    await sample(`after the full GET and POST /v1/snapshots on the leader (${leader})`);
    const follower = cluster.live().find((id) => id !== leader) ?? leader;
    const followerRestart = await step("follower restart", () => killAndCatchUp(cluster, follower));
    await sample(`after follower ${follower} kill -9, restart (own snapshot loaded), catch-up`);
    let victim = 0;
    const leaderRestart = await step("leader restart", async () => killAndCatchUp(cluster, (victim = await cluster.waitForLeader(LEADER_WAIT_MS))));
    await sample(`after leader ${victim} kill -9, restart, catch-up`);
    let sender = 0;
    let receiver = 0;
    const install = await step("follower install", async () => {
      sender = await cluster.waitForLeader(LEADER_WAIT_MS);
      receiver = cluster.live().find((id) => id !== sender) ?? sender;
      return followerInstall(cluster, sender, receiver);
    });
    await sample(`after follower ${receiver} installed the snapshot of leader ${sender}`);
    const rssAfterRestart = cluster.live().map((id) => rssMiB(cluster.pid(id)));
    const gets = await step("topic GETs (after the restarts)", async () => topicGets(cluster, await cluster.waitForLeader(LEADER_WAIT_MS), { topics: TOPICS, requests: GETS, clients: 4 }));
    const failoverMs = await step("failover", async () => {
      const trials: number[] = [];
      for (let t = 0; t < FAILOVER_TRIALS; t++) {
        trials.push(await failover(cluster, LEADER_WAIT_MS));
        // The victim is started again at once; the next trial waits until it has caught up.
        const leader = await cluster.waitForLeader(LEADER_WAIT_MS);
        await cluster.waitApplied((await cluster.status(leader))?.commitOffset ?? 0, 600_000);
      }
      console.log(`failover trials: ${trials.map((t) => t.toFixed(0)).join(", ")} ms`);
      return trials;
    });
    return { fill: fillResult, rss, heap, full, snapshot, followerRestart, leaderRestart, install, rssAfterRestart, memory, steadyGets, gets, failoverMs };
  } finally {
    console.log(`heartbeat answers cut (not read): ${beats.cut.images} images, ${beats.cut.diffs} diffs of records written meanwhile`);
    await beats.stop();
  }
}

const mib = (values: number[]) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} MiB`;
const ms = (n: number) => `${Number.isFinite(n) ? n.toFixed(n < 10 ? 1 : 0) : "n/a"} ms`;
const restart = (r: Restart) => `${ms(r.ms)}; longest pause after its start ${ms(r.nodePauseMs)}`;
const getRow = (g: number[]) => `${ms(p(g, 50))} / ${ms(p(g, 99))} (${g.length} GETs, 4 clients)`;
const shown = <T>(s: Step<T>, text: (v: T) => string) => (s.ok ? text(s.value) : `not measured: ${s.error}`);

/** Each node's highest RSS sampled every SAMPLE_EVERY_MS through the fill, and what it was made of. */
function fillPeaks(f: FillResult): string {
  const highest = peaks(f.timed);
  if (highest.length === 0) return "not sampled";
  return `${mib(highest.map((s) => s.rss))} (${f.timed.length} samples every ${SAMPLE_EVERY_MS} ms; ${highest.map(describeSample).join("; ")})`;
}

function table(m: Measures): string {
  const partitions = m.fill.created * PARTITIONS;
  const rows: [string, string, string][] = [
    ["fill rate", `${(partitions / m.fill.seconds).toFixed(0)} partitions/s (${m.fill.failed} failed create attempts, retried)`, "no failed create; ≥ 50,000/s"],
    ["RSS per node", `${mib(m.rss)} (JavaScript heap ${mib(m.heap)}); ${mib(m.rssAfterRestart)} after the restarts`, MILLIONS >= 2 ? "≤ 1 GiB at 2M partitions" : "≤ 512 MiB at 1M partitions"],
    ["RSS per node, highest during the fill", fillPeaks(m.fill), MILLIONS >= 2 ? "≤ 1 GiB" : "≤ 512 MiB at every moment"],
    [
      "full `GET /v1/client-mgmt/metadata`",
      shown(m.full, (f) => `${(f.bytes / 2 ** 20).toFixed(0)} MiB: first byte ${ms(f.firstByteMs)}, whole ${ms(f.totalMs)}; longest pause ${ms(f.nodePauseMs)} (slowest /healthz ${ms(f.longestProbeMs)})`),
      "first byte ≤ 100 ms; ≤ 5 s whole; no pause > 20 ms",
    ],
    ["`POST /v1/snapshots`", shown(m.snapshot, (s) => `${ms(s.ms)}; longest pause ${ms(s.nodePauseMs)} (slowest /healthz ${ms(s.longestProbeMs)})`), "≤ 2 s, no pause > 20 ms"],
    ["follower kill -9 → restarted and caught up", shown(m.followerRestart, restart), "≤ 3 s"],
    ["leader kill -9 → restarted and caught up", shown(m.leaderRestart, restart), "≤ 3 s"],
    ["follower behind the leader's log → installs its snapshot, caught up", shown(m.install, restart), "no pause > 20 ms"],
    ["topic GET p50 / p99, the cluster as the fill left it", shown(m.steadyGets, getRow), "≤ 1 / 5 ms"],
    ["topic GET p50 / p99, just after the restarts and the install", shown(m.gets, getRow), "≤ 1 / 5 ms"],
    ["leader failover", shown(m.failoverMs, (t) => `median ${ms(p(t, 50))}, max ${ms(p(t, 100))} of ${t.length} kill -9s (${t.map((x) => x.toFixed(0)).join(", ")} ms)`), "≤ 250 ms"],
  ];
  return ["| measure | this run | goal |", "|---|---|---|", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/**
 * RSS of each node after each step and where it is: which node and which step holds memory, and
 * whether in live objects and garbage (heap), buffers (external), the executable (file) or the
 * allocators' free memory and caches (other).
 */
function memoryTable(m: Measures): string {
  const nodes = [...new Set(m.memory.flatMap(([, row]) => row.map((n) => n.node)))].sort((a, b) => a - b);
  const cell = (row: NodeMemory[], node: number) => {
    const n = row.find((x) => x.node === node);
    if (n === undefined) return "down";
    // Bun's heap gauge counts the external bytes too (as the collector's extra memory).
    const other = n.rss - n.file - n.heap;
    return `${n.rss.toFixed(0)} MiB (heap ${n.heap.toFixed(0)} of which external ${n.external.toFixed(0)}, file ${n.file.toFixed(0)}, other ${other.toFixed(0)})`;
  };
  const head = `| after (settled ${SETTLE_MS / 1000} s) | ${nodes.map((n) => `node ${n} RSS (heap of which external, file, other)`).join(" | ")} |`;
  const rows = m.memory.map(([what, row]) => `| ${what} | ${nodes.map((n) => cell(row, n)).join(" | ")} |`);
  return [head, `|---|${nodes.map(() => "---|").join("")}`, ...rows].join("\n");
}

function memoryPlot(m: Measures): string {
  const file = TOPICS === 10_000 ? "scale-memory.svg" : `scale-memory-${MILLIONS}M.svg`;
  const colors = ["#1f77b4", "#d62728", "#2ca02c"];
  const series = colors.map((color, node) => ({
    name: `node ${node + 1}`,
    color,
    points: m.fill.timed.filter((s) => s.node === node + 1).map((s) => [s.partitions / 1e6, s.rss] as [number, number]),
  }));
  writeFileSync(resolve(ROOT, "bench", file), lineChart({ title: "RSS per node during the fill", xLabel: "million partitions", yLabel: "MiB", series }));
  return `![RSS per node as partitions grow](${file})`;
}

async function main(): Promise<void> {
  if (!existsSync(resolve(ROOT, "dist/yakt"))) throw new Error("dist/yakt is missing: run make build first");
  const load = loadavg().map((l) => l.toFixed(2)).join(", ");
  const cluster = new ProcessCluster(3);
  let m: Measures;
  try {
    cluster.startAll();
    m = await measure(cluster);
  } finally {
    await cluster.stopAll();
  }
  const text = [
    TOPICS === 10_000 ? "## Scale: issue 10's table (`make bench-scale`)" : `## Scale at ${MILLIONS}M partitions (\`SCALE_TOPICS=${TOPICS} make bench-scale\`)`,
    "",
    `${new Date().toISOString()} — ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"}), bun ${Bun.version}, load average ${load} at the start. ` +
      `3 nodes of dist/yakt on loopback with default flags, filled through \`POST /v1/topics\` by ${FILL_CLIENTS} clients with ` +
      `${TOPICS.toLocaleString("en")} topics × ${PARTITIONS} partitions (RF 3) over ${BROKERS} brokers on ${RACKS} racks, kept alive by ` +
      "heartbeats every 2 s. A pause is the longest the serving node's event loop was held meanwhile, as the node measures it " +
      "(`yakt_event_loop_lag_max_ms`: the lateness of a 5 ms timer, which includes time the process was not scheduled on the loaded machine); " +
      "the slowest `GET /healthz` of a probe asking the same node every 5 ms is shown beside it.",
    "",
    table(m),
    "",
    "Memory per node after each step:",
    "",
    memoryTable(m),
    "",
    memoryPlot(m),
  ].join("\n");
  console.log(text);
  writeSection(resolve(ROOT, "bench/RESULTS.md"), SECTION, text);
}

await main();
