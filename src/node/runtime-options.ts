// Everything a RaftRuntime is built from, with defaults and range checks in one place.
import { checkNodeId } from "../raft/peer-address.ts";
import type { Membership, NodeId } from "../raft/types.ts";
import type { LogStorage } from "../storage/log-storage.ts";
import type { Transport } from "../transport/transport-types.ts";
import type { Message } from "../raft/types.ts";
import type { StateMachine } from "./contracts.ts";
import {
  DEFAULT_MAX_INFLIGHT,
  DEFAULT_MAX_INFLIGHT_BYTES,
  DEFAULT_MAX_MSG_BYTES,
  DEFAULT_SNAPSHOT_CHUNK_BYTES,
} from "./flow-bounds.ts";
import type { LogSink } from "./logger.ts";
import type { Ticker } from "./ticker.ts";
import { drawFirstReadContext } from "./read-waiters.ts";
import { realTimers, type Timers } from "./timers.ts";

/** The callbacks the runtime hands to the transport it asks to be built. */
export interface TransportHandlers {
  onMessages: (msgs: Message[]) => void;
  onRequest: (from: NodeId, payload: Uint8Array) => Promise<Uint8Array>;
}

export interface RuntimeOptions {
  clusterId: string;
  nodeId: NodeId;
  storage: LogStorage;
  stateMachine: StateMachine;
  /** Builds the transport wired to the runtime's handlers (a PeerTransport in production). */
  transport: (handlers: TransportHandlers) => Transport;
  /** The data dir's directory id (KIP-853), sent on every message; "" (default) for none. */
  directoryId?: string;
  /** Used only when storage holds neither log nor snapshot (a new cluster). */
  initialMembership: Membership;
  ticker: Ticker;
  /** Seeded in tests; the core draws its election timeouts from it. */
  random: () => number;
  /**
   * Where this process life starts numbering its read rounds; it must differ from the previous
   * life's (an answer to a round of that life can still arrive). Default: drawn from `random`.
   */
  firstReadContext?: number;
  electionTicks?: number;
  heartbeatTicks?: number;
  snapshotEntries?: number;
  snapshotIntervalMs?: number;
  /** Also snapshot after the applied entries produced this many state records (StateMachine.recordsApplied). */
  snapshotRecords?: number;
  /**
   * Collects the young generation of the heap (bun:jsc's edenGC in a node), which a sliced install
   * and the node's own snapshot call every few slices (young-collections.ts); none (tests, the
   * simulator): no collection.
   */
  collectYoung?: () => void;
  proposalTimeoutMs?: number;
  readTimeoutMs?: number;
  forwardTimeoutMs?: number;
  /** Bound on waiting for an election before forwarding or reading; default 3 election timeouts. */
  leaderWaitMs?: number;
  /** Bound on a leadership transfer; default 5 election timeouts. */
  transferTimeoutMs?: number;
  /** Bound on waiting for a new learner to catch up before promoting it to voter; default 30 s. */
  promotionTimeoutMs?: number;
  /**
   * How long a deposed leader still waits for its pending proposals to be applied (they may commit
   * under the new leader); default 10 election timeouts, so a stalled apply is not taken for a loss.
   */
  deposedProposalWaitMs?: number;
  maxPendingProposals?: number;
  maxPendingReads?: number;
  maxWaiters?: number;
  maxMsgBytes?: number;
  maxInflight?: number;
  maxInflightBytes?: number;
  snapshotChunkBytes?: number;
  /**
   * A snapshot to install larger than this is written to a store that can stage it
   * (LogStorage.stageInstall) this many bytes per macrotask before its Ready's write, so that write
   * does not hold the loop for the whole snapshot; default 1 MiB.
   */
  stageInstallBytes?: number;
  logSink?: LogSink;
  /** Clock readings; default timers.now. */
  now?: () => number;
  /** Every timeout and deferred step of the runtime; default the host's (the simulator passes virtual ones). */
  timers?: Timers;
  /** The node hit an error it cannot continue from (e.g. the disk refused a write). */
  onFatal?: (error: Error) => void;
  /**
   * The process's event-loop pause probe, shown in the runtime's metrics and stopped with it (a real
   * node's, started once the node serves; none in the simulator).
   */
  loopLag?: LoopLag;
  /**
   * Called once the store is restored into the core and the state machine, before the peer
   * transport starts: nobody, peer or client, waits on the node yet (start-node.ts collects the
   * restore's garbage there).
   */
  onRestored?: () => void;
}

/** What the runtime needs of an event-loop pause probe (loop-lag.ts). */
export interface LoopLag {
  start(): void;
  stop(): void;
  metrics(): Record<string, number>;
}

/** 1 MiB per macrotask: four of the store's 256 KiB pieces, ~2 ms of SQLite writes. */
const DEFAULT_STAGE_INSTALL_BYTES = 1024 * 1024;

