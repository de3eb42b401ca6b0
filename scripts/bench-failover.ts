// Fencing a broker at the largest image the bounds allow (src/metadata/limits.ts: MAX_PARTITIONS
// partitions, as topics of MAX_PARTITIONS_PER_REQUEST), 30 brokers on 3 racks, replication 3: the
// broker leads 1/30 of the partitions and sits in the ISR of 1/10. The real state machine applies
// the fence and the controller's reconcile batches (partition-controller.ts), each one encoded,
// decoded and applied as a replica would. Reports the time from the fence to the last batch
// applied, the batches, the largest entry against MAX_COMMAND_BYTES, the longest apply, the
// longest event-loop pause (a 1 ms interval probe), and whether a diff since the fence holds every
// changed partition (the history bound) — not a test: numbers to compare before and after.
// Usage: bun scripts/bench-failover.ts [--partitions N] [--history N]
import "./bench/memory-options.ts";
import { type Command, encodeCommand } from "../src/metadata/commands.ts";
import { DEFAULT_HISTORY_RECORDS, MAX_COMMAND_BYTES, MAX_PARTITIONS, MAX_PARTITIONS_PER_REQUEST } from "../src/metadata/limits.ts";
import { PartitionController, type ReconcileBatch } from "../src/metadata/partition-controller.ts";
import { MetadataStateMachine } from "../src/metadata/state-machine.ts";
import { positiveIntFlag as flag } from "./bench/flags.ts";

const T0 = "2026-11-24T00:00:00.000Z";
const BROKERS = 30;
const RACKS = 3;
const RF = 3;
const FENCED = 7;

/** Longest gap between ticks of a 1 ms interval: the longest time the event loop was held. */
class LoopProbe {
  private last = performance.now();
  maxGapMs = 0;
  private readonly timer = setInterval(() => {
    const now = performance.now();
    this.maxGapMs = Math.max(this.maxGapMs, now - this.last);
    this.last = now;
  }, 1);
  stop(): void {
    clearInterval(this.timer);
  }
}

function build(sm: MetadataStateMachine, partitions: number): void {
  let index = 0;
  const apply = (command: Command) => {
    const result = sm.apply(++index, encodeCommand(command));
    if (!result.ok) throw new Error(`${command.kind} refused: ${result.error.message}`);
  };
  for (let id = 1; id <= BROKERS; id++) {
    apply({ kind: "registerBroker", timestamp: T0, internalUUID: `b-${id}`, brokerId: id, brokerHost: `h${id}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id % RACKS}` });
    apply({ kind: "changeBroker", timestamp: T0, brokerId: id, change: "heartbeat" });
  }
  for (let t = 0; t * MAX_PARTITIONS_PER_REQUEST < partitions; t++) {
    const count = Math.min(MAX_PARTITIONS_PER_REQUEST, partitions - t * MAX_PARTITIONS_PER_REQUEST);
    apply({ kind: "createTopic", timestamp: T0, topicUUID: `00000000-0000-4000-8000-${String(t).padStart(12, "0")}`, name: `topic-${t}`, partitions: count, replicationFactor: RF });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const partitions = flag("--partitions", MAX_PARTITIONS);
  const historyRecords = flag("--history", DEFAULT_HISTORY_RECORDS);
  const sm = new MetadataStateMachine({ historyRecords });
  const built = performance.now();
  build(sm, partitions);
  const image = sm.image();
  console.log(`image: ${image.partitionCount()} partitions, ${BROKERS} brokers, built in ${((performance.now() - built) / 1000).toFixed(1)} s`);
  console.log(`broker ${FENCED} leads ${image.leaderCount(FENCED)} partitions and is in ${image.isrPartitionsOf(FENCED).length} ISRs`);

  const stats = { batches: 0, changed: 0, maxEntryBytes: 0, maxApplyMs: 0, maxApplyCpuMs: 0, applyCpuMs: [] as number[] };
  const controller = new PartitionController({
    image: () => sm.image(),
    propose: async (batch: ReconcileBatch) => {
      const bytes = encodeCommand({ kind: "reconcilePartitions", timestamp: T0, ...batch });
      const started = performance.now();
      const cpu = process.cpuUsage();
      const result = sm.apply(sm.appliedIndex() + 1, bytes);
      const cpuUsed = process.cpuUsage(cpu);
      stats.maxApplyMs = Math.max(stats.maxApplyMs, performance.now() - started);
      stats.maxApplyCpuMs = Math.max(stats.maxApplyCpuMs, (cpuUsed.user + cpuUsed.system) / 1000);
      stats.applyCpuMs.push((cpuUsed.user + cpuUsed.system) / 1000);
      if (!result.ok) throw new Error(`batch refused: ${result.error.message}`);
      stats.batches++;
      stats.changed += result.records.length;
      stats.maxEntryBytes = Math.max(stats.maxEntryBytes, bytes.byteLength);
      // A real proposal waits for a commit: give the loop a turn as it would.
      await new Promise((resolve) => setImmediate(resolve));
      return { offset: sm.appliedIndex(), changed: result.records.length };
    },
  });
  sm.onChange((change) => controller.onImageChange(change));
  controller.start();
  await controller.settled();

  const probe = new LoopProbe();
  await Bun.sleep(5); // the probe's first ticks
  const fenceAt = sm.appliedIndex() + 1;
  const started = performance.now();
  const cpuAtFence = process.cpuUsage();
  const fence = sm.apply(fenceAt, encodeCommand({ kind: "changeBroker", timestamp: T0, brokerId: FENCED, change: "fence" }));
  if (!fence.ok) throw new Error(`fence refused: ${fence.error.message}`);
  await Bun.sleep(0);
  await controller.settled();
  const totalMs = performance.now() - started;
  const cpuTotal = process.cpuUsage(cpuAtFence);
  probe.stop();

  const inDiff = sm.history.after(fenceAt).filter((r) => r.name === "PartitionRecord").length;
  const diffComplete = sm.history.floor < fenceAt && inDiff === stats.changed;
  console.log(`load average ${(await import("node:os")).loadavg()[0].toFixed(1)} on ${navigator.hardwareConcurrency} cores`);
  console.log(`fence to last batch applied: ${totalMs.toFixed(0)} ms wall, ${((cpuTotal.user + cpuTotal.system) / 1000).toFixed(0)} ms CPU; ${stats.batches} batches, ${stats.changed} partitions changed`);
  console.log(`largest entry: ${stats.maxEntryBytes} bytes (bound ${MAX_COMMAND_BYTES}); longest apply: ${stats.maxApplyMs.toFixed(1)} ms wall, ${stats.maxApplyCpuMs.toFixed(1)} ms CPU (median ${median(stats.applyCpuMs).toFixed(1)} ms CPU)`);
  console.log(`longest event-loop pause: ${probe.maxGapMs.toFixed(1)} ms wall (includes time the OS ran other processes)`);
  console.log(`broker ${FENCED} leads ${sm.image().leaderCount(FENCED)} partitions, is in ${sm.image().isrPartitionsOf(FENCED).length} ISRs (sole members kept)`);
  console.log(`diff since the fence (history of ${historyRecords} records): ${diffComplete ? "holds every change" : `incomplete (${inDiff} of ${stats.changed}): a fetch since then gets a snapshot`}`);
}

await main();
