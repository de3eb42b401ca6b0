// A quick, repeatable read row for working on the read path: the steady rows' read (a
// linearizable GET /v1/brokers/:id over 1,000 brokers, round-robin over the three nodes) at one
// client count for a few seconds against a 3-node YAKt cluster and then a 3-member etcd (its
// linearizable range read of one of 1,000 keys) in the same run, with each member's CPU time per
// read from /proc, the leader's first. Not part of `make bench` (whose 60-s rows are the published
// ones).
//
//   bun run scripts/bench-read.ts [--clients 64] [--seconds 10] [--warmup 2] [--systems yakt,etcd] [--stale]
// --stale reads YAKt with ?consistency=stale (no ReadIndex round): what the HTTP layer and the
// answer cost alone, to tell them apart from the read barrier's share.
// YAKT_BINARY picks the build (e.g. an older commit's dist/yakt), YAKT_FLAGS adds node flags.
// PROFILE=1 stops the YAKt nodes with SIGTERM so that a profiler asked for through BUN_OPTIONS
// (e.g. --cpu-prof-md) writes its profile.
import "./bench/memory-options.ts";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { processCpuMs } from "./bench/cpu.ts";
import { type LoadResult, percentile, runLoad } from "./bench/load.ts";
import { KEYS } from "./bench/steady.ts";
import { type Members, onEtcd, onYakt, runSystems, runtimeCounters, yaktMembers } from "./bench/row-members.ts";
import { BENCH_BROKER_BASE, type YaktTarget } from "./bench/yakt-target.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "64" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    systems: { type: "string", default: "yakt,etcd" },
    stale: { type: "boolean", default: false },
  },
});
const clients = Number(values.clients);
const durationMs = Number(values.seconds) * 1000;
const warmupMs = Number(values.warmup) * 1000;
if (!Number.isInteger(clients) || clients < 1 || !(durationMs > 0) || !(warmupMs >= 0)) {
  throw new Error(`--clients must be a positive integer, --seconds positive and --warmup at least 0, got ${values.clients}, ${values.seconds} and ${values.warmup}`);
}

/** The runtime's counters that say how reads were confirmed (per member, over the row). */
const COUNTERS = ["read_barriers", "read_index_rounds", "reads_failed", "ready_cycles", "messages_sent", "messages_received"];

const counters = (urls: string[]) => runtimeCounters(urls, COUNTERS);

/** Reads/s ratio to etcd's, once both rows ran. */
const readsPerSecond = new Map<string, number>();

/** One row: warm up, then `clients` readers for durationMs; CPU per member over the row only. */
async function measure(name: string, members: () => Promise<Members>, read: (seq: number) => Promise<boolean>): Promise<void> {
  await runLoad({ clients, durationMs: warmupMs, maxRequests: 1e7, request: read });
  const { pids, metricUrls } = await members();
  const before = await counters(metricUrls);
  const cpu0 = pids.map(processCpuMs);
  const self0 = process.cpuUsage();
  const load0 = loadavg()[0];
  const row: LoadResult = await runLoad({ clients, durationMs, maxRequests: 1e8, request: read });
  const cpuMs = pids.map((pid, i) => processCpuMs(pid) - cpu0[i]);
  const self = process.cpuUsage(self0);
  const perRead = (ms: number) => ((ms * 1000) / Math.max(1, row.ok)).toFixed(0);
  const total = cpuMs.reduce((a, b) => a + b, 0);
  readsPerSecond.set(name, row.ok / row.seconds);
  console.log(
    `${name.padEnd(10)} ${clients} clients: ${(row.ok / row.seconds).toFixed(0)} reads/s, ${row.failed} failed, ` +
      `p50 ${percentile(row.latenciesMs, 50).toFixed(2)} ms, p99 ${percentile(row.latenciesMs, 99).toFixed(2)} ms, ` +
      `cluster CPU ${perRead(total)} µs/read (members ${cpuMs.map(perRead).join(" / ")}${metricUrls.length > 0 ? ", leader first" : ""}), ` +
      `load generator ${perRead((self.user + self.system) / 1000)} µs/read, load ${load0.toFixed(2)}→${loadavg()[0].toFixed(2)}`,
  );
  const after = await counters(metricUrls);
  after.forEach((m, i) =>
    console.log(`  ${i === 0 ? "leader  " : "follower"}: ${COUNTERS.map((c) => `${c} ${(m.get(c)! - before[i].get(c)!).toFixed(0)}`).join(", ")}`),
  );
}

/** target.read's request with ?consistency=stale: served from the node's state, no round. */
async function staleRead(target: YaktTarget, seq: number): Promise<boolean> {
  const live = target.cluster.live();
  const path = `/v1/brokers/${BENCH_BROKER_BASE + (seq % KEYS)}?consistency=stale`;
  const res = await fetch(target.cluster.url(live[seq % live.length], path), { signal: AbortSignal.timeout(10_000) }).catch(() => null);
  if (!res) return false;
  await res.arrayBuffer();
  return res.status === 200;
}

await runSystems(values.systems, {
  yakt: () =>
    onYakt(async (target) => {
      const read = values.stale ? (s: number) => staleRead(target, s) : (s: number) => target.read(s, KEYS);
      await measure(values.stale ? "yakt stale" : "yakt", () => yaktMembers(target), read);
      if (process.env.PROFILE) {
        // A graceful stop lets the nodes write their profiles (BUN_OPTIONS=--cpu-prof-md ...).
        for (const id of target.cluster.live()) process.kill(target.cluster.pid(id), "SIGTERM");
        await Bun.sleep(3000);
      }
    }),
  etcd: () =>
    onEtcd(async (target, members) => {
      // The same 1,000 keys the reads ask for exist, as the broker ids do on YAKt.
      for (let k = 0; k < KEYS; k++) if (!(await target.overwrite(k, KEYS))) throw new Error(`etcd refused the put of key ${k}`);
      await measure("etcd", members, (s) => target.read(s, KEYS));
    }),
});
const [y, e] = [readsPerSecond.get(values.stale ? "yakt stale" : "yakt"), readsPerSecond.get("etcd")];
if (y !== undefined && e !== undefined) console.log(`yakt/etcd reads/s: ${(y / e).toFixed(2)}×`);
