// Leader failover at scale: one 3-node cluster of dist/yakt (or YAKT_BINARY) filled through the REST
// API like `make bench-scale` (SCALE_TOPICS topics × 100 partitions, RF 3, 30 brokers heartbeating),
// then TRIALS kill -9s of the leader, each timed to the next acknowledged write (the victim started
// again, caught up and, unless FAILOVER_SETTLE=0, quiet before the next). Prints every trial, the median and the max, and how many
// trials needed more than one election (a split vote: the term rose by more than one) or more than
// one pre-vote round (a lost round: a survivor still counted the dead leader's lease, or both
// asked at once). Each trial also shows, per survivor, its Raft tick rate from just before the
// kill to just after the acknowledged write (100/s at the default 10 ms tick; fewer means ticks
// ran late on a busy loop), its pre-vote rounds, its CPU time over the trial (/proc utime+stime),
// when it saw its connection to the victim close after the kill (late at 1M partitions: the kernel
// closes a killed process's sockets only once it has freed its memory; scripts/bench/kill-close.ts)
// and, on the one elected, when it took over after the kill and how long after that the first write
// was acknowledged (the new leader's takeover cost, with the client's own retries); the last line
// gives the median and max of both.
// Not a test; for comparing two builds back to back:
//   YAKT_BINARY=/tmp/yakt-old bun run scripts/bench/scale-failover.ts
//   SCALE_TOPICS=1000 TRIALS=5 bun run scripts/bench/scale-failover.ts     (a quick try)
//   FAILOVER_LOGS=1 TRIALS=3 bun run scripts/bench/scale-failover.ts        (with the survivors' log lines of each trial)
import { loadavg } from "node:os";
import { BINARY, ProcessCluster } from "../../test/cluster/support/process-cluster.ts";
import { processCpuMs } from "./cpu.ts";
import { type FailoverTimes, Heartbeats, failoverTimed, fill, metric, p } from "./scale-steps.ts";

const TOPICS = Number(process.env.SCALE_TOPICS ?? 10_000);
const TRIALS = Number(process.env.TRIALS ?? 12);
const LEADER_WAIT_MS = 60_000;
const APPLY_WAIT_MS = 600_000;
/**
 * FAILOVER_SETTLE=0: the next trial starts as soon as the restarted victim has caught up. By default
 * it also waits (bounded) for that process to go quiet: having replayed its log into a
 * 1M-partition image it collects and compiles for a second or more, and a survivor doing that
 * acknowledges the new leader's first entries late (seen: 90–500 ms) — the cost of a node just
 * started, not of a failover.
 */
const SETTLE = process.env.FAILOVER_SETTLE !== "0";
const SETTLE_WINDOW_MS = 500;
/** Quiet: under this much CPU per window (10%). */
const SETTLE_CPU_MS = 50;
const SETTLE_MAX_MS = 30_000;

/** Waits until process `pid` uses less than SETTLE_CPU_MS of CPU in a SETTLE_WINDOW_MS window (at most SETTLE_MAX_MS). */
async function settle(pid: number): Promise<void> {
  const t0 = performance.now();
  let cpu = processCpuMs(pid);
  while (performance.now() - t0 < SETTLE_MAX_MS) {
    await Bun.sleep(SETTLE_WINDOW_MS);
    const now = processCpuMs(pid);
    if (now - cpu < SETTLE_CPU_MS) return;
    cpu = now;
  }
  console.log(`  (the restarted process ${pid} was still busy after ${SETTLE_MAX_MS} ms)`);
}

/** FAILOVER_LOGS=1: every survivor's log lines of each trial too. */
const SHOW_LOGS = process.env.FAILOVER_LOGS === "1";

/** A node's process, tick count, CPU time and how much of its log was written, just before the kill. */
interface Mark {
  node: number;
  pid: number;
  ticks: number;
  /** performance.now() when `ticks` was read. */
  at: number;
  cpuMs: number;
  logChars: number;
}

async function mark(cluster: ProcessCluster, node: number): Promise<Mark> {
  const pid = cluster.pid(node);
  const ticks = await metric(cluster, node, "yakt_raft_ticks_total");
  return { node, pid, ticks, at: performance.now(), cpuMs: processCpuMs(pid), logChars: cluster.log(node).length };
}

/**
 * "node 2: 87 ticks/s, 1 pre-vote, 40 ms CPU, close +60 ms, leads +160 ms, first write +45 ms" per survivor (the
 * last parts on the one elected: its log's time of becoming leader after the kill, and the write's
 * acknowledgement after that), the pre-vote rounds summed over them, and the two times.
 */
