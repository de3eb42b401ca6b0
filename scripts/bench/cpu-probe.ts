// Where the CPU goes during write load: user+system CPU of each node process and of the load
// generator, per acknowledged write, plus leader changes and snapshots during each row. Not part
// of `make bench`; a tool for profiling the write path:
//   bun run scripts/bench/cpu-probe.ts            (ROWS=1,16,64 DURATION_MS=5000 by default)
//   PROFILE=1 BUN_OPTIONS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" bun run scripts/bench/cpu-probe.ts
import { processCpuMs as cpuMs } from "./cpu.ts";
import { runLoad } from "./load.ts";
import { YaktTarget } from "./yakt-target.ts";

const ROWS = (process.env.ROWS ?? "1,16,64").split(",").map(Number);
const DURATION = Number(process.env.DURATION_MS ?? 5000);

async function counters(yakt: YaktTarget, id: number): Promise<{ leaderChanges: number; snapshots: number }> {
  const text = await (await fetch(yakt.cluster.url(id, "/metrics"))).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  return { leaderChanges: value("yakt_raft_leader_changes_total"), snapshots: value("yakt_raft_snapshots_taken_total") };
}

const yakt = new YaktTarget();
await yakt.start();
const nodes = yakt.cluster.live().map((id) => ({ id, pid: yakt.cluster.pid(id) }));
for (const clients of ROWS) {
  await runLoad({ clients, durationMs: 500, maxRequests: 1e6, request: (s) => yakt.write(`warm${clients}`, s) });
  const cpu0 = nodes.map((n) => cpuMs(n.pid));
  const c0 = await Promise.all(nodes.map((n) => counters(yakt, n.id)));
  const self0 = process.cpuUsage();
  const r = await runLoad({ clients, durationMs: DURATION, maxRequests: 1e6, request: (s) => yakt.write(`run${clients}`, s) });
  const self = process.cpuUsage(self0);
  const cpu = nodes.map((n, i) => cpuMs(n.pid) - cpu0[i]);
  const c1 = await Promise.all(nodes.map((n) => counters(yakt, n.id)));
  const perWrite = (ms: number) => `${((ms * 1000) / Math.max(1, r.ok)).toFixed(0)}µs`;
  const parts = nodes.map((n, i) => `n${n.id}${n.id === yakt.leader ? "*" : ""} ${perWrite(cpu[i])} snap+${c1[i].snapshots - c0[i].snapshots}`);
  const changes = Math.max(...nodes.map((_, i) => c1[i].leaderChanges - c0[i].leaderChanges));
  console.log(
    `${clients} clients: ${(r.ok / r.seconds).toFixed(0)} w/s, ${r.failed} failed, leader changes ${changes} | ${parts.join(" | ")} | gen ${perWrite((self.user + self.system) / 1000)}`,
  );
}
if (yakt.failures.size > 0) console.log("failed writes:", JSON.stringify(Object.fromEntries(yakt.failures)));
if (process.env.PROFILE) {
  // A graceful stop lets the nodes write their profiles (BUN_OPTIONS=--cpu-prof-md ...).
  for (const n of nodes) process.kill(n.pid, "SIGTERM");
  await Bun.sleep(3000);
}
await yakt.stop();
