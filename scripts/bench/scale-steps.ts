// The steps of `make bench-scale` against a 3-node dist/yakt cluster: broker heartbeats kept up
// during the run, the fill through the REST API, and each measure of issue 10's table (full
// metadata GET, snapshot, kill -9 and catch-up, a follower's install of the leader's snapshot,
// topic GETs, failover). Two views of how long a node's event loop was held meanwhile: the node's
// own probe (yakt_event_loop_lag_max_ms in /metrics, the longest lateness of its 5 ms timer since
// the last read), and a probe beside the big requests timing a cheap GET on the same node every few
// ms (its slowest answer includes the bench's own scheduling on the shared machine).
import type { ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { waitUntil } from "../../test/node/support/wait-until.ts";
import { post } from "./broker-fleet.ts";
import { type MemorySample, MemorySampler, statusMiB } from "./fill-memory.ts";
import { percentile } from "./load.ts";

export const RACKS = 6;
const PROBE_EVERY_MS = 5;

/** Resident set size of a process, MiB. */
export function rssMiB(pid: number): number {
  return statusMiB(pid, "VmRSS");
}

/** A byte gauge of a node's /metrics (e.g. yakt_heap_bytes), MiB. */
export async function gaugeMiB(cluster: ProcessCluster, node: number, name: string): Promise<number> {
  const res = await fetch(cluster.url(node, "/metrics"), { signal: AbortSignal.timeout(60_000) });
  const value = new RegExp(`^${name} (\\d+)$`, "m").exec(await res.text())?.[1];
  if (value === undefined) throw new Error(`node ${node}'s /metrics has no ${name}`);
  return Number(value) / 1024 / 1024;
}

/**
 * Brokers 1..n registered, then kept alive: every 2 s each heartbeats with `since` at the
 * cluster's applied offset, so it learns of no records (a real broker would; here the fill is
 * measured, not the brokers' fetches of a million partition records). An answer larger than a
 * diff of nothing new is not read: a `since` read from a node just before it installed a snapshot
 * (or restarted past it) names an offset it no longer holds, and the answer is the whole image —
 * at 1M partitions ~10 brokers at once downloaded it from a follower that had just installed, the
 * beats stalled behind them for over the 9-s session timeout and every broker was fenced during
 * the topic GETs that follow the install (thousands of partition records rewritten, each node's
 * CPU taken, the kept topic bodies made stale). A diff that holds the records written between the
 * status read and the beat (during a fill) is cut too: the beat counts all the same. Both counted.
 */
export class Heartbeats {
  /** Heartbeat answers cut: the image (snapshot mode), and diffs longer than HEARTBEAT_ANSWER_MAX_BYTES. */
  readonly cut = { images: 0, diffs: 0 };
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly brokers: number,
  ) {}

  async register(leader: number): Promise<void> {
    for (let id = 1; id <= this.brokers; id++) {
      const body = { brokerId: id, brokerHost: `b${id}.scale`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `rack${id % RACKS}` };
      await waitUntil(`broker ${id} registered`, async () => (await status(fetch(this.cluster.url(leader, "/v1/brokers"), post(body)))) === 201, 30_000, 20);
    }
    await this.beatAll();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      await Bun.sleep(2_000);
      await this.beatAll();
    }
  }

  private async beatAll(): Promise<void> {
    const live = this.cluster.live();
    await Promise.all(
      Array.from({ length: this.brokers }, async (_, i) => {
        const node = live[i % live.length];
        // A status that times out on the loaded machine (or a node being restarted) is no reason to stop beating.
        const s = await this.cluster.status(node).catch(() => null);
        const body = { brokerId: i + 1, wait_ms: 0, ...(s ? { since: s.appliedOffset } : {}) };
        const cut = await cutLargeAnswer(fetch(this.cluster.url(node, "/v1/broker-mgmt/metadata"), post(body)));
        if (cut !== null) this.cut[cut]++;
      }),
    );
  }
}