async function survivorsSince(cluster: ProcessCluster, marks: Mark[], f: FailoverTimes): Promise<{ text: string; preVotes: number; electedMs?: number; takeoverMs?: number }> {
  let preVotes = 0;
  let electedMs: number | undefined;
  let takeoverMs: number | undefined;
  const parts: string[] = [];
  for (const m of marks) {
    const cpuMs = processCpuMs(cluster.pid(m.node)) - m.cpuMs;
    const ticks = await metric(cluster, m.node, "yakt_raft_ticks_total");
    const spanMs = performance.now() - m.at;
    const log = cluster.log(m.node).slice(m.logChars);
    const rounds = log.match(/"event":"raft\.campaign"[^\n]*"kind":"pre-vote"/g)?.length ?? 0;
    const led = /"ts":"([^"]+)"[^\n]*"event":"raft\.role"[^\n]*"role":"leader"/.exec(log)?.[1];
    const closed = new RegExp(`"ts":"([^"]+)"[^\\n]*"event":"peer_disconnected"[^\\n]*"peer":${f.victim},`).exec(log)?.[1];
    const close = closed === undefined ? "" : `, close +${Date.parse(closed) - f.killedAt} ms`;
    preVotes += rounds;
    if (led !== undefined) {
      electedMs = Date.parse(led) - f.killedAt;
      takeoverMs = f.ackedAt - Date.parse(led);
    }
    const leads = led === undefined ? "" : `, leads +${electedMs} ms, first write +${takeoverMs} ms`;
    if (SHOW_LOGS) for (const line of log.split("\n").filter(Boolean)) console.log(`  node ${m.node}: ${line.slice(0, 400)}`);
    parts.push(`node ${m.node}: ${(((ticks - m.ticks) * 1000) / spanMs).toFixed(0)} ticks/s, ${rounds} pre-vote, ${cpuMs.toFixed(0)} ms CPU${close}${leads}`);
  }
  return { text: parts.join("; "), preVotes, electedMs, takeoverMs };
}

const cluster = new ProcessCluster(3);
cluster.startAll();
const beats = new Heartbeats(cluster, 30);
try {
  let leader = await cluster.waitForLeader(LEADER_WAIT_MS);
  await beats.register(leader);
  console.log(`binary ${BINARY}; ${TOPICS} topics × 100 partitions; load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  await fill(cluster, () => leader, { topics: TOPICS, partitions: 100, clients: 8, samples: 5 });
  const trials: number[] = [];
  const elected: number[] = [];
  const takeovers: number[] = [];
  let extraElections = 0;
  let lostPreVotes = 0;
  for (let t = 0; t < TRIALS; t++) {
    leader = await cluster.waitForLeader(LEADER_WAIT_MS);
    const termBefore = (await cluster.status(leader))?.term ?? 0;
    // Every node marked: failover() picks its victim itself, and the leader may change meanwhile.
    const marks = await Promise.all(cluster.live().map((n) => mark(cluster, n)));
    const times = await failoverTimed(cluster, LEADER_WAIT_MS);
    trials.push(times.ms);
    // The victim is running again by now, as a new process.
    const survivors = await survivorsSince(cluster, marks.filter((m) => cluster.pid(m.node) === m.pid), times);
    if (survivors.electedMs !== undefined) elected.push(survivors.electedMs);
    if (survivors.takeoverMs !== undefined) takeovers.push(survivors.takeoverMs);
    const now = await cluster.waitForLeader(LEADER_WAIT_MS);
    const term = (await cluster.status(now))?.term ?? 0;
    if (term > termBefore + 1) extraElections++;
    if (survivors.preVotes > 1) lostPreVotes++;
    console.log(`trial ${t + 1}: ${trials[t].toFixed(0)} ms, term ${termBefore} → ${term}; ${survivors.text}`);
    await cluster.waitApplied((await cluster.status(now))?.commitOffset ?? 0, APPLY_WAIT_MS);
    if (SHOW_LOGS) for (const line of cluster.log(times.victim).split("\n").filter(Boolean)) console.log(`  restarted node ${times.victim}: ${line.slice(0, 400)}`);
    if (SETTLE) await settle(cluster.pid(times.victim));
  }
  const load = loadavg().map((l) => l.toFixed(1)).join(" ");
  console.log(`failover median ${p(trials, 50).toFixed(0)} ms, max ${p(trials, 100).toFixed(0)} ms over ${TRIALS}; ${extraElections} needed more than one election, ${lostPreVotes} more than one pre-vote round; load ${load}`);
  console.log(`kill → elected median ${p(elected, 50).toFixed(0)} ms, max ${p(elected, 100).toFixed(0)} ms; elected → first write median ${p(takeovers, 50).toFixed(0)} ms, max ${p(takeovers, 100).toFixed(0)} ms (${takeovers.length} trials whose new leader logged its election)`);
} finally {
  await beats.stop();
  await cluster.stopAll();
}
