// The mixed metadata workload: a fleet of brokers (broker-fleet.ts), long-polling or watching,
// while writers create topics, allocate producer ids and read topics back linearizably,
// round-robin over the nodes. Counts leader changes and failed operations and gives the
// commit-to-broker propagation. The writers run flat out (closed loop), so the cores are always
// saturated and the propagation is mostly queueing; OPS_PER_SECOND=n paces them instead (the
// operations start at n per second at most, spread evenly), giving the propagation at that rate.
//   bun run scripts/bench/mixed.ts    (BROKERS=1000 WRITERS=8 DURATION_MS=30000 FLEET_MODE=poll by default)
import "./memory-options.ts";
import { clusterCpuMs, processCpuMs } from "./cpu.ts";
import { ensureHttpSlots } from "./http-slots.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { AckLog, BrokerFleet, DEFAULT_FLEET, type FleetMode, ackedOffset, post, wallNow } from "./broker-fleet.ts";
import { topicName } from "./payload.ts";
import { type ThreadCpu, threadCpu, threadCpuLine } from "./thread-cpu.ts";
import { YaktTarget } from "./yakt-target.ts";

export interface MixedOptions {
  brokers: number;
  writers: number;
  durationMs: number;
  /** How the brokers follow the metadata: long polls, or a watch stream beside plain heartbeats. */
  mode: FleetMode;
  /** Operations started per second at most (paced writers); undefined runs them flat out. */
  opsPerSecond?: number;
}

export interface MixedResult {
  opts: MixedOptions;
  load: LoadResult;
  byKind: Record<string, { ok: number; failed: number }>;
  failures: Map<string, number>;
  propagationMs: number[];
  /** Propagation by the node the broker polls, with the leader's id (brokers of the leader vs of followers). */
  propagationByNode: Map<number, number[]>;
  leader: number;
  /** Arrivals that overtook their writer's acknowledgement (counted as 0 ms). */
  earlyArrivals: number;
  /** Long polls, or (watch mode) heartbeats. */
  polls: number;
  /** Polls (heartbeats, watch streams ended) that failed during the row (after the fleet's start-up), and before it (its first polls). */
  failedPolls: number;
  startupFailedPolls: number;
  pollFailures: Map<string, number>;
  /** Changes of the known leader (to none and back counts twice), the most any node saw. */
  leaderChanges: number;
  /** Terms the cluster went through during the row: elections that were held, not only feared. */
  termChanges: number;
  /** Node counters over the row, summed over the nodes. */
  counters: Record<string, number>;
  /** CPU time over the row: the three nodes together, and this process (writers and brokers). */
  nodeCpuMs: number;
  generatorCpuMs: number;
  /** Per node over the row: its CPU, and the Raft ticks its loop ran (100/s when the loop is never late). */
  nodes: NodeRow[];
  /** This process's CPU by thread over the row (the writers and the fleet: thread-cpu.ts). */
  generatorThreads: [ThreadCpu, ThreadCpu];
  /** The nodes' election lines (campaigns, check-quorum losses, role changes) during the row. */
  elections: string[];
}

export interface NodeRow {
  id: number;
  cpuMs: number;
  ticksPerSecond: number;
  /** Its CPU by thread (main, JIT, GC, I/O pool) at the row's start and end: where a poll's CPU goes, user and system apart. */
  threads: [ThreadCpu, ThreadCpu];
}

const KINDS = ["topic", "producer", "read"] as const;

/** Counters of each node that show where the fleet's cost goes, summed over the nodes. */
const COUNTERS = [
  "yakt_raft_read_barriers_total",
  "yakt_raft_read_index_rounds_total",
  "yakt_raft_ready_cycles_total",
  "yakt_raft_messages_sent_total",
  "yakt_raft_forwards_served_total",
  "yakt_raft_ticks_total",
  "yakt_raft_persist_batches_total",
  "yakt_raft_persist_micros_total",
  // Watch mode: feeds (loop turns that applied records) and the record-event writes they made.
  "yakt_watch_feeds_total",
  "yakt_watch_event_writes_total",
];

