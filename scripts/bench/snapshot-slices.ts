// The node's own snapshot at scale, in-process: 30 brokers on 6 racks and topics of 100
// partitions (RF 3, each created under a request id, as the REST fill does) up to --partitions,
// then the Snapshotter (capture, sliced encoding, the bytes stored in SqliteStorage in chunks,
// publish, sweep) run the way the node runs it (one slice per setImmediate). Reported: every
// slice's length by phase, the longest lateness of a 5 ms timer (what the node's loop-lag probe
// sees), the longest gap between two macrotasks that no slice accounts for (a GC pause or other
// work), the heap before and after, the process's RSS before, at its highest (sampled with the 5 ms
// timer) and after, and CPU and wall time. Speed is never asserted; run it to
// compare builds; --no-collect leaves the young garbage to JavaScriptCore (as before the snapshot
// collected it itself every SLICES_PER_COLLECTION slices):
//   bun scripts/bench/snapshot-slices.ts [--partitions 1000000] [--rounds 3] [--no-collect]
import { edenGC, heapStats } from "bun:jsc";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { Applier } from "../../src/node/applier.ts";
import { Logger } from "../../src/node/logger.ts";
import { RuntimeMetrics } from "../../src/node/metrics.ts";
import { ProposalWaiters } from "../../src/node/proposal-waiters.ts";
import { Snapshotter } from "../../src/node/snapshotter.ts";
import type { Entry, Membership } from "../../src/raft/types.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { positiveIntFlag } from "./flags.ts";
import { fillImage } from "./scale-image.ts";

const MEMBERSHIP: Membership = { voters: [1], learners: [], addresses: { "1": "127.0.0.1:1" } };
const PROBE_MS = 5;
const PERSIST_BATCH = 5_000;

/**
 * CPU time the loop's thread has run, in ms (the scheduler's count; time the thread waited to run
 * is not in it). On the dev VM it moves in 4 ms ticks, so one slice reads 0, 4 or 8 ms: the
 * longest reading over thousands of slices is within a tick of the longest slice's CPU.
 */
function threadCpuMs(): number {
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
}
const SNAPSHOT_TIMEOUT_MS = 300_000;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Slices timed by the defer the snapshotter is given; gaps between macrotasks by a setImmediate chain. */
class Probe {
  readonly slices: number[] = [];
  /** Per phase: the longest slice by wall time and by the loop thread's CPU time (the machine's load does not move the latter). */
  readonly longest = new Map<string, { wall: number; cpu: number; count: number }>();
  phase = "encode";
  private sliceMs = 0;
  lateMax = 0;
  gapMax = 0;
  rssMax = 0;
  private running = true;
  private last = performance.now();
  private due = performance.now() + PROBE_MS;

  constructor() {
    const late = () => {
      const now = performance.now();
      this.lateMax = Math.max(this.lateMax, now - this.due);
      this.rssMax = Math.max(this.rssMax, process.memoryUsage().rss);
      this.due = now + PROBE_MS;
      if (this.running) setTimeout(late, PROBE_MS);
    };
    setTimeout(late, PROBE_MS);
    const tick = () => {
      const now = performance.now();
      // The gap less the slice that ran in it: what held the loop besides the snapshot's own work.
      this.gapMax = Math.max(this.gapMax, now - this.last - this.sliceMs);
      this.sliceMs = 0;
      this.last = now;
      if (this.running) setImmediate(tick);
    };
    setImmediate(tick);
  }

  defer = (work: () => void): void => {
    setImmediate(() => {
      const phase = this.phase;
      const t = performance.now();
      const c = threadCpuMs();
      work();
      const cpu = threadCpuMs() - c;
      const ms = performance.now() - t;
      this.sliceMs += ms;
      this.slices.push(ms);
      const l = this.longest.get(phase) ?? { wall: 0, cpu: 0, count: 0 };
      this.longest.set(phase, { wall: Math.max(l.wall, ms), cpu: Math.max(l.cpu, cpu), count: l.count + 1 });
    });
  };

  stop(): void {
    this.running = false;
  }
}

