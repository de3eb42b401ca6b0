// The metadata state machine's snapshot restore at scale, in-process: 30 brokers on 6 racks and
// topics of 100 partitions (RF 3, each created under a request id, as the REST fill does) up to
// --partitions, then its binary snapshot restored into a new state machine twice: in one go
// (restore(), what start-up does) and in slices (beginRestore(), what a follower installing its
// leader's snapshot does), with the slice budget the runtime uses. Reported: CPU and wall time of
// each, the number of slices and the longest slice (the longest the event loop would be held).
// Then the live heap (after full collections) of a follower's install at its peak, where its own
// image and the decoded one are both alive: the new image sharing the unchanged records of the old
// (what beginRestore does), and without sharing (what it did before issue 10), for comparison.
// Speed is never asserted; run it to compare builds:
//   bun scripts/bench/restore-slices.ts [--partitions 1000000] [--items 2048]
import { heapStats } from "bun:jsc";
import { loadavg } from "node:os";
import { beginDecode } from "../../src/metadata/image-codec.ts";
import { type Command, encodeCommand } from "../../src/metadata/commands.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { DEFAULT_INSTALL_SLICE_ITEMS } from "../../src/node/apply-slices.ts";

const T0 = "2026-11-24T00:00:00.000Z";
const BROKERS = 30;
const PER_TOPIC = 100;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return value;
}

function fill(sm: MetadataStateMachine, partitions: number): void {
  let index = 0;
  const apply = (c: Command) => {
    const result = sm.apply(++index, encodeCommand(c));
    if (!result.ok) throw new Error(`fill failed at entry ${index}: ${result.error.message}`);
  };
  for (let b = 1; b <= BROKERS; b++) {
    apply({ kind: "registerBroker", timestamp: T0, internalUUID: `00000000-0000-4000-8000-${String(b).padStart(12, "0")}`, brokerId: b, brokerHost: `host${b}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `rack${b % 6}` });
  }
  for (let t = 0; t * PER_TOPIC < partitions; t++) {
    const topicUUID = `10000000-0000-4000-8000-${String(t).padStart(12, "0")}`;
    apply({ kind: "createTopic", timestamp: T0, requestId: `k:fill-${t}`, requestHash: t.toString(16).padStart(32, "0"), topicUUID, name: `topic-${t}`, partitions: Math.min(PER_TOPIC, partitions - t * PER_TOPIC), replicationFactor: 3 });
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

const partitions = flag("--partitions", 1_000_000);
const items = flag("--items", DEFAULT_INSTALL_SLICE_ITEMS);
const source = new MetadataStateMachine();
fill(source, partitions);
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

/** Live heap after full collections, MiB. */
function liveMiB(): number {
  Bun.gc(true);
  Bun.gc(true);
  return heapStats().heapSize / 2 ** 20;
}

// A follower holds the image of its own snapshot; the leader's is a little newer (one broker changed).
const follower = new MetadataStateMachine();
follower.restore(index, bytes);
source.apply(index + 1, encodeCommand({ kind: "changeBroker", timestamp: T0, brokerId: 1, change: "update", brokerPort: "9093" }));
const newer = source.snapshot();
const own = liveMiB();
for (const share of [true, false]) {
  const decoding = beginDecode(newer, undefined, share ? follower.image() : null);
  const decoded = decoding.step(Number.MAX_SAFE_INTEGER);
  if (decoded === null || !decoded.ok) throw new Error("the newer snapshot did not decode");
  console.log(`install peak ${share ? "sharing unchanged records" : "without sharing"}: ${(liveMiB() - own).toFixed(0)} MiB live on top of the follower's own ${own.toFixed(0)} MiB (both images alive)`);
}
