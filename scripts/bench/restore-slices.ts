// The metadata state machine's snapshot restore at scale, in-process: 30 brokers on 6 racks and
// topics of 100 partitions (RF 3, each created under a request id, as the REST fill does) up to
// --partitions, then its binary snapshot restored into a new state machine twice: in one go
// (restore(), what start-up does) and in slices (beginRestore(), what a follower installing its
// leader's snapshot does), with the slice budget the runtime uses. Reported: CPU and wall time of
// each, the number of slices and the longest slice (the longest the event loop would be held).
// Speed is never asserted; run it to compare builds:
//   bun scripts/bench/restore-slices.ts [--partitions 1000000] [--items 2048]
import { loadavg } from "node:os";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { DEFAULT_INSTALL_SLICE_ITEMS } from "../../src/node/apply-slices.ts";
import { positiveIntFlag } from "./flags.ts";
import { fillImage } from "./scale-image.ts";

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

const partitions = positiveIntFlag("--partitions", 1_000_000);
const items = positiveIntFlag("--items", DEFAULT_INSTALL_SLICE_ITEMS);
const source = new MetadataStateMachine();
fillImage(source, partitions);
const index = source.appliedIndex();
const bytes = source.snapshot();
console.log(`${source.image().partitionCount().toLocaleString("en")} partitions, snapshot ${(bytes.length / 2 ** 20).toFixed(1)} MiB, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);

for (let round = 0; round < 2; round++) {
  Bun.gc(true);
  let cpu = process.cpuUsage();
  let started = performance.now();
  new MetadataStateMachine().restore(index, bytes);
  console.log(`one go:    ${(performance.now() - started).toFixed(0)} ms wall, ${cpuMs(cpu).toFixed(0)} ms CPU (the loop held for all of it)`);
  Bun.gc(true);
  const target = new MetadataStateMachine();
  const restore = target.beginRestore(index, bytes);
  const slices: number[] = [];
  cpu = process.cpuUsage();
  started = performance.now();
  for (let done = false; !done; ) {
    const t = performance.now();
    done = restore.step(items);
    slices.push(performance.now() - t);
  }
  const wall = performance.now() - started;
  slices.sort((a, b) => a - b);
  const q = (p: number) => slices[Math.min(slices.length - 1, Math.floor(p * slices.length))].toFixed(1);
  console.log(`in slices: ${wall.toFixed(0)} ms wall, ${cpuMs(cpu).toFixed(0)} ms CPU, ${slices.length} slices of ${items} items: median ${q(0.5)} ms, p99 ${q(0.99)} ms, longest ${slices[slices.length - 1].toFixed(1)} ms`);
  if (target.image().partitionCount() !== source.image().partitionCount()) throw new Error("the sliced restore lost partitions");
}