async function nodeCounters(yakt: YaktTarget): Promise<Record<string, number>> {
  const out: Record<string, number> = { leaderChanges: 0, term: 0 };
  for (const id of yakt.cluster.live()) {
    const res = await fetch(yakt.cluster.url(id, "/metrics")).catch(() => null);
    const text = res ? await res.text() : "";
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
    out.leaderChanges = Math.max(out.leaderChanges, value("yakt_raft_leader_changes_total"));
    out.term = Math.max(out.term, (await yakt.cluster.status(id))?.term ?? 0);
    for (const name of COUNTERS) out[name] = (out[name] ?? 0) + value(name);
  }
  return out;
}

async function nodeTicks(yakt: YaktTarget): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const id of yakt.cluster.live()) {
    const text = await fetch(yakt.cluster.url(id, "/metrics")).then((r) => r.text(), () => "");
    out.set(id, Number(/^yakt_raft_ticks_total (\S+)$/m.exec(text)?.[1] ?? 0));
  }
  return out;
}

/** Log lines that tell why leadership moved, from each node's log (stdout). */
function electionLines(yakt: YaktTarget, from: Map<number, number>): string[] {
  const lines: string[] = [];
  for (const id of yakt.cluster.live()) {
    const log = yakt.cluster.log(id).slice(from.get(id) ?? 0);
    for (const line of log.split("\n")) if (/raft\.(campaign|check-quorum-lost|role)/.test(line)) lines.push(line);
  }
  return lines;
}

function counterDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
}

/** One operation of the mix; `seq` picks the kind and the node (writes go to any node). */
async function operation(yakt: YaktTarget, acks: AckLog, result: MixedResult, seq: number): Promise<boolean> {
  const kind = KINDS[seq % KINDS.length];
  const live = yakt.cluster.live();
  const node = live[Math.floor(seq / KINDS.length) % live.length];
  const run = `mix${result.opts.brokers}`;
  const res =
    kind === "topic"
      ? await fetch(yakt.cluster.url(node, "/v1/topics"), post({ name: topicName(run, seq) })).catch((e: Error) => e)
      : kind === "producer"
        ? await fetch(yakt.cluster.url(node, "/v1/producers"), post({ brokerId: DEFAULT_FLEET.firstId + (seq % result.opts.brokers) })).catch((e: Error) => e)
        : await fetch(yakt.cluster.url(node, `/v1/topics/${topicName(run, Math.max(0, seq - 2))}`), { signal: AbortSignal.timeout(10_000) }).catch((e: Error) => e);
  const count = result.byKind[kind];
  if (res instanceof Error) return fail(result, count, res.name);
  const text = await res.text();
  const answeredAt = wallNow();
  const ok = kind === "read" ? res.status === 200 || res.status === 404 : res.status === 201;
  if (!ok) return fail(result, count, `${kind} ${res.status} ${text.slice(0, 80)}`);
  if (kind !== "read") {
    const offset = ackedOffset(JSON.parse(text));
    if (offset === null) return fail(result, count, `${kind} 201 with no offset: ${text.slice(0, 80)}`);
    acks.note(offset, answeredAt);
  }
  count.ok++;
  return true;
}

function fail(result: MixedResult, count: { failed: number }, reason: string): false {
  count.failed++;
  result.failures.set(reason, (result.failures.get(reason) ?? 0) + 1);
  return false;
}

/** Waits until operation `seq` may start at `perSecond` operations a second from the first call (no wait when unpaced). */
function pacer(perSecond: number | undefined): (seq: number) => Promise<void> {
  if (perSecond === undefined) return async () => {};
  if (!(perSecond > 0)) throw new RangeError(`OPS_PER_SECOND must be a positive number, got ${perSecond}`);
  let start: number | null = null;
  return async (seq) => {
    start ??= performance.now();
    const due = start + (seq * 1_000) / perSecond - performance.now();
    if (due > 0) await Bun.sleep(due);
  };
}

