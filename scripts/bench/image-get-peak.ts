// What one full-image GET costs the node that serves it (issue 10): --nodes nodes of dist/yakt (or each
// build of --builds in turn, on the same data dir, so builds compare back to back in the same
// conditions) filled with --topics topics × 100 partitions, its snapshot taken; then for each round
// and build: restart every node on that build, let them settle, and read `GET /v1/client-mgmt/metadata`
// from the leader four ways (and once, fast, on builds[0] as the fill left the cluster):
//   fast    — read as fast as this process can (identity, then zstd);
//   paged   — in pages of 10,000 records (?limit=, then ?cursor=);
//   slow    — a reader taking --slow-kib KiB/s for --slow-s seconds, then gone;
//   stalled — a reader that takes the headers and first bytes and then stops reading for --slow-s s
//             (plain, then zstd).
// Each reports the node's RSS before and its peak meanwhile (the kernel's VmHWM, reset through
// /proc/<pid>/clear_refs before each read, so no sample misses the peak), first byte and whole wall
// ms, the node's CPU ms over the read, and its longest event-loop pause (yakt_event_loop_lag_max_ms).
// Not a test:  make build && nice -n 5 bun scripts/bench/image-get-peak.ts --builds dist/yakt,/tmp/yakt-base [--topics 20000] [--nodes 3]
import "./memory-options.ts";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { loadavg } from "node:os";
import { buildLink, buildsFlag } from "./build-link.ts";
import { statusMiB } from "./fill-memory.ts";
import { positiveIntFlag } from "./flags.ts";

const TOPICS = positiveIntFlag("--topics", 10_000);
const ROUNDS = positiveIntFlag("--rounds", 2);
const SLOW_KIB = positiveIntFlag("--slow-kib", 1024);
const SLOW_S = positiveIntFlag("--slow-s", 5);
const NODES = positiveIntFlag("--nodes", 1);
const SETTLE_MS = 3_000;
const PATH = "/v1/client-mgmt/metadata";
const builds = buildsFlag();
// The nodes run the binary behind a link, pointed at the build whose turn it is (build-link.ts).
const link = buildLink("image-get-peak", builds[0]);
const { ProcessCluster } = await import("../../test/cluster/support/process-cluster.ts");
const { processCpuMs } = await import("./cpu.ts");
const { Heartbeats, fill, metric, nodePauseMs } = await import("./scale-steps.ts");
type Cluster = InstanceType<typeof ProcessCluster>;


interface Read {
  firstByteMs: number;
  wholeMs: number;
  bytes: number;
}

/** The node's RSS now, its peak and CPU over `read`, and its longest pause meanwhile. */
async function measured(cluster: Cluster, node: number, what: string, read: () => Promise<Read>): Promise<string> {
  const pid = cluster.pid(node);
  await nodePauseMs(cluster, node);
  // "5" resets the peak RSS (VmHWM) to the current RSS (Linux ≥ 4.0).
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
  const before = statusMiB(pid, "VmRSS");
  const young = await youngCollections(cluster, node);
  const cpu0 = processCpuMs(pid);
  const r = await read();
  const cpu = processCpuMs(pid) - cpu0;
  const peak = statusMiB(pid, "VmHWM");
  const pause = await nodePauseMs(cluster, node);
  const after = await youngCollections(cluster, node);
  const collected = after === null || young === null ? "" : `; ${after.count - young.count} young collections, ${after.ms - young.ms} ms (the longest since the start ${after.longest} ms)`;
  return `  ${what}: RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MiB (+${(peak - before).toFixed(0)}); first byte ${r.firstByteMs.toFixed(0)} ms, whole ${r.wholeMs.toFixed(0)} ms, ${(r.bytes / 2 ** 20).toFixed(0)} MiB; node CPU ${cpu.toFixed(0)} ms; longest pause ${pause.toFixed(0)} ms${collected}`;
}

/** The streams' young collections so far and their ms (null on a build without them). */
async function youngCollections(cluster: Cluster, node: number): Promise<{ count: number; ms: number; longest: number } | null> {
  try {
    const [count, ms, longest] = await Promise.all(["collections_total", "collect_ms_total", "collect_longest_ms"].map((m) => metric(cluster, node, `yakt_image_stream_young_${m}`)));
    return { count, ms, longest };
  } catch {
    return null;
  }
}

/** The whole answer read as fast as this process can. */
async function fast(cluster: Cluster, node: number, headers: Record<string, string>): Promise<Read> {
  const t0 = performance.now();
  const res = await fetch(cluster.url(node, PATH), { headers, decompress: false, signal: AbortSignal.timeout(600_000) } as RequestInit);
  if (res.status !== 200) throw new Error(`full GET answered ${res.status}`);
  let firstByteMs = Number.NaN;
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (bytes === 0) firstByteMs = performance.now() - t0;
    bytes += chunk.length;
  }
  return { firstByteMs, wholeMs: performance.now() - t0, bytes };
}