export type ResolvedRuntimeOptions = Required<Omit<RuntimeOptions, "onFatal" | "loopLag" | "onRestored" | "collectYoung">> &
  Pick<RuntimeOptions, "onFatal" | "loopLag" | "onRestored" | "collectYoung">;

/**
 * About KRaft's 20 MB of records between snapshots at the metadata model's ~400-byte entries
 * (etcd's snapshot-count is 100,000). A snapshot costs time in proportion to the whole state, so
 * taking one every few thousand entries makes the cost per write grow with the state.
 */
export const DEFAULT_SNAPSHOT_ENTRIES = 50_000;

/**
 * KRaft's 20 MB of records between snapshots, counted in records: a partition record is ~80 bytes
 * in KRaft's format. Reached only by entries that build much state at once (topic creations of
 * many partitions); a snapshot at 1M partitions costs each replica ~0.5 s of CPU in slices.
 */
export const DEFAULT_SNAPSHOT_RECORDS = 250_000;

/** A learner gets this long to catch up before add-voter gives up on promoting it (KRaft waits similarly). */
export const DEFAULT_PROMOTION_TIMEOUT_MS = 30_000;

export function resolveRuntimeOptions(o: RuntimeOptions): ResolvedRuntimeOptions {
  const electionTicks = o.electionTicks ?? 10;
  const electionMs = electionTicks * o.ticker.intervalMs;
  const r: ResolvedRuntimeOptions = {
    ...o,
    directoryId: o.directoryId ?? "",
    electionTicks,
    heartbeatTicks: o.heartbeatTicks ?? 2,
    snapshotEntries: o.snapshotEntries ?? DEFAULT_SNAPSHOT_ENTRIES,
    snapshotIntervalMs: o.snapshotIntervalMs ?? 300_000,
    snapshotRecords: o.snapshotRecords ?? DEFAULT_SNAPSHOT_RECORDS,
    proposalTimeoutMs: o.proposalTimeoutMs ?? 10_000,
    readTimeoutMs: o.readTimeoutMs ?? 5_000,
    forwardTimeoutMs: o.forwardTimeoutMs ?? 10_000,
    leaderWaitMs: o.leaderWaitMs ?? 3 * electionMs,
    transferTimeoutMs: o.transferTimeoutMs ?? 5 * electionMs,
    promotionTimeoutMs: o.promotionTimeoutMs ?? DEFAULT_PROMOTION_TIMEOUT_MS,
    deposedProposalWaitMs: o.deposedProposalWaitMs ?? 10 * electionMs,
    maxPendingProposals: o.maxPendingProposals ?? 16_384,
    maxPendingReads: o.maxPendingReads ?? 16_384,
    maxWaiters: o.maxWaiters ?? 16_384,
    maxMsgBytes: o.maxMsgBytes ?? DEFAULT_MAX_MSG_BYTES,
    maxInflight: o.maxInflight ?? DEFAULT_MAX_INFLIGHT,
    maxInflightBytes: o.maxInflightBytes ?? Math.max(DEFAULT_MAX_INFLIGHT_BYTES, o.maxMsgBytes ?? 0),
    snapshotChunkBytes: o.snapshotChunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES,
    stageInstallBytes: o.stageInstallBytes ?? DEFAULT_STAGE_INSTALL_BYTES,
    logSink: o.logSink ?? (() => {}),
    timers: o.timers ?? realTimers,
    firstReadContext: o.firstReadContext ?? drawFirstReadContext(o.random),
    now: o.now ?? (o.timers ? () => o.timers!.now() : Date.now),
  };
  checkOptions(r);
  return r;
}

function checkOptions(r: ResolvedRuntimeOptions): void {
  const id = checkNodeId(r.nodeId);
  if (!id.ok) throw new RangeError(id.message);
  if (r.clusterId.length === 0) throw new RangeError("cluster id must not be empty");
  if (r.heartbeatTicks < 1 || r.electionTicks <= r.heartbeatTicks) {
    throw new RangeError(`election ticks (${r.electionTicks}) must exceed heartbeat ticks (${r.heartbeatTicks}) ≥ 1`);
  }
  const positive: (keyof ResolvedRuntimeOptions)[] = [
    "snapshotEntries",
    "snapshotIntervalMs",
    "snapshotRecords",
    "proposalTimeoutMs",
    "readTimeoutMs",
    "forwardTimeoutMs",
    "leaderWaitMs",
    "transferTimeoutMs",
    "promotionTimeoutMs",
    "deposedProposalWaitMs",
    "maxPendingProposals",
    "maxPendingReads",
    "maxWaiters",
    "maxMsgBytes",
    "maxInflight",
    "maxInflightBytes",
    "snapshotChunkBytes",
    "stageInstallBytes",
  ];
  for (const name of positive) {
    const v = r[name] as number;
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`runtime option ${name} must be a positive integer, got ${v}`);
  }
}
