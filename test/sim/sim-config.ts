// Everything one run is parameterized by, and the defaults derived from a seed (node count,
// pre-vote / check-quorum, fault mix), so a seed alone names a run.
import type { RaftRuntime } from "../../src/node/raft-runtime.ts";
import type { RuntimeOptions } from "../../src/node/runtime-options.ts";
import type { ClientOptions } from "./clients.ts";
import type { CoreFactory } from "./core.ts";
import type { FaultOptions } from "./faults.ts";
import type { NetworkOptions } from "./network.ts";
import type { DiskBugs } from "./sim-disk.ts";
import type { RuntimeBugs } from "./sim-node.ts";
import { swarmFaults } from "./swarm.ts";

export interface SimConfig {
  seed: number;
  /** Voters at bootstrap (ids 1..nodes); `spareIds` more ids can join through membership changes. */
  nodes: number;
  spareIds: number;
  /** Virtual ms of the phase with clients and faults. */
  duration: number;
  /** Virtual ms allowed after healing for a leader and a fresh committed write, then for catch-up. */
  settleTimeout: number;
  /** Bound on events of one run (a runaway loop fails instead of hanging). */
  maxEvents: number;
  tickInterval: number;
  /** Readys a node may have in flight (1: none taken while one persists; more: pipelined, FIFO disk). */
  pipeline: number;
  /** A leader sends its replication before persisting, as the runtime does (splitEarlyMessages). */
  earlySend: boolean;
  maxDiskLatency: number;
  electionTick: number;
  heartbeatTick: number;
  maxMsgBytes: number;
  maxInflight: number;
  /** Entry bytes in flight to one follower; ≥ maxMsgBytes. */
  maxInflightBytes: number;
  snapshotChunkBytes: number;
  preVote: boolean;
  checkQuorum: boolean;
  network: NetworkOptions;
  /** The links once every fault is healed (liveness is only required on a calm network). */
  calmNetwork: NetworkOptions;
  clients: ClientOptions;
  faults: FaultOptions;
  diskBugs: DiskBugs;
  runtimeBugs: RuntimeBugs;
  /**
   * true (the default): every node runs the real node runtime (src/node/raft-runtime.ts) over the
   * real write planner; false: core mode, the real core under the simulator's own Ready loop
   * (where the planted core bugs and the Ready-loop bugs run).
   */
  runtime: boolean;
  /** Core mode: null for the real core from src/raft. */
  factory: CoreFactory | null;
  /** Runtime mode: null for the real RaftRuntime, else a deliberately broken one (runtime-bugs.ts). */
  runtimeFactory: ((options: RuntimeOptions) => RaftRuntime) | null;
  /** Runtime mode: the runtime snapshots its state machine every this many applied entries. */
  snapshotEntries: number;
  /**
   * Runtime mode: an entry applied must already be durable (flushed), not merely written — the
   * direct check of flush before apply. Off only to show the end-to-end checks catch a flush bug alone.
   */
  appliedDurableCheck: boolean;
  /** Runtime mode: each node's clock runs up to this many percent fast or slow. */
  clockDriftPercent: number;
  /** Flags that `cli.ts --seed N` needs besides the seed to replay this run ("" for the default). */
  replayFlags: string;
  /** Every trace line goes here when set (verbose replay). */
  traceSink: ((line: string) => void) | null;
}