async function round(dir: string, n: number, sm: MetadataStateMachine, applied: number): Promise<void> {
  const storage = SqliteStorage.open(join(dir, `round-${n}.db`), { log: () => {} });
  storage.format({ clusterId: "bench", nodeId: 1 });
  // The log the snapshot covers (its content does not matter here): the sweep deletes it after.
  const data = new Uint8Array(16);
  for (let from = 1; from <= applied; from += PERSIST_BATCH) {
    const entries: Entry[] = [];
    for (let i = from; i <= Math.min(applied, from + PERSIST_BATCH - 1); i++) entries.push({ index: i, term: 1, type: "normal", data });
    storage.persist({ hardState: { term: 1, vote: 1, commit: entries[entries.length - 1].index }, entries, snapshot: null });
  }
  const lines: string[] = [];
  const log = new Logger(1, (line) => lines.push(line), () => ({ term: 1, role: "leader" }));
  const applier = new Applier(sm, new ProposalWaiters(16, 1_000), log, MEMBERSHIP);
  applier.applied = applied;
  applier.appliedTerm = 1;
  Bun.gc(true);
  const heapBefore = heapStats().heapSize;
  const rssBefore = process.memoryUsage().rss;
  const probe = new Probe();
  for (const [method, phase] of [["beginSnapshot", "store"], ["publishSnapshot", "publish"], ["sweepSnapshots", "sweep"]] as const) {
    const original = storage[method].bind(storage) as (...args: unknown[]) => unknown;
    (storage as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      probe.phase = phase;
      return original(...args);
    };
  }
  const snapshotter = new Snapshotter(
    { nodeId: 1, storage, stateMachine: sm, applier, log, counters: new RuntimeMetrics(), now: Date.now, everyEntries: 1e9, everyMs: 1e9, defer: probe.defer, collectYoung },
    0,
  );
  const cpu = process.cpuUsage();
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const captureCpu = threadCpuMs();
  const taking = snapshotter.snapshotNow({ compact: () => {} });
  const capture = { wall: performance.now() - started, cpu: threadCpuMs() - captureCpu };
  await Promise.race([
    taking,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("snapshot timed out")), SNAPSHOT_TIMEOUT_MS))),
  ]).finally(() => clearTimeout(timer));
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await new Promise((r) => setTimeout(r, 200)); // the sweep and the probe's last samples
  probe.stop();
  const heapAfter = heapStats().heapSize;
  const rssAfter = process.memoryUsage().rss;
  snapshotter.stop();
  storage.close();
  const taken = lines.map((l) => JSON.parse(l)).find((e) => e.event === "snapshot_taken");
  const sorted = [...probe.slices].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);
  const top = probe.slices.map((ms, i) => ({ ms, i })).sort((a, b) => b.ms - a.ms).slice(0, 5);
  console.log(
    `round ${n}: ${wall.toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU; ${probe.slices.length} slices: median ${q(0.5)} ms, p99 ${q(0.99)} ms, longest ${top.map((t) => `#${t.i} ${t.ms.toFixed(1)}`).join(", ")}; ` +
      `5 ms timer late by at most ${probe.lateMax.toFixed(1)} ms; longest gap outside slices ${probe.gapMax.toFixed(1)} ms; heap ${mib(heapBefore)} → ${mib(heapAfter)}; RSS ${mib(rssBefore)}, at most ${mib(probe.rssMax)}, after ${mib(rssAfter)}`,
  );
  console.log(`  capture (snapshotNow's own call, before the first slice): ${capture.wall.toFixed(1)} ms wall, ${capture.cpu.toFixed(1)} ms thread CPU`);
  for (const [phase, l] of probe.longest) console.log(`  ${phase} (from the slice that starts it): ${l.count} slices, longest ${l.wall.toFixed(1)} ms wall, ${l.cpu.toFixed(1)} ms thread CPU`);
  console.log(`  snapshot_taken: ${JSON.stringify(taken)}`);
}

const partitions = positiveIntFlag("--partitions", 1_000_000);
const collectYoung = process.argv.includes("--no-collect") ? undefined : () => void edenGC();
const rounds = positiveIntFlag("--rounds", 3);
const sm = new MetadataStateMachine();
fillImage(sm, partitions);
const dir = mkdtempSync(join(tmpdir(), "yakt-snapshot-slices-"));
console.log(`${sm.image().partitionCount().toLocaleString("en")} partitions, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
try {
  for (let n = 1; n <= rounds; n++) await round(dir, n, sm, sm.appliedIndex());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
