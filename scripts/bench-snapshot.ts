// Snapshot of a 50k-topic image (200-character names, one partition each unless --per-topic says
// more), built through the real state machine and stored in SqliteStorage (WAL, synchronous=NORMAL):
// the old path (the JSON version 2 document encoded in one go, then one saveSnapshot transaction)
// against the node's Snapshotter (capture, sliced binary encoding, the bytes stored in 256 KiB
// transactions, publish). Reports the total time and the longest single synchronous stretch each
// holds the event loop — what a node stalls for while it snapshots.
// Usage: bun scripts/bench-snapshot.ts [--topics N] [--per-topic K] [--dir <directory on the disk to measure>]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Command, encodeCommand } from "../src/metadata/commands.ts";
import { encodeSnapshot } from "../src/metadata/image-codec.ts";
import { MetadataStateMachine } from "../src/metadata/state-machine.ts";
import { Applier } from "../src/node/applier.ts";
import { Logger } from "../src/node/logger.ts";
import { RuntimeMetrics } from "../src/node/metrics.ts";
import { ProposalWaiters } from "../src/node/proposal-waiters.ts";
import { DEFAULT_SLICE_ITEMS, Snapshotter } from "../src/node/snapshotter.ts";
import type { Entry, Membership } from "../src/raft/types.ts";
import { SqliteStorage } from "../src/storage/sqlite-storage.ts";

const T0 = "2026-11-24T00:00:00.000Z";
const NAME_CHARS = 200;
const PERSIST_BATCH = 5_000;
const MEMBERSHIP: Membership = { voters: [1], learners: [], addresses: { "1": "127.0.0.1:1" } };
/** Bound on waiting for the sliced snapshot to finish. */
const SNAPSHOT_TIMEOUT_MS = 120_000;