/** A heartbeat's answer of nothing new is a few hundred bytes; one past this is the image. */
const HEARTBEAT_ANSWER_MAX_BYTES = 64 * 1024;

/** A snapshot answer says so in its first line (answer-stream.ts: the mode and offset first). */
const SNAPSHOT_MARK = '"mode":"snapshot"';
const HEAD_CHARS = 256;

/**
 * Reads an answer (fetch decompresses it) up to HEARTBEAT_ANSWER_MAX_BYTES; when it is longer
 * the rest is cancelled and what it was is returned, else null.
 */
async function cutLargeAnswer(p: Promise<Response>): Promise<"images" | "diffs" | null> {
  const res = await p.catch(() => null);
  const reader = res?.body?.getReader();
  if (!reader) return null;
  let bytes = 0;
  let head = "";
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      if (head.length < HEAD_CHARS) head += new TextDecoder().decode(chunk.value.subarray(0, HEAD_CHARS));
      bytes += chunk.value.length;
      if (bytes > HEARTBEAT_ANSWER_MAX_BYTES) {
        await reader.cancel();
        return head.includes(SNAPSHOT_MARK) ? "images" : "diffs";
      }
    }
  } catch {
    // A body cut by its timeout (a node killed or held meanwhile): the beat was sent all the same.
  }
  return null;
}

/** Starts every node, waits for a leader, registers `brokers` brokers and keeps them alive: where the fill benches begin. */
export async function startBrokered(cluster: ProcessCluster, brokers: number): Promise<{ leader: number; beats: Heartbeats }> {
  cluster.startAll();
  const leader = await cluster.waitForLeader();
  const beats = new Heartbeats(cluster, brokers);
  await beats.register(leader);
  return { leader, beats };
}

async function status(p: Promise<Response>): Promise<number> {
  const res = await p.catch(() => null);
  if (!res) return 0;
  // A body cut by its timeout (a node killed or held meanwhile) still has the status it began with.
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}

/** Times a cheap GET on one node until stopped; the slowest answer, ms. */
export class LoopProbe {
  private running = true;
  private worst = 0;
  private readonly done: Promise<void>;

  constructor(url: string) {
    this.done = (async () => {
      while (this.running) {
        const t0 = performance.now();
        await status(fetch(url, { signal: AbortSignal.timeout(60_000) }));
        this.worst = Math.max(this.worst, performance.now() - t0);
        await Bun.sleep(PROBE_EVERY_MS);
      }
    })();
  }

  async stop(): Promise<number> {
    this.running = false;
    await this.done;
    return this.worst;
  }
}

export interface FillResult {
  seconds: number;
  created: number;
  failed: number;
  /** Failed attempts by the status they got (0: no answer, e.g. the 30-s timeout). */
  failures: Record<number, number>;
  /** [partitions so far, RSS MiB of each node]. */
  memory: [number, number[]][];
  /** With `sampleEveryMs`: every node's memory on that timer through the fill (fill-memory.ts). */
  timed: MemorySample[];
}

/**
 * Creates `topics` topics of `partitions` partitions (RF 3) with `clients` writers to the leader;
 * RSS sampled `samples` times by creates' count, and with `sampleEveryMs` on a timer too.
 */