/** The answer in pages of `limit` records (`?limit=`, then `?cursor=`), each read whole. */
async function paged(cluster: Cluster, node: number, limit: number): Promise<Read> {
  const t0 = performance.now();
  let firstByteMs = Number.NaN;
  let bytes = 0;
  for (let next: string | null = ""; next !== null; ) {
    const query: string = next === "" ? `?limit=${limit}` : `?cursor=${next}&limit=${limit}`;
    const res: Response = await fetch(cluster.url(node, `${PATH}${query}`), { signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`page answered ${res.status}: ${text.slice(0, 200)}`);
    if (bytes === 0) firstByteMs = performance.now() - t0;
    bytes += text.length;
    next = (JSON.parse(text) as { next: string | null }).next;
  }
  return { firstByteMs, wholeMs: performance.now() - t0, bytes };
}

/**
 * A raw HTTP/1.1 reader of the answer over one socket: it takes `kibPerS` KiB a second (0: only the
 * first bytes, then nothing) for `seconds`, then closes. Paused, the socket is not read, so the
 * kernel's buffers fill and the node's writes meet back-pressure.
 */
function paced(cluster: Cluster, node: number, kibPerS: number, seconds: number, encoding = "identity"): Promise<Read> {
  const url = new URL(cluster.url(node, PATH));
  const t0 = performance.now();
  let firstByteMs = Number.NaN;
  let bytes = 0;
  return new Promise((done, fail) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`GET ${PATH} HTTP/1.1\r\nhost: ${url.host}\r\naccept-encoding: ${encoding}\r\n\r\n`));
    const end = setTimeout(() => {
      socket.destroy();
      done({ firstByteMs, wholeMs: performance.now() - t0, bytes });
    }, seconds * 1000);
    socket.on("error", (error) => {
      clearTimeout(end);
      fail(error);
    });
    socket.on("data", (chunk: Buffer) => {
      if (bytes === 0) firstByteMs = performance.now() - t0;
      bytes += chunk.length;
      const allowed = (kibPerS * 1024 * (performance.now() - t0)) / 1000;
      if (bytes <= allowed) return;
      socket.pause();
      if (kibPerS > 0) setTimeout(() => socket.resume(), ((bytes - allowed) / (kibPerS * 1024)) * 1000);
    });
  });
}

async function round(cluster: Cluster, build: string): Promise<string> {
  for (const id of cluster.live()) await cluster.kill(id);
  link.pointAt(build);
  for (const id of cluster.ids) cluster.start(id);
  const n = await cluster.waitForLeader(120_000);
  await cluster.waitApplied((await cluster.status(n))?.commitOffset ?? 0, 120_000);
  await Bun.sleep(SETTLE_MS);
  const lines = [`${build}, leader ${n} (load ${loadavg()[0].toFixed(1)}):`];
  lines.push(await measured(cluster, n, "fast, identity", () => fast(cluster, n, {})));
  await Bun.sleep(SETTLE_MS);
  lines.push(await measured(cluster, n, "fast, zstd", () => fast(cluster, n, { "accept-encoding": "zstd" })));
  await Bun.sleep(SETTLE_MS);
  lines.push(await measured(cluster, n, "paged, limit=10000", () => paged(cluster, n, 10_000)));
  await Bun.sleep(SETTLE_MS);
  lines.push(await measured(cluster, n, `slow, ${SLOW_KIB} KiB/s for ${SLOW_S} s`, () => paced(cluster, n, SLOW_KIB, SLOW_S)));
  await Bun.sleep(SETTLE_MS);
  lines.push(await measured(cluster, n, `stalled for ${SLOW_S} s`, () => paced(cluster, n, 0, SLOW_S)));
  await Bun.sleep(SETTLE_MS);
  lines.push(await measured(cluster, n, `stalled for ${SLOW_S} s, zstd`, () => paced(cluster, n, 0, SLOW_S, "zstd")));
  return lines.join("\n");
}

async function main(): Promise<void> {
  console.log(`${(TOPICS * 100).toLocaleString("en")} partitions, builds ${builds.join(", ")}; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the start`);
  // Brokers stay registered across the restarts (their sessions would time out while the node is down).
  const cluster = new ProcessCluster(NODES, ["--session-timeout-ms", "3600000"]);
  try {
    cluster.startAll();
    const leader = await cluster.waitForLeader(60_000);
    const beats = new Heartbeats(cluster, 30);
    await beats.register(leader);
    const filled = await fill(cluster, () => leader, { topics: TOPICS, partitions: 100, clients: 8, samples: 1 });
    console.log(`fill: ${filled.created} topics in ${filled.seconds.toFixed(1)} s`);
    await cluster.waitApplied((await cluster.status(leader))?.commitOffset ?? 0, 600_000);
    // Once on the cluster as the fill left it (as make bench-scale reads it), brokers heartbeating.
    await Bun.sleep(SETTLE_MS);
    console.log(`as filled, ${builds[0]}, leader ${leader}:\n${await measured(cluster, leader, "fast, identity", () => fast(cluster, leader, {}))}`);
    await beats.stop();
    for (const id of cluster.ids) {
      const snap = await fetch(cluster.url(id, "/v1/snapshots"), { method: "POST", signal: AbortSignal.timeout(600_000) });
      if (snap.status !== 201) throw new Error(`node ${id}'s snapshot answered ${snap.status}`);
    }
    for (let r = 0; r < ROUNDS; r++) for (const build of builds) console.log(`round ${r + 1}, ${await round(cluster, build)}`);
  } finally {
    await cluster.stopAll();
    link.remove();
    console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the end`);
  }
}

await main();
