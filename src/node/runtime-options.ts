// Everything a RaftRuntime is built from, with defaults and range checks in one place.
import type { Membership, NodeId } from "../raft/types.ts";
import type { LogStorage } from "../storage/log-storage.ts";
import type { Transport } from "../transport/transport-types.ts";
import type { Message } from "../raft/types.ts";
import type { StateMachine } from "./contracts.ts";
import type { LogSink } from "./logger.ts";
import type { Ticker } from "./ticker.ts";

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
  electionTicks?: number;
  heartbeatTicks?: number;
  snapshotEntries?: number;
  snapshotIntervalMs?: number;
  proposalTimeoutMs?: number;
  readTimeoutMs?: number;
  forwardTimeoutMs?: number;
  /** Bound on waiting for an election before forwarding or reading; default 3 election timeouts. */
  leaderWaitMs?: number;
  /** Bound on a leadership transfer; default 5 election timeouts. */
  transferTimeoutMs?: number;
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
  snapshotChunkBytes?: number;
  logSink?: LogSink;
  now?: () => number;
  /** The node hit an error it cannot continue from (e.g. the disk refused a write). */
  onFatal?: (error: Error) => void;
}

export type ResolvedRuntimeOptions = Required<Omit<RuntimeOptions, "onFatal">> & Pick<RuntimeOptions, "onFatal">;

const MIB = 1024 * 1024;

/**
 * About KRaft's 20 MB of records between snapshots at the metadata model's ~400-byte entries
 * (etcd's snapshot-count is 100,000). A snapshot costs time in proportion to the whole state, so
 * taking one every few thousand entries makes the cost per write grow with the state.
 */
export const DEFAULT_SNAPSHOT_ENTRIES = 50_000;

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
    proposalTimeoutMs: o.proposalTimeoutMs ?? 10_000,
    readTimeoutMs: o.readTimeoutMs ?? 5_000,
    forwardTimeoutMs: o.forwardTimeoutMs ?? 10_000,
    leaderWaitMs: o.leaderWaitMs ?? 3 * electionMs,
    transferTimeoutMs: o.transferTimeoutMs ?? 5 * electionMs,
    deposedProposalWaitMs: o.deposedProposalWaitMs ?? 10 * electionMs,
    maxPendingProposals: o.maxPendingProposals ?? 16_384,
    maxPendingReads: o.maxPendingReads ?? 16_384,
    maxWaiters: o.maxWaiters ?? 16_384,
    maxMsgBytes: o.maxMsgBytes ?? MIB,
    maxInflight: o.maxInflight ?? 256,
    snapshotChunkBytes: o.snapshotChunkBytes ?? MIB,
    logSink: o.logSink ?? (() => {}),
    now: o.now ?? Date.now,
  };
  checkOptions(r);
  return r;
}

function checkOptions(r: ResolvedRuntimeOptions): void {
  if (!Number.isSafeInteger(r.nodeId) || r.nodeId < 1) throw new RangeError(`node id must be a positive integer, got ${r.nodeId}`);
  if (r.clusterId.length === 0) throw new RangeError("cluster id must not be empty");
  if (r.heartbeatTicks < 1 || r.electionTicks <= r.heartbeatTicks) {
    throw new RangeError(`election ticks (${r.electionTicks}) must exceed heartbeat ticks (${r.heartbeatTicks}) ≥ 1`);
  }
  const positive: (keyof ResolvedRuntimeOptions)[] = [
    "snapshotEntries",
    "snapshotIntervalMs",
    "proposalTimeoutMs",
    "readTimeoutMs",
    "forwardTimeoutMs",
    "leaderWaitMs",
    "transferTimeoutMs",
    "deposedProposalWaitMs",
    "maxPendingProposals",
    "maxPendingReads",
    "maxWaiters",
    "maxMsgBytes",
    "maxInflight",
    "snapshotChunkBytes",
  ];
  for (const name of positive) {
    const v = r[name] as number;
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`runtime option ${name} must be a positive integer, got ${v}`);
  }
}