interface Row {
  path: string;
  totalMs: number;
  longestMs: number;
  slices: number;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function commands(topics: number, perTopic: number): Command[] {
  const out: Command[] = [1, 2, 3].map((b) => ({
    kind: "registerBroker", timestamp: T0, internalUUID: `uuid-broker-${b}`, brokerId: b,
    brokerHost: `host${b}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: "r1",
  }));
  for (let k = 0; k < topics; k++) {
    const head = `topic-${k.toString().padStart(8, "0")}-`;
    const name = head + "x".repeat(NAME_CHARS - head.length);
    out.push({ kind: "createTopic", timestamp: T0, topicUUID: `uuid-topic-${k}`, name, partitions: perTopic, replicationFactor: 1 });
  }
  return out;
}

/** A store holding the entries, and an Applier that applied them to a fresh state machine. */
function node(dir: string, name: string, cmds: Command[], lines: string[]) {
  const storage = SqliteStorage.open(join(dir, `${name}.db`));
  storage.format({ clusterId: "bench", nodeId: 1 });
  const sm = new MetadataStateMachine();
  const log = new Logger(1, (line) => lines.push(line), () => ({ term: 1, role: "leader" }));
  const applier = new Applier(sm, new ProposalWaiters(16, 1_000), log, MEMBERSHIP);
  for (let from = 0; from < cmds.length; from += PERSIST_BATCH) {
    const entries: Entry[] = cmds.slice(from, from + PERSIST_BATCH).map((c, i) => ({ index: from + i + 1, term: 1, type: "normal", data: encodeCommand(c) }));
    storage.persist({ hardState: { term: 1, vote: 1, commit: from + entries.length }, entries, snapshot: null });
    applier.apply(entries);
  }
  // Each path starts from a collected heap, so it does not pay for the set-up's (or the other's) garbage.
  Bun.gc(true);
  return { storage, sm, log, applier };
}

function oldPath(dir: string, cmds: Command[]): Row & { bytes: number } {
  const { storage, sm, applier } = node(dir, "old", cmds, []);
  try {
    const started = performance.now();
    const data = encodeSnapshot(sm.image(), sm.appliedIndex(), sm.rememberedInOrder());
    storage.saveSnapshot({ meta: { index: applier.applied, term: 1, membership: MEMBERSHIP }, data });
    const ms = performance.now() - started;
    return { path: "old: JSON v2 encode + save at once", totalMs: ms, longestMs: ms, slices: 1, bytes: data.length };
  } finally {
    storage.close();
  }
}

/** The loop's longest gap between two macrotasks while `running` holds (the probe's own view of stalls). */
function probeLoop(running: () => boolean): Promise<number> {
  return new Promise((resolve) => {
    let last = performance.now();
    let longest = 0;
    const tick = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (running()) setImmediate(tick);
      else resolve(longest);
    };
    setImmediate(tick);
  });
}

async function newPath(dir: string, cmds: Command[]): Promise<Row & { probeMs: number; detail: string }> {
  const lines: string[] = [];
  const { storage, sm, log, applier } = node(dir, "new", cmds, lines);
  const snapshotter = new Snapshotter(
    {
      nodeId: 1, storage, stateMachine: sm, applier, log, counters: new RuntimeMetrics(), now: Date.now,
      everyEntries: 1_000_000_000, everyMs: 1_000_000_000,
      defer: (work) => setImmediate(work),
    },
    0,
  );
  const raft = { compact: () => {} };
  let running = true;
  const probe = probeLoop(() => running);
  try {
    const started = performance.now();
    const done = snapshotter.snapshotNow(raft);
    const captureMs = performance.now() - started;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no snapshot within ${SNAPSHOT_TIMEOUT_MS} ms`)), SNAPSHOT_TIMEOUT_MS);
    });
    await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    const totalMs = performance.now() - started;
    running = false;
    const taken = lines.map((l) => JSON.parse(l)).find((e) => e.event === "snapshot_taken");
    if (!taken) throw new Error(`no snapshot_taken line; log: ${lines.join("\n")}`);
    return {
      path: `new: sliced (${DEFAULT_SLICE_ITEMS} items, 256 KiB)`,
      totalMs,
      longestMs: Math.max(captureMs, taken.longestEncodeSliceMs, taken.longestStoreSliceMs),
      slices: taken.slices + 1,
      probeMs: await probe,
      detail: `capture ${captureMs.toFixed(1)} ms, longest encode slice ${taken.longestEncodeSliceMs} ms, longest store slice ${taken.longestStoreSliceMs} ms`,
    };
  } finally {
    running = false;
    snapshotter.stop();
    storage.close();
  }
}

function printTable(topics: number, perTopic: number, bytes: number, rows: Row[], probeMs: number, detail: string): void {
  const header = ["path", "total ms", "longest stall ms", "slices"];
  const cells = rows.map((r) => [r.path, r.totalMs.toFixed(0), r.longestMs.toFixed(1), String(r.slices)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ");
  console.log(`snapshot: ${topics} topics of ${NAME_CHARS}-character names, ${perTopic} partition(s) each, JSON ${(bytes / 1e6).toFixed(1)} MB; SqliteStorage WAL + synchronous=NORMAL`);
  console.log(line(header));
  for (const c of cells) console.log(line(c));
  console.log(`new path: ${detail}; longest gap between two macrotasks a setImmediate probe saw: ${probeMs.toFixed(1)} ms`);
}

const topics = Number(flag("--topics") ?? 50_000);
if (!Number.isSafeInteger(topics) || topics < 1) throw new RangeError(`--topics must be a positive integer, got ${flag("--topics")}`);
const perTopic = Number(flag("--per-topic") ?? 1);
if (!Number.isSafeInteger(perTopic) || perTopic < 1) throw new RangeError(`--per-topic must be a positive integer, got ${flag("--per-topic")}`);
const dir = mkdtempSync(join(flag("--dir") ?? tmpdir(), "yakt-bench-snapshot-"));
try {
  const cmds = commands(topics, perTopic);
  const old = oldPath(dir, cmds);
  const sliced = await newPath(dir, cmds);
  printTable(topics, perTopic, old.bytes, [old, sliced], sliced.probeMs, sliced.detail);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