export async function fill(cluster: ProcessCluster, leader: () => number, o: { topics: number; partitions: number; clients: number; samples: number; sampleEveryMs?: number }): Promise<FillResult> {
  let next = 0;
  let created = 0;
  let failed = 0;
  const failures: Record<number, number> = {};
  const pids = cluster.live().map((id) => cluster.pid(id));
  const memory: [number, number[]][] = [[0, pids.map(rssMiB)]];
  const every = Math.max(1, Math.floor(o.topics / o.samples));
  const sampler = o.sampleEveryMs === undefined ? null : new MemorySampler(cluster, () => created * o.partitions, o.sampleEveryMs);
  const t0 = performance.now();
  const writer = async () => {
    while (next < o.topics) {
      const i = next++;
      const body = { name: `scale-${i}`, partitions: o.partitions, replicationFactor: 3 };
      // A create that fails (e.g. 503 while leadership moves) is counted and tried again.
      for (;;) {
        const s = await status(fetch(cluster.url(leader(), "/v1/topics"), { ...post(body), signal: AbortSignal.timeout(30_000) }));
        if (s === 201 || s === 409) break;
        failed++;
        failures[s] = (failures[s] ?? 0) + 1;
        await Bun.sleep(50);
      }
      created++;
      if (created % every === 0) memory.push([created * o.partitions, pids.map(rssMiB)]);
    }
  };
  await Promise.all(Array.from({ length: o.clients }, writer));
  const seconds = (performance.now() - t0) / 1000;
  // The followers apply the last creates after the leader answered them: sampled until they have.
  if (sampler !== null) await cluster.waitApplied((await cluster.status(leader()))?.commitOffset ?? 0, 600_000).catch(() => undefined);
  return { seconds, created, failed, failures, memory, timed: (await sampler?.stop()) ?? [] };
}

export interface BigRead {
  firstByteMs: number;
  totalMs: number;
  bytes: number;
  longestProbeMs: number;
  /** The longest event-loop pause the node itself measured meanwhile. */
  nodePauseMs: number;
}

/** The node's own longest event-loop pause since the last read (reading starts a new window). */
export async function nodePauseMs(cluster: ProcessCluster, node: number): Promise<number> {
  return metric(cluster, node, "yakt_event_loop_lag_max_ms");
}

/** One sample of the node's /metrics. */
export async function metric(cluster: ProcessCluster, node: number, name: string): Promise<number> {
  const res = await fetch(cluster.url(node, "/metrics"), { signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  const value = new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1];
  if (res.status !== 200 || value === undefined) throw new Error(`node ${node}: no ${name} in /metrics (${res.status})`);
  return Number(value);
}

/** The full image (no `since`) from one node, timed to its first body byte and its end. */
export async function fullMetadata(cluster: ProcessCluster, node: number): Promise<BigRead> {
  await nodePauseMs(cluster, node);
  const probe = new LoopProbe(cluster.url(node, "/healthz"));
  const t0 = performance.now();
  const res = await fetch(cluster.url(node, "/v1/client-mgmt/metadata"), { signal: AbortSignal.timeout(600_000) });
  const reader = res.body?.getReader();
  let firstByteMs = Number.NaN;
  let bytes = 0;
  for (;;) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) break;
    if (bytes === 0) firstByteMs = performance.now() - t0;
    bytes += chunk.value.length;
  }
  const totalMs = performance.now() - t0;
  if (res.status !== 200) throw new Error(`full metadata GET answered ${res.status}`);
  return { firstByteMs, totalMs, bytes, longestProbeMs: await probe.stop(), nodePauseMs: await nodePauseMs(cluster, node) };
}

export interface Timed {
  ms: number;
  longestProbeMs: number;
  nodePauseMs: number;
}

/** POST /v1/snapshots on one node: time to its answer, the longest probe and the node's own longest pause meanwhile. */
export async function snapshotNow(cluster: ProcessCluster, node: number): Promise<Timed & { status: number }> {
  await nodePauseMs(cluster, node);
  const probe = new LoopProbe(cluster.url(node, "/healthz"));
  const t0 = performance.now();
  const s = await status(fetch(cluster.url(node, "/v1/snapshots"), { method: "POST", signal: AbortSignal.timeout(600_000) }));
  const ms = performance.now() - t0;
  if (s !== 201) throw new Error(`POST /v1/snapshots on node ${node} answered ${s}`);
  // How long its slices held the loop, as the node logs it.
  printLast(cluster, node, "snapshot_taken");
  return { ms, longestProbeMs: await probe.stop(), nodePauseMs: await nodePauseMs(cluster, node), status: s };
}

/**
 * SIGKILL `victim`, start it again at once; ms until it has applied what was committed at its kill,
 * and the longest pause its loop took from its start (after it loaded its own snapshot: nothing is
 * served before) until then.
 */
