// Memory of the metadata state machine at scale, in-process: 30 brokers on 6 racks, then topics of
// 100 partitions (RF 3) applied through the real state machine (commands encoded as in the log,
// each with a request id, so the request table and the diff history hold what a node's do), until
// --partitions. Reports heap and RSS after a full GC, the heap's biggest object types, and the
// binary snapshot's size, encode and load times (what a restart reads).
// Usage: bun scripts/bench/image-memory.ts [--partitions 1000000] [--types]
import { heapStats } from "bun:jsc";
import { type Command, encodeCommand } from "../../src/metadata/commands.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";

const T0 = "2026-11-24T00:00:00.000Z";
const BROKERS = 30;
const RACKS = 6;
const PER_TOPIC = 100;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

function settled(): { heap: number; rss: number } {
  Bun.gc(true);
  Bun.gc(true);
  return { heap: heapStats().heapSize, rss: process.memoryUsage().rss };
}

function fill(sm: MetadataStateMachine, partitions: number): void {
  let index = sm.appliedIndex();
  const apply = (c: Command) => {
    const result = sm.apply(++index, encodeCommand(c));
    if (!result.ok) throw new Error(`fill failed at entry ${index}: ${result.error.message}`);
  };
  for (let b = 1; b <= BROKERS; b++) {
    apply({ kind: "registerBroker", timestamp: T0, internalUUID: `00000000-0000-4000-8000-${String(b).padStart(12, "0")}`, brokerId: b, brokerHost: `host${b}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `rack${b % RACKS}` });
    apply({ kind: "changeBroker", timestamp: T0, brokerId: b, change: "heartbeat" });
  }
  for (let t = 0; t * PER_TOPIC < partitions; t++) {
    const topicUUID = `10000000-0000-4000-8000-${String(t).padStart(12, "0")}`;
    const requestId = `k:fill-${t}`;
    apply({ kind: "createTopic", timestamp: new Date(Date.parse(T0) + t).toISOString(), requestId, requestHash: t.toString(16).padStart(32, "0"), topicUUID, name: `topic-${t}`, partitions: Math.min(PER_TOPIC, partitions - t * PER_TOPIC), replicationFactor: 3 });
  }
}

const partitions = Number(flag("--partitions") ?? 1_000_000);
if (!Number.isSafeInteger(partitions) || partitions < 1) throw new RangeError(`--partitions must be a positive integer, got ${flag("--partitions")}`);
const base = settled();
let sm: MetadataStateMachine | null = new MetadataStateMachine();
let started = performance.now();
fill(sm, partitions);
const fillMs = performance.now() - started;
const full = settled();
console.log(`${sm.image().partitionCount()} partitions in ${sm.image().topicCount()} topics, applied in ${(fillMs / 1000).toFixed(1)} s`);
console.log(`heap ${mib(full.heap)} MiB (+${mib(full.heap - base.heap)}), RSS ${mib(full.rss)} MiB (+${mib(full.rss - base.rss)})`);
if (process.argv.includes("--types")) {
  const counts = Object.entries(heapStats().objectTypeCounts).sort((a, b) => b[1] - a[1]).slice(0, 12);
  console.log(counts.map(([k, v]) => `${k} ${v}`).join(", "));
}
started = performance.now();
const bytes = sm.snapshot();
const encodeMs = performance.now() - started;
const { applied, count } = { applied: sm.appliedIndex(), count: sm.image().partitionCount() };
// A restarting node holds no other image: the filled one goes before the load is timed.
sm = null;
settled();
started = performance.now();
const copy = new MetadataStateMachine();
copy.restore(applied, bytes);
const loadMs = performance.now() - started;
if (copy.image().partitionCount() !== count) throw new Error("the loaded snapshot lost partitions");
console.log(`snapshot ${mib(bytes.length)} MiB (format byte ${bytes[0]}), encoded in ${encodeMs.toFixed(0)} ms (unsliced), loaded in ${loadMs.toFixed(0)} ms`);
