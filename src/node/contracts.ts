// The contract between the node runtime (src/node) and what stands on it (src/metadata's service,
// src/api, src/admin). The runtime implements ConsensusHandle; src/metadata implements
// StateMachine. Tests use the in-process single-node test double
// or a real node. (The double lives in test/support/local-consensus.ts.)
import type { Membership, NodeId, Role, SnapshotMeta } from "../raft/types.ts";

/** The replicated state machine the runtime applies committed entries to. Must be deterministic. */
export interface StateMachine {
  /**
   * Apply one committed normal entry (never called for no-ops or config entries).
   * The return value is handed to the proposer waiting on that index; it must be JSON-serializable
   * because a proposal forwarded from a follower gets it over the wire.
   */
  apply(index: number, data: Uint8Array): unknown;
  /**
   * Optional: how many state records the entries applied in this process produced so far (never
   * falls). The runtime also snapshots after `snapshotRecords` of them, so a few entries that build
   * a large state (a topic of many partitions) do not leave a long log to replay at a restart.
   */
  recordsApplied?(): number;
  /** Encode the whole state as of the last applied index. */
  snapshot(): Uint8Array;
  /**
   * Optional: begin a snapshot of the state as of the last applied index without holding the loop.
   * The call captures a consistent view synchronously and cheaply; the returned encoding then does
   * the costly work in bounded slices. Its bytes equal what snapshot() returns for that state.
   * A state machine without it is snapshotted with snapshot() in one go.
   */
  beginSnapshot?(): SnapshotEncoding;
  /** Replace the whole state by a snapshot taken at `index`. */
  restore(index: number, data: Uint8Array): void;
  /**
   * Optional: replace the state by a snapshot without holding the loop. The call is cheap; the
   * returned restore decodes in bounded slices, and only its last step replaces the state (the
   * state stays the old one, whole, until then). A state machine without it is restored in one go.
   */
  beginRestore?(index: number, data: Uint8Array): SnapshotRestore;
}

/** A snapshot being restored in slices; nothing changes until the step that returns true. */
export interface SnapshotRestore {
  /**
   * Do at most `maxItems` (≥ 1) units of work (about one record decoded); true once the state has
   * been replaced. Throws, changing nothing, when the snapshot does not decode, as restore() does.
   */
  step(maxItems: number): boolean;
}

/** A snapshot being encoded in slices, of the state captured when it began (later applies do not show). */
export interface SnapshotEncoding {
  /**
   * Do at most `maxItems` (≥ 1) units of work — about one record encoded, moved while sorting or
   * copied — and return the whole snapshot once done, null while work remains.
   */
  step(maxItems: number): Uint8Array | null;
  /**
   * Optional: step() without its last copy. Once done it returns the snapshot as consecutive
   * pieces (their concatenation is what step() would return), handed over: nothing else reads
   * them, so the runtime stores them chunk by chunk and frees each piece's buffer once copied. The
   * snapshot is then never in memory twice (pieces and one buffer of its size: 2 × 21.8 MB at 1M
   * partitions), and its bytes do not wait for the heap's next full collection. Pieces may be
   * views of a shared buffer; the views of one buffer come one after another. Call this or step()
   * on an encoding, not both. Without it, step()'s buffer (which may be the state machine's own)
   * is stored as it is and left to the collector.
   */
  stepPieces?(maxItems: number): readonly Uint8Array[] | null;
}

export interface VoterStatus {
  id: NodeId;
  address: string;
  voter: boolean;
  /** Leader's view of the member's last log index (its own last index on the leader itself). */
  logEndOffset: number;
  /** Leader's last index minus logEndOffset. */
  lag: number;
  /** Milliseconds since the leader last heard from it; 0 for the leader; null when unknown (not leader, never heard). */
  lastContactMs: number | null;
  /**
   * Learners on the leader: why it is not a voter yet ("catching up: 1234 entries behind",
   * "never contacted") or that it is ready ("caught up"); null for voters and off the leader.
   */
  promotion: string | null;
  /** The directory id the membership binds this member to; "" while not bound yet. */
  directoryId: string;
}

export interface ClusterStatus {
  nodeId: NodeId;
  clusterId: string;
  role: Role;
  leader: NodeId;
  term: number;
  commitOffset: number;
  appliedOffset: number;
  firstOffset: number;
  lastOffset: number;
  /** This node's own directory id (its data dir's, drawn by `yakt format`). */
  directoryId: string;
  membership: Membership;
  /** Filled on the leader; on a follower, only what it knows (own entry) and lastContactMs null. */
  members: VoterStatus[];
}