export async function killAndCatchUp(cluster: ProcessCluster, victim: number): Promise<{ ms: number; nodePauseMs: number }> {
  const before = await cluster.status(victim);
  const commit = before?.commitOffset ?? 0;
  const t0 = performance.now();
  await cluster.kill(victim);
  cluster.start(victim);
  await caughtUp(cluster, victim, commit);
  return { ms: performance.now() - t0, nodePauseMs: await nodePauseMs(cluster, victim) };
}

/** The node's last log line of `event`, if any (what its one-off steps cost, as it logs them). */
function printLast(cluster: ProcessCluster, node: number, event: string): void {
  const line = cluster.log(node).split("\n").findLast((l) => l.includes(`"${event}"`));
  if (line !== undefined) console.log(`node ${node}: ${line}`);
}

async function caughtUp(cluster: ProcessCluster, node: number, commit: number): Promise<void> {
  await waitUntil(`node ${node} to apply ${commit} after restart`, async () => ((await cluster.status(node))?.appliedOffset ?? 0) >= commit, 600_000, 20);
}

/**
 * A follower that must install the leader's snapshot: SIGKILL it, write and snapshot the others
 * (so their logs start past the follower's), start the follower. Ms until it has applied
 * what the leader had committed, and the longest pause its loop took meanwhile (the install, in
 * slices, included: the node counts the install, checked here).
 */
export async function followerInstall(cluster: ProcessCluster, leader: number, follower: number): Promise<{ ms: number; nodePauseMs: number }> {
  const last = (await logOf(cluster, follower)).lastOffset;
  await cluster.kill(follower);
  // Writes that change something (ports not used before), enough that the compaction below passes
  // whatever the follower received between the status read and the kill.
  for (let port = 20_001; port <= 20_020; port++) {
    const put = { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ brokerPort: String(port) }), signal: AbortSignal.timeout(30_000) };
    const wrote = await status(fetch(cluster.url(leader, "/v1/brokers/1"), put));
    if (wrote !== 200) throw new Error(`the write before the leader's snapshot answered ${wrote}`);
  }
  // Every live node snapshots (and so compacts): whoever leads when the follower is back (leadership
  // moves on the loaded machine) holds its log only from past the follower's.
  await cluster.waitApplied((await logOf(cluster, leader)).commitOffset, 600_000);
  for (const id of cluster.live()) await snapshotNow(cluster, id);
  const after = await logOf(cluster, leader);
  for (const id of cluster.live()) {
    const first = (await logOf(cluster, id)).firstOffset;
    if (first <= last + 1) throw new Error(`node ${id} holds its log from ${first}: the follower, at ${last}, would not need a snapshot from it`);
  }
  const commit = after.commitOffset;
  const t0 = performance.now();
  cluster.start(follower);
  await caughtUp(cluster, follower, commit);
  const ms = performance.now() - t0;
  const installs = await metric(cluster, follower, "yakt_raft_snapshots_installed_total");
  printLast(cluster, follower, "snapshot_installed");
  if (installs < 1) for (const line of cluster.log(follower).split("\n").filter((l) => /snapshot|raft\.|node_started/.test(l)).slice(-12)) console.log(`node ${follower}: ${line.slice(0, 300)}`);
  if (installs < 1) throw new Error(`node ${follower} (log to ${last}) caught up to ${commit} without installing the snapshot of node ${leader} (log from ${after.firstOffset})`);
  return { ms, nodePauseMs: await nodePauseMs(cluster, follower) };
}

/** A node's view of its log (GET /v1/cluster). */
async function logOf(cluster: ProcessCluster, node: number): Promise<{ leader: number; firstOffset: number; lastOffset: number; commitOffset: number }> {
  const res = await fetch(cluster.url(node, "/v1/cluster"), { signal: AbortSignal.timeout(30_000) });
  if (res.status !== 200) throw new Error(`GET /v1/cluster on node ${node} answered ${res.status}`);
  return (await res.json()) as { leader: number; firstOffset: number; lastOffset: number; commitOffset: number };
}