export function configForSeed(seed: number, overrides: Partial<SimConfig> = {}): SimConfig {
  // Derive the seed-level choices from the seed's low bits so they do not disturb the run's PRNG.
  const nodes = seed % 3 === 0 ? 5 : 3;
  const oldSchool = seed % 7 === 0; // now and then without pre-vote and check-quorum
  return {
    seed,
    nodes,
    spareIds: 2,
    duration: 4000,
    settleTimeout: 6000,
    maxEvents: 400_000,
    tickInterval: 10,
    pipeline: seed % 2 === 0 ? 4 : 1, // every other seed keeps stepping the core while persisting
    earlySend: Math.floor(seed / 2) % 2 === 0, // crossed with pipeline: all four pairs alike often
    maxDiskLatency: 3,
    electionTick: 10,
    heartbeatTick: 2,
    maxMsgBytes: 512,
    maxInflight: 4,
    // Every third seed the byte bound, not the count, closes the window (two Apps' worth).
    maxInflightBytes: seed % 3 === 1 ? 1024 : 4096,
    snapshotChunkBytes: 96,
    preVote: !oldSchool,
    checkQuorum: !oldSchool,
    network: { minDelay: 1, maxDelay: 8, slowRate: 0.03, dropRate: 0, dupRate: 0 },
    calmNetwork: { minDelay: 1, maxDelay: 8, slowRate: 0, dropRate: 0, dupRate: 0 },
    clients: { count: 3, keys: 3, opTimeout: 600, maxAttempts: 8, thinkTime: [2, 40], readRate: 0.4, forwardRate: 0.3 },
    // Swarm testing: the seed draws its own mix and intensities around these.
    faults: swarmFaults(seed, {
      meanInterval: 80,
      maxOutage: 400,
      weights: { crash: 3, partition: 2, asymmetric: 1, "isolate-leader": 1, lossy: 2, compact: 3, membership: 2, transfer: 1, wipe: 1, pause: 2, "clock-jump": 1, "depose-leader": 0 },
      crashPointRate: 0.002,
      tearRate: 0.002,
      corruptRate: 0.02,
      corruptSnapshotRate: 0.02,
      minVoters: 3,
      maxVoters: nodes + 1,
    }),
    diskBugs: { forgetVote: false },
    runtimeBugs: { sendBeforePersist: false, readBeforeApplied: false },
    runtime: true,
    factory: null,
    runtimeFactory: null,
    snapshotEntries: 40,
    appliedDurableCheck: true,
    clockDriftPercent: 5,
    replayFlags: "",
    traceSink: null,
    ...overrides,
  };
}

/**
 * Overrides for the bug-injection runs: no pre-vote or check-quorum, election timeouts close to
 * the (slow) link delays, and frequent crash points, so leadership churns, competing candidacies in
 * one term are common and entries are often left on a single node; one entry per App, so a
 * follower can ack an old-term entry without the new leader's no-op after it.
 */
export function churnProfile(seed: number): Partial<SimConfig> {
  const base = configForSeed(seed);
  return {
    replayFlags: "--churn",
    duration: 4000,
    preVote: false,
    checkQuorum: false,
    electionTick: 3,
    heartbeatTick: 1,
    maxMsgBytes: 50,
    network: { ...base.network, minDelay: 2, maxDelay: 30, slowRate: 0.05 },
    faults: {
      ...base.faults,
      meanInterval: 100,
      maxOutage: 300,
      crashPointRate: 0.4,
      weights: { crash: 6, partition: 2, asymmetric: 1, "isolate-leader": 4, lossy: 1, compact: 0, membership: 0, transfer: 1, wipe: 0, pause: 2, "clock-jump": 0, "depose-leader": 0 },
    },
  };
}

/**
 * Overrides for stress campaigns: five clients, frequent faults with more compaction, membership
 * changes and transfers, and per seed one extreme among: one App in flight, 16-byte snapshot
 * chunks, one entry per App, 16 Readys pipelined.
 */
export function stressProfile(seed: number): Partial<SimConfig> {
  const base = configForSeed(seed);
  const extreme = seed % 4;
  return {
    replayFlags: "--stress",
    maxInflight: extreme === 0 ? 1 : 16,
    snapshotChunkBytes: extreme === 1 ? 16 : 200,
    maxMsgBytes: extreme === 2 ? 60 : 2048,
    // One full App at most (byte bound = maxMsgBytes) every other seed, else four.
    maxInflightBytes: (extreme === 2 ? 60 : 2048) * (seed % 2 === 0 ? 1 : 4),
    pipeline: extreme === 3 ? 16 : base.pipeline,
    clients: { ...base.clients, count: 5, thinkTime: [1, 15] },
    faults: {
      ...base.faults,
      meanInterval: 40,
      crashPointRate: 0.03,
      weights: { ...base.faults.weights, compact: 6, membership: 4, transfer: 3 },
    },
  };
}