/** Runs the workload on a fresh cluster of `yakt` (started and stopped by the caller). */
export async function runMixed(yakt: YaktTarget, opts: MixedOptions): Promise<MixedResult> {
  const acks = new AckLog();
  const fleet = new BrokerFleet(yakt.cluster, acks, { ...DEFAULT_FLEET, brokers: opts.brokers, mode: opts.mode });
  await fleet.register(() => yakt.leader);
  fleet.start();
  // Every broker has made its first (snapshot) poll or watch and heartbeated: the fleet is steady.
  await Bun.sleep(DEFAULT_FLEET.heartbeatMs + 1_000);
  const result: MixedResult = {
    opts,
    load: { clients: 0, ok: 0, failed: 0, seconds: 0, latenciesMs: [] },
    byKind: Object.fromEntries(KINDS.map((k) => [k, { ok: 0, failed: 0 }])),
    failures: new Map(),
    propagationMs: acks.propagationMs,
    propagationByNode: acks.byNode,
    leader: yakt.leader,
    earlyArrivals: 0,
    polls: 0,
    failedPolls: 0,
    startupFailedPolls: 0,
    pollFailures: fleet.pollFailures,
    leaderChanges: 0,
    termChanges: 0,
    counters: {},
    nodeCpuMs: 0,
    generatorCpuMs: 0,
    nodes: [],
    generatorThreads: [new Map(), new Map()],
    elections: [],
  };
  const ids = yakt.cluster.live();
  const pids = ids.map((id) => yakt.cluster.pid(id));
  const logAt = new Map(ids.map((id) => [id, yakt.cluster.log(id).length]));
  const ticks0 = await nodeTicks(yakt);
  const perNode0 = pids.map(processCpuMs);
  const threads0 = pids.map(threadCpu);
  const selfThreads0 = threadCpu(process.pid);
  const cpu0 = clusterCpuMs(pids);
  const self0 = processCpuMs(process.pid);
  const counters0 = await nodeCounters(yakt);
  const polls0 = fleet.polls;
  result.startupFailedPolls = fleet.failedPolls;
  const paced = pacer(opts.opsPerSecond);
  result.load = await runLoad({ clients: opts.writers, durationMs: opts.durationMs, maxRequests: 10_000_000, request: async (seq) => {
    await paced(seq);
    return operation(yakt, acks, result, seq);
  } });
  result.nodeCpuMs = clusterCpuMs(pids) - cpu0;
  const ticks = await nodeTicks(yakt);
  result.nodes = ids.map((id, i) => ({
    id,
    cpuMs: processCpuMs(pids[i]) - perNode0[i],
    ticksPerSecond: ((ticks.get(id) ?? 0) - (ticks0.get(id) ?? 0)) / result.load.seconds,
    threads: [threads0[i], threadCpu(pids[i])],
  }));
  result.elections = electionLines(yakt, logAt);
  // Of every thread of this process: the writers and the fleet's threads.
  result.generatorCpuMs = processCpuMs(process.pid) - self0;
  result.generatorThreads = [selfThreads0, threadCpu(process.pid)];
  result.counters = counterDelta(counters0, await nodeCounters(yakt));
  result.leaderChanges = result.counters.leaderChanges;
  result.termChanges = result.counters.term;
  result.polls = fleet.polls - polls0;
  result.earlyArrivals = acks.earlyCount;
  await fleet.stop();
  result.failedPolls = fleet.failedPolls - result.startupFailedPolls;
  return result;
}