/**
 * `requests` linearizable (or `stale`) GETs of random topics over `clients` callers to the leader
 * (or any node named); latencies ms. `seed` picks another sequence of topics (default 12345).
 */
export async function topicGets(cluster: ProcessCluster, leader: number, o: { topics: number; requests: number; clients: number; stale?: boolean; seed?: number }): Promise<number[]> {
  const latencies: number[] = [];
  let n = 0;
  let seed = o.seed ?? 12_345;
  // A seeded LCG: the same topics in every run.
  const nextTopic = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % o.topics;
  };
  const caller = async () => {
    while (n++ < o.requests) {
      const t0 = performance.now();
      const path = `/v1/topics/scale-${nextTopic()}${o.stale ? "?consistency=stale" : ""}`;
      const s = await status(fetch(cluster.url(leader, path), { signal: AbortSignal.timeout(30_000) }));
      if (s === 200) latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: o.clients }, caller));
  return latencies;
}

export const p = (values: number[], q: number) => percentile(values, q);

/** SIGKILL the leader; ms until some live node acknowledges a write (a broker update, no new partitions). */
export async function failover(cluster: ProcessCluster, leaderWaitMs: number): Promise<number> {
  return (await failoverTimed(cluster, leaderWaitMs)).ms;
}

/** One failover: its ms, and the wall clock (Date.now()) at the kill and at the acknowledgement, to set beside the nodes' log times. */
export interface FailoverTimes {
  /** The leader killed (started again by the time this is returned). */
  victim: number;
  ms: number;
  killedAt: number;
  ackedAt: number;
}

/** failover(), with its wall-clock times. */
export async function failoverTimed(cluster: ProcessCluster, leaderWaitMs: number): Promise<FailoverTimes> {
  const victim = await cluster.waitForLeader(leaderWaitMs);
  const t0 = performance.now();
  const killedAt = Date.now();
  await cluster.kill(victim);
  let attempt = 0;
  await waitUntil(
    "a write acknowledged after the kill",
    async () => {
      const live = cluster.live();
      const node = live[attempt++ % live.length];
      const req = { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ brokerPort: String(9000 + (attempt % 1000)) }), signal: AbortSignal.timeout(2_000) };
      return (await status(fetch(cluster.url(node, "/v1/brokers/1"), req))) === 200;
    },
    60_000,
    1,
  );
  const ms = performance.now() - t0;
  const ackedAt = Date.now();
  cluster.start(victim);
  return { victim, ms, killedAt, ackedAt };
}

/**
 * One node's memory at a step, MiB: the resident set, the part of it mapped from files (the
 * executable's pages: not the node's data), the JavaScript heap and the part of it its objects own
 * outside the collector's blocks (buffers; the /metrics gauges: Bun's heap figure includes them).
 * RSS minus file minus heap is what the allocators hold beyond that: free memory kept after a
 * peak, JIT code, SQLite's cache, the runtime's own.
 */
export interface NodeMemory {
  node: number;
  rss: number;
  file: number;
  heap: number;
  external: number;
}

/**
 * Every live node's memory, after `settleMs` (a one-off peak's garbage gets a few collections'
 * time). The heap is what the node reports; a node that does not answer shows NaN.
 */
export async function memoryOf(cluster: ProcessCluster, settleMs: number): Promise<NodeMemory[]> {
  await Bun.sleep(settleMs);
  return Promise.all(
    cluster.live().map(async (node) => ({
      node,
      rss: rssMiB(cluster.pid(node)),
      file: statusMiB(cluster.pid(node), "RssFile"),
      heap: await gaugeMiB(cluster, node, "yakt_heap_bytes").catch(() => Number.NaN),
      external: await gaugeMiB(cluster, node, "yakt_external_bytes").catch(() => Number.NaN),
    })),
  );
}
