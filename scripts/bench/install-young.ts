// A follower's sliced install of its leader's snapshot at scale, in-process, with and without the
// young collections ApplySlices makes every INSTALL_SLICES_PER_COLLECTION slices (apply-slices.ts).
// As on a restarted follower: its own snapshot restored in one go and collected (warm-up.ts's
// collectRestoreGarbage), then the leader's slightly newer snapshot decoded DEFAULT_INSTALL_SLICE_ITEMS
// records a slice, a macrotask each. Reported: the RSS it started from, its highest during the
// install (sampled after every slice) and 1 and 3 s after; each collection's wall time and the
// loop thread's CPU for it; the install's CPU. Run each way in a fresh process and compare:
//   bun scripts/bench/install-young.ts [--partitions 1000000] [--every 16 | --none]
import { edenGC } from "bun:jsc";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { encodeCommand } from "../../src/metadata/commands.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { DEFAULT_INSTALL_SLICE_ITEMS, INSTALL_SLICES_PER_COLLECTION } from "../../src/node/apply-slices.ts";
import { positiveIntFlag } from "./flags.ts";
import { fillImage } from "./scale-image.ts";

const partitions = positiveIntFlag("--partitions", 1_000_000);
const every = process.argv.includes("--none") ? 0 : positiveIntFlag("--every", INSTALL_SLICES_PER_COLLECTION);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const rss = () => process.memoryUsage().rss;
/** CPU the loop's thread has run, ms (a wait for the collector's helper threads is not in it). */
const threadCpuMs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
const turn = () => new Promise((resolve) => setImmediate(resolve));

// The two snapshots: the follower's own, and the leader's after one more change (one broker moved).
let leader: MetadataStateMachine | null = new MetadataStateMachine();
fillImage(leader, partitions);
const ownIndex = leader.appliedIndex();
const own = leader.snapshot();
leader.apply(ownIndex + 1, encodeCommand({ kind: "changeBroker", timestamp: new Date(0).toISOString(), brokerId: 1, change: "update", brokerPort: "9093" }));
const newer = leader.snapshot();
leader = null;

const follower = new MetadataStateMachine();
follower.restore(ownIndex, own);
Bun.gc(true);
await Bun.sleep(1_000);
const start = rss();
let peak = start;
const wall: number[] = [];
const cpu: number[] = [];
const used = process.cpuUsage();
const restore = follower.beginRestore(ownIndex + 1, newer);
let slices = 0;
for (let done = false; !done; ) {
  done = restore.step(DEFAULT_INSTALL_SLICE_ITEMS);
  slices++;
  if (every > 0 && (done || slices % every === 0)) {
    const [t, c] = [performance.now(), threadCpuMs()];
    edenGC();
    wall.push(performance.now() - t);
    cpu.push(threadCpuMs() - c);
  }
  peak = Math.max(peak, rss());
  await turn();
}
const installCpu = process.cpuUsage(used);
const after = [rss()];
for (const ms of [1_000, 2_000]) {
  await Bun.sleep(ms);
  after.push(rss());
}
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]?.toFixed(1) ?? "-";
console.log(`${partitions.toLocaleString("en")} partitions, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}; ${every > 0 ? `a young collection every ${every} slices` : "no collections"}`);
console.log(
  `install: ${slices} slices, ${((installCpu.user + installCpu.system) / 1000).toFixed(0)} ms CPU; RSS ${mib(start)} MiB at its start, ${mib(peak)} at most (+${mib(peak - start)}), ${mib(after[0])} at its end, ${mib(after[1])} 1 s and ${mib(after[2])} 3 s later`,
);
if (wall.length > 0) console.log(`${wall.length} collections: wall median ${q(wall, 0.5)} ms, longest ${q(wall, 1)} ms, ${wall.reduce((a, b) => a + b, 0).toFixed(0)} ms in all; loop thread CPU median ${q(cpu, 0.5)} ms, longest ${q(cpu, 1)} ms`);