if (import.meta.main) {
  ensureHttpSlots(4_096);
  const { percentile } = await import("./load.ts");
  const opts: MixedOptions = {
    brokers: Number(process.env.BROKERS ?? 1_000),
    writers: Number(process.env.WRITERS ?? 8),
    durationMs: Number(process.env.DURATION_MS ?? 30_000),
    mode: DEFAULT_FLEET.mode,
    opsPerSecond: process.env.OPS_PER_SECOND === undefined ? undefined : Number(process.env.OPS_PER_SECOND),
  };
  const yakt = new YaktTarget();
  try {
    await yakt.start();
    const r = await runMixed(yakt, opts);
    const p = (q: number) => percentile(r.propagationMs, q).toFixed(1);
    console.log(
      `${opts.brokers} ${opts.mode === "watch" ? "watching" : "long-polling"} brokers, ${opts.writers} writers${opts.opsPerSecond === undefined ? "" : ` paced to ${opts.opsPerSecond} ops/s`}, ${opts.durationMs} ms: ${r.load.ok} ops ok (${(r.load.ok / r.load.seconds).toFixed(0)}/s), ${r.load.failed} failed, ` +
        `leader changes ${r.leaderChanges} (terms +${r.termChanges}), polls ${r.polls} (${r.failedPolls} failed; ${r.startupFailedPolls} before the row), propagation p50 ${p(50)} p99 ${p(99)} max ${p(100)} ms over ${r.propagationMs.length}`,
    );
    const byNode = [...r.propagationByNode].sort(([a], [b]) => a - b);
    const q = (v: number[], at: number) => percentile(v, at).toFixed(1);
    console.log(
      `propagation by the brokers' node (leader ${r.leader}): ${byNode.map(([id, v]) => `node ${id} p50 ${q(v, 50)} p99 ${q(v, 99)} max ${q(v, 100)}`).join("; ")}; ${r.earlyArrivals} arrivals overtook their acknowledgement (0 ms)`,
    );
    console.log(JSON.stringify(r.byKind), JSON.stringify(Object.fromEntries(r.failures)), JSON.stringify(Object.fromEntries(r.pollFailures)));
    console.log(JSON.stringify(r.counters), `node CPU ${(r.nodeCpuMs / 1000).toFixed(1)} s, generator CPU ${(r.generatorCpuMs / 1000).toFixed(1)} s`);
    const perPoll = r.polls > 0 ? ((r.nodeCpuMs * 1000) / r.polls).toFixed(0) : "-";
    const perDelivery = (ms: number) => (r.propagationMs.length > 0 ? ((ms * 1000) / r.propagationMs.length).toFixed(2) : "-");
    console.log(`node CPU per ${opts.mode === "watch" ? "heartbeat" : "poll"} ${perPoll} µs, per change delivered to a broker ${perDelivery(r.nodeCpuMs)} µs (generator ${perDelivery(r.generatorCpuMs)} µs); per node: ${r.nodes.map((n) => `node ${n.id} CPU ${(n.cpuMs / 1000).toFixed(1)} s, ${n.ticksPerSecond.toFixed(0)} ticks/s`).join("; ")}`);
    if (opts.mode === "watch") {
      const writes = r.counters.yakt_watch_event_writes_total ?? 0;
      console.log(`watch feeds ${r.counters.yakt_watch_feeds_total ?? 0}, record-event writes ${writes} (${writes > 0 ? (r.propagationMs.length / writes).toFixed(2) : "-"} changes delivered per write)`);
    }
    const unit = opts.mode === "watch" ? "heartbeat" : "poll";
    for (const n of r.nodes) console.log(`  node ${n.id} threads (µs per ${unit} of the fleet, user+system): ${threadCpuLine(n.threads[0], n.threads[1], r.polls)}`);
    console.log(`  generator threads (µs per ${unit}, user+system): ${threadCpuLine(r.generatorThreads[0], r.generatorThreads[1], r.polls)}`);
    for (const line of r.elections.slice(0, 20)) console.log(line);
    if (process.env.PROFILE) {
      // A graceful stop lets the nodes write their profiles (BUN_OPTIONS=--cpu-prof-md ...).
      for (const id of yakt.cluster.live()) process.kill(yakt.cluster.pid(id), "SIGTERM");
      await Bun.sleep(3000);
    }
  } finally {
    await yakt.stop();
  }
}
