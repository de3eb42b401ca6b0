// A quick, repeatable write row for working on the write path: the steady rows' write (a broker
// host update over 1,000 brokers, to the leader) at one client count for a few seconds against a
// 3-node YAKt cluster and then a 3-member etcd in the same run, with each member's CPU time per
// acknowledged write from /proc. Not part of `make bench` (whose 60-s rows are the published ones).
//
//   bun run scripts/bench-write.ts [--clients 64] [--seconds 15] [--warmup 2] [--systems yakt,etcd]
// A long --warmup (30 s and more) runs the row on a full table of remembered request ids, as the
// 60-s rows of `make bench` do.
// YAKT_BINARY picks the build (e.g. an older commit's dist/yakt), YAKT_FLAGS adds node flags.
// Each member's CPU is also printed by thread (main, JIT, GC helpers, I/O pool), user+system apart.
// PROFILE=1 stops the YAKt nodes gracefully after the row so they write their CPU profiles:
//   PROFILE=1 BUN_OPTIONS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" bun run scripts/bench-write.ts --systems yakt
import "./bench/memory-options.ts";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { processCpuMs } from "./bench/cpu.ts";
import { threadCpu, threadCpuLine } from "./bench/thread-cpu.ts";
import { type LoadResult, percentile, runLoad } from "./bench/load.ts";
import { KEYS } from "./bench/steady.ts";
import type { YaktTarget } from "./bench/yakt-target.ts";
import { type Members, onEtcd, onYakt, runSystems, runtimeCounters, yaktMembers } from "./bench/row-members.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "64" },
    seconds: { type: "string", default: "15" },
    warmup: { type: "string", default: "2" },
    systems: { type: "string", default: "yakt,etcd" },
  },
});
const clients = Number(values.clients);
const durationMs = Number(values.seconds) * 1000;
const warmupMs = Number(values.warmup) * 1000;
if (!Number.isInteger(clients) || clients < 1 || !(durationMs > 0) || !(warmupMs >= 0)) {
  throw new Error(`--clients must be a positive integer, --seconds positive and --warmup at least 0, got ${values.clients}, ${values.seconds} and ${values.warmup}`);
}

/** The runtime's counters that say where a write's work goes (per member, over the row). */
const COUNTERS = ["ready_cycles", "flushes", "persist_batches", "persisted_entries", "persist_micros", "messages_sent", "messages_received", "leader_changes", "snapshots_taken", "forwards_sent"];
/** The event-loop probe's gauges and pause counters (loop-lag.ts); the max gauge resets on read, so the row's read is the row's max. */
const LOOP = ["lag_max_ms", "lag_peak_ms", "pauses_over_20ms_total", "pauses_over_100ms_total", "pauses_over_1000ms_total"];

/** The counters a row reads: the ones above, the longest persist (a gauge) and the loop's. */
const counters = (urls: string[]) => runtimeCounters(urls, [...COUNTERS, "persist_micros_max"], LOOP);

/**
 * One row: warm up, then `clients` writers for durationMs; CPU per member over the row only.
 * `members` is asked after the warm-up, so a leader elected meanwhile is the one listed first.
 */
async function measure(name: string, members: () => Promise<Members>, write: (seq: number) => Promise<boolean>): Promise<void> {
  await runLoad({ clients, durationMs: warmupMs, maxRequests: 1e7, request: write });
  const { pids, metricUrls } = await members();
  const before = await counters(metricUrls);
  const cpu0 = pids.map(processCpuMs);
  const threads0 = pids.map(threadCpu);
  const load0 = loadavg()[0];
  const row: LoadResult = await runLoad({ clients, durationMs, maxRequests: 1e8, request: write });
  const cpuMs = pids.map((pid, i) => processCpuMs(pid) - cpu0[i]);
  const threads1 = pids.map(threadCpu);
  const perWrite = (ms: number) => ((ms * 1000) / Math.max(1, row.ok)).toFixed(0);
  const total = cpuMs.reduce((a, b) => a + b, 0);
  console.log(
    `${name.padEnd(5)} ${clients} clients: ${(row.ok / row.seconds).toFixed(0)} writes/s, ${row.failed} failed, ` +
      `p50 ${percentile(row.latenciesMs, 50).toFixed(2)} ms, p99 ${percentile(row.latenciesMs, 99).toFixed(2)} ms, ` +
      `cluster CPU ${perWrite(total)} µs/write (members ${cpuMs.map(perWrite).join(" / ")}${metricUrls.length > 0 ? ", leader first" : ""}), load ${load0.toFixed(2)}→${loadavg()[0].toFixed(2)}`,
  );
  const after = await counters(metricUrls);
  // The longest persist is a maximum since the node started, not over the row: from a Ready's write
  // to its flush (before the write pipeline, a stall that long held the node's event loop). The
  // event loop's own pauses are the row's.
  after.forEach((m, i) =>
    console.log(
      `  ${i === 0 ? "leader  " : "follower"}: ${COUNTERS.map((c) => `${c} ${(m.get(c)! - before[i].get(c)!).toFixed(0)}`).join(", ")}, ` +
        `longest persist since start ${((m.get("persist_micros_max") ?? Number.NaN) / 1000).toFixed(0)} ms, ` +
        `loop lag max ${m.get("lag_max_ms")} ms (peak since start ${m.get("lag_peak_ms")} ms), pauses over 20/100/1000 ms ` +
        LOOP.slice(2).map((c) => (m.get(c)! - before[i].get(c)!).toFixed(0)).join("/"),
    ),
  );
  // Each member's threads by name, user+system µs per write: the main thread against JavaScriptCore's
  // JIT and GC helpers and the I/O pool that runs the fsyncs.
  pids.forEach((_pid, i) => console.log(`  threads ${i + 1} (µs/write user+system): ${threadCpuLine(threads0[i], threads1[i], row.ok)}`));
  if (process.env.PROFILE && metricUrls.length > 0) {
    // A graceful stop lets the nodes write their profiles (BUN_OPTIONS=--cpu-prof-md ...); the
    // leader's pid is printed so its profile can be told from the followers'.
    console.log(`  profiled pids (leader first): ${pids.join(" ")}`);
    for (const pid of pids) process.kill(pid, "SIGTERM");
    await Bun.sleep(3000);
  }
}

await runSystems(values.systems, {
  yakt: () =>
    onYakt(async (target) => {
      const stop = target.watchLeader();
      try {
        await measure("yakt", () => yaktMembers(target), (s) => target.updateBroker(s, KEYS));
      } finally {
        stop();
      }
    }),
  etcd: () => onEtcd((target, members) => measure("etcd", members, (s) => target.overwrite(s, KEYS))),
});