/**
 * Overrides for hunting checksum bugs: crashes and snapshots first of all, and a corrupt read (of
 * the snapshot or a log entry) at most start-ups.
 */
export function corruptProfile(seed: number): Partial<SimConfig> {
  const base = configForSeed(seed);
  return {
    replayFlags: "--corrupt",
    faults: { ...base.faults, corruptRate: 0.5, corruptSnapshotRate: 0.3, weights: { ...base.faults.weights, crash: 8, compact: 4 } },
  };
}

/** The corrupt profile with every corrupt read striking the snapshot (its row or a chunk), never a log entry. */
export function corruptSnapshotsProfile(seed: number): Partial<SimConfig> {
  const corrupt = corruptProfile(seed);
  return { ...corrupt, replayFlags: "--corrupt-snapshots", faults: { ...corrupt.faults!, corruptRate: 0, corruptSnapshotRate: 0.5 } };
}

/**
 * Overrides for hunting stale reads: process pauses the only outage (no partitions or crashes), long
 * and frequent, half of them of the leader; most gets forwarded. A stale read then comes from an
 * old leader resuming (or a node that still takes it for the leader), the case the read barrier is for.
 */
export function pausesProfile(seed: number): Partial<SimConfig> {
  const base = configForSeed(seed);
  const none = { crash: 0, partition: 0, asymmetric: 0, "isolate-leader": 0, lossy: 0, compact: 1, membership: 0, transfer: 1, wipe: 0, pause: 8, "clock-jump": 1, "depose-leader": 0 };
  return {
    replayFlags: "--pauses",
    clients: { ...base.clients, count: 6, keys: 2, readRate: 0.6, forwardRate: 0.7 },
    faults: { ...base.faults, meanInterval: 60, maxOutage: 600, crashPointRate: 0, tearRate: 0, corruptRate: 0, corruptSnapshotRate: 0, weights: none },
  };
}

/**
 * Overrides for hunting directory-id bugs: the churn profile (elections close to the link delays,
 * frequent crash points, no pre-vote) with frequent wiped disks, and Apps large enough for the
 * membership (with its directory ids) so the leader can bind them (churn's one-entry Apps cannot).
 */
export function wipesProfile(seed: number): Partial<SimConfig> {
  const churn = churnProfile(seed);
  return {
    ...churn,
    replayFlags: "--wipes",
    maxMsgBytes: 400,
    faults: { ...churn.faults!, weights: { ...churn.faults!.weights, crash: 4, wipe: 6 } },
  };
}

/**
 * Overrides for hunting reads served by a leader that no longer leads: the deposed-leader fault
 * first of all (cut off and frozen while the rest elect and commit, then resumed still cut off),
 * five voters every other seed (where a follower cut off with the old leader keeps forwarding its
 * reads to it, and where the leader and one asker are no quorum), with three voters learners
 * coming and going (one cut off with the old leader does the same; never a fourth voter), more
 * clients reading and half the reads forwarded, no crashes.
 */
export function deposedProfile(seed: number): Partial<SimConfig> {
  const base = configForSeed(seed);
  const nodes = seed % 2 === 0 ? 5 : 3;
  const membership = nodes === 3 ? 2 : 0;
  const weights = { crash: 0, partition: 0, asymmetric: 0, "isolate-leader": 0, lossy: 0, compact: 1, membership, transfer: 1, wipe: 0, pause: 1, "clock-jump": 0, "depose-leader": 8 };
  return {
    replayFlags: "--deposed",
    nodes,
    clients: { ...base.clients, count: 6, keys: 2, readRate: 0.6, forwardRate: 0.5 },
    faults: { ...base.faults, meanInterval: 150, maxOutage: 400, crashPointRate: 0, tearRate: 0, corruptRate: 0, corruptSnapshotRate: 0, minVoters: 3, maxVoters: nodes, weights },
  };
}