export class NoLeaderError extends Error {
  readonly code = "no_leader";
  constructor(message = "the cluster has no leader right now; retry shortly") {
    super(message);
  }
}

export class NotLeaderError extends Error {
  readonly code = "not_leader";
  constructor(readonly leader: NodeId, message = `this node is not the leader (leader: ${leader || "unknown"})`) {
    super(message);
  }
}

export class ConsensusTimeoutError extends Error {
  readonly code = "timeout";
}

export type MembershipErrorCode =
  | "invalid_member" // the id or address does not parse
  | "member_exists" // the id or the address is already a member's
  | "not_member" // removing an id that is not a member
  | "quorum_at_risk" // fewer reachable voters than the new configuration's quorum (unless forced)
  | "not_caught_up" // a learner did not catch up within the promotion timeout; it stays a learner
  | "change_pending" // another membership change is not committed yet
  | "membership"; // any other refusal of the core (e.g. removing the last voter)

/** Cluster membership change failed for a reason the caller can act on (bad id, change pending…). */
export class MembershipError extends Error {
  constructor(
    message: string,
    readonly code: MembershipErrorCode = "membership",
  ) {
    super(message);
  }
}

export interface MembershipChangeOptions {
  /** Skip the check that enough voters of the new configuration are reachable. Never skips catch-up. */
  force?: boolean;
}

export type Unsubscribe = () => void;

/**
 * What the metadata service, the REST API and the console may ask of the node.
 * Every promise is bounded by a timeout and rejects with one of the errors above.
 */
export interface ConsensusHandle {
  readonly nodeId: NodeId;
  readonly clusterId: string;

  isLeader(): boolean;
  leaderId(): NodeId;

  /**
   * Leader only: append `data` as a normal entry; resolves with StateMachine.apply's result once the
   * entry is committed and applied on this node, plus the entry's index. Rejects with
   * NotLeaderError on a follower, NoLeaderError / ConsensusTimeoutError when it cannot finish.
   */
  propose(data: Uint8Array): Promise<{ index: number; result: unknown }>;

  /**
   * Send an opaque request to the current leader's forward handler and resolve with its reply.
   * On the leader itself the handler is called directly. This is how a follower forwards writes
   * and broker heartbeats (the leader stamps timestamps and ids).
   */
  forwardToLeader(payload: Uint8Array): Promise<Uint8Array>;
  /** Register the handler that serves forwarded requests when this node is leader. */
  onForward(handler: (payload: Uint8Array, from: NodeId) => Promise<Uint8Array>): void;

  /** Linearizable read barrier (ReadIndex): resolves once this node has applied the read index. */
  readBarrier(): Promise<void>;

  /** Resolves true once applied ≥ index, false after timeoutMs (bounded). For long polls. */
  waitApplied(index: number, timeoutMs: number): Promise<boolean>;
  /** Called after every batch of applied entries with the new applied index. */
  onApplied(listener: (appliedIndex: number) => void): Unsubscribe;
  /** Called when this node's role or known leader changes. */
  onRoleChange(listener: (role: Role, leader: NodeId, term: number) => void): Unsubscribe;

  appliedIndex(): number;
  /** First log index still held (entries before it are only in the latest snapshot). */
  firstIndex(): number;
  status(): ClusterStatus;

  snapshotNow(): Promise<SnapshotMeta>;
  listSnapshots(): SnapshotMeta[];
  latestSnapshot(): { meta: SnapshotMeta; data: Uint8Array } | null;

  transferLeader(to: NodeId): Promise<void>;
  /**
   * Leader only: add `id` as a learner (unless it is one already), wait (bounded) until it has caught
   * up and was heard from recently, then promote it to voter. Rejects with MembershipError (a code
   * above) when refused; a learner that does not catch up in time stays a learner.
   */
  addVoter(id: NodeId, address: string, options?: MembershipChangeOptions): Promise<void>;
  addLearner(id: NodeId, address: string): Promise<void>;
  /** Leader only: remove a voter or a learner. */
  removeMember(id: NodeId, options?: MembershipChangeOptions): Promise<void>;

  /** Counters and gauges for /metrics and the console (name → value). */
  metrics(): Record<string, number>;
}
