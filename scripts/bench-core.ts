// Micro-benchmark of the consensus core alone: entries committed per second through a 3-node
// cluster of src/raft cores wired directly together in one process — no disk, no network, no
// faults, proposals in batches. It measures the core's own cost per entry (replication, commit,
// Ready bookkeeping), not a deployment. Prints one line. Not a test: the number depends on the
// machine and its load.
// Usage: bun scripts/bench-core.ts [--entries N] [--batch B]
import { Raft } from "../src/raft/index.ts";
import type { Message, NodeId, RaftConfig, Ready } from "../src/raft/types.ts";

const VOTERS: NodeId[] = [1, 2, 3];
const ENTRY_BYTES = 64;
const MAX_ENTRIES = 5_000_000;
const MAX_BATCH = 4096;
/** Rounds of Ready handling allowed without progress before the bench declares the cluster stuck. */
const MAX_IDLE_ROUNDS = 1000;

class BenchError extends Error {
  readonly code = "bench";
}

function intArg(name: string, fallback: number, max: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new BenchError(`${name} needs an integer in [1, ${max}], got ${process.argv[i + 1]}`);
  return n;
}

/** Deterministic source for the cores' election jitter (the bench needs no real randomness). */
function counterRandom(id: number): () => number {
  let x = id * 7919;
  return () => ((x = (x * 48271) % 2147483647) / 2147483647);
}

function config(id: NodeId): RaftConfig {
  return {
    id,
    electionTick: 10,
    heartbeatTick: 2,
    random: counterRandom(id),
    maxMsgBytes: 1 << 20,
    maxInflight: 256,
    maxInflightBytes: 8 * 1024 * 1024,
    snapshotChunkBytes: 1 << 20,
    preVote: true,
    checkQuorum: true,
    initialMembership: { voters: VOTERS, learners: [], addresses: { 1: "a", 2: "b", 3: "c" } },
  };
}

class Cluster {
  readonly cores = new Map<NodeId, Raft>();
  private mailbox: Message[] = [];
  committedOnLeader = 0;

  constructor() {
    for (const id of VOTERS) this.cores.set(id, new Raft(config(id), { hardState: { term: 0, vote: 0, commit: 0 }, snapshot: null, entries: [], applied: 0 }));
  }

  core(id: NodeId): Raft {
    return this.cores.get(id)!;
  }

  /** Handle Readys and deliver messages until the cluster is quiet. */
  settle(leader: NodeId): void {
    for (;;) {
      let busy = false;
      for (const [id, core] of this.cores) {
        while (core.hasReady()) {
          busy = true;
          this.handle(id, leader, core.ready(), core);
        }
      }
      const batch = this.mailbox;
      this.mailbox = [];
      for (const m of batch) this.core(m.to).step(m);
      if (!busy && batch.length === 0) return;
    }
  }

  private handle(id: NodeId, leader: NodeId, rd: Ready, core: Raft): void {
    // Storage is not under test: the Ready counts as persisted at once.
    for (const m of rd.messages) this.mailbox.push(m);
    if (id === leader) this.committedOnLeader += rd.committed.length;
    core.advance(rd);
  }
}

function elect(c: Cluster): NodeId {
  c.core(1).campaign();
  for (let round = 0; round < MAX_IDLE_ROUNDS; round++) {
    c.settle(0);
    if (c.core(1).status().role === "leader") return 1;
    for (const core of c.cores.values()) core.tick();
  }
  throw new BenchError(`no leader after ${MAX_IDLE_ROUNDS} rounds`);
}

function main(): void {
  const entries = intArg("--entries", 200_000, MAX_ENTRIES);
  const batch = intArg("--batch", 256, MAX_BATCH);
  const c = new Cluster();
  const leader = elect(c);
  c.settle(leader);
  const base = c.committedOnLeader;
  const data = new Uint8Array(ENTRY_BYTES).fill(7);
  const started = performance.now();
  let proposed = 0;
  let idle = 0;
  while (c.committedOnLeader - base < entries) {
    const before = c.committedOnLeader;
    for (let k = 0; k < batch && proposed < entries; k++) {
      const r = c.core(leader).propose(data);
      if (!r.ok) throw new BenchError(`proposal ${proposed} refused: ${r.reason} (${r.message})`);
      proposed++;
    }
    c.settle(leader);
    idle = c.committedOnLeader === before ? idle + 1 : 0;
    if (idle > MAX_IDLE_ROUNDS) throw new BenchError(`commit stalled at ${c.committedOnLeader - base} of ${entries}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const committed = c.committedOnLeader - base;
  console.log(
    `core: ${Math.round(committed / seconds)} entries/s committed — 3 in-process cores, ${committed} entries of ${ENTRY_BYTES} B ` +
      `in batches of ${batch}, no disk/network/faults, ${seconds.toFixed(2)} s`,
  );
}

try {
  main();
} catch (e) {
  console.error(e instanceof BenchError ? e.message : e);
  process.exit(1);
}
