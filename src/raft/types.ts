// The Raft core's data types: the contract between the pure core (src/raft), storage, transport and
// the node runtime. Nothing here does I/O. Node ids are positive integers; 0 means "none".

export type NodeId = number;

/** A voter or learner set plus the peer address of each member, replicated as a config entry. */
export interface Membership {
  voters: NodeId[];
  learners: NodeId[];
  /** Peer (transport) address "host:port" per member id, carried for the runtime; the core ignores it. */
  addresses: Record<string, string>;
  /**
   * Directory id (KIP-853) per member id, bound by the leader the first time it hears from that
   * member (directory-ids.ts). A member absent here is not bound yet. Optional so memberships
   * written before directory ids existed still read.
   */
  directoryIds?: Record<string, string>;
}

export type EntryType = "normal" | "config";

/**
 * One log entry. A "config" entry's data is the UTF-8 JSON of the complete new Membership
 * (see encodeMembership); it takes effect on a node as soon as it is appended to that node's log.
 * A "normal" entry with empty data is the no-op a new leader appends.
 */
export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  data: Uint8Array;
}

/** Must be durable before any message that depends on it is sent. vote 0 = voted for nobody. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface SnapshotMeta {
  /** Last log index the snapshot covers (the state machine's applied index when taken). */
  index: number;
  term: number;
  /** The membership in force at `index`. */
  membership: Membership;
}

export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

/**
 * The snapshot the log stands on, without its bytes: they stay in the runtime's storage, which
 * fills each chunk the core sends (snapshot-chunks.ts). Holding them here kept a whole copy of the
 * state in every node's memory for as long as the snapshot was the latest (issue 10).
 */
export interface SnapshotRef {
  meta: SnapshotMeta;
  /** Size of the snapshot's bytes. */
  size: number;
}

export function snapshotRef(s: Snapshot): SnapshotRef {
  return { meta: s.meta, size: s.data.byteLength };
}

/** One piece of an InstallSnapshot transfer. `offset` is the byte offset of `data` in the whole. */
export interface SnapshotChunk {
  meta: SnapshotMeta;
  offset: number;
  /** Total size in bytes of the snapshot data. */
  total: number;
  data: Uint8Array;
  done: boolean;
}

export type MessageType =
  | "PreVote"
  | "PreVoteResp"
  | "Vote"
  | "VoteResp"
  | "App"
  | "AppResp"
  | "Heartbeat"
  | "HeartbeatResp"
  | "Snap"
  | "SnapResp"
  | "TimeoutNow"
  | "ReadIndex"
  | "ReadIndexResp";

export const MESSAGE_TYPES: readonly MessageType[] = [
  "PreVote",
  "PreVoteResp",
  "Vote",
  "VoteResp",
  "App",
  "AppResp",
  "Heartbeat",
  "HeartbeatResp",
  "Snap",
  "SnapResp",
  "TimeoutNow",
  "ReadIndex",
  "ReadIndexResp",
];

/**
 * Every message has every field (zero values when unused) so the wire codec stays one flat
 * layout. Meaning per type:
 * - PreVote/Vote: index/logTerm = candidate's last log index/term; force = leadership transfer
 *   (voters grant even though they heard from a leader recently). PreVote's term is the term the
 *   candidate would campaign in (current + 1), not yet adopted.
 * - PreVoteResp/VoteResp: reject = not granted; a grant echoes the request's index/logTerm, and
 *   a candidate counts only a grant for its own log position (one for an earlier life of its
 *   node id, before a wiped disk, is not its own).
 * - App: index/logTerm = entry preceding `entries`; commit = leader's commit.
 * - AppResp: reject=false → index = highest index now known to match; reject=true → index = the
 *   rejected App's index, rejectHint = follower's suggestion where to retry (fast back-off),
 *   logTerm = term of the follower's entry at rejectHint (0 if none).
 * - Heartbeat: commit = min(leader commit, follower match); context = read-index round (0 none).
 * - HeartbeatResp: context echoed.
 * - Snap: snapshot = one chunk. SnapResp: index = bytes received so far (the next offset wanted);
 *   reject = the transfer must restart from offset 0. Once the last chunk is in, the follower
 *   installs the snapshot and answers with an AppResp (reject=false, index = snapshot index).
 * - TimeoutNow: the receiver campaigns at once (leadership transfer).
 * - ReadIndex (follower → leader): context = follower's request id.
 *   ReadIndexResp: context echoed, index = read index, reject = leader could not serve it.
 * Every message carries directoryId, the directory id its sender's data dir was formatted with
 * ("" when it has none): a vote or an acknowledgement counts only from the member the membership
 * names (directory-ids.ts).
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  rejectHint: number;
  context: number;
  force: boolean;
  snapshot: SnapshotChunk | null;
  directoryId: string;
}

export type Role = "follower" | "pre-candidate" | "candidate" | "leader";

/** A read that has become safe to serve once the state machine has applied `index`. */
export interface ReadState {
  /** The context given to readIndex(). */
  ctx: number;
  index: number;
  /** false: the read could not be confirmed (no leader, lost leadership); retry or fail it. */
  ok: boolean;
}

export interface SoftState {
  leader: NodeId;
  role: Role;
}

/**
 * What the runtime must do, in this order:
 * 1. persist `snapshot` (if any), then `entries` (an entry whose index is ≤ the last persisted one
 *    replaces that entry and everything after it), then `hardState` — in ONE transaction;
 * 2. send `messages` (a leader's replication for a term already durable may go before step 1:
 *    splitEarlyMessages in early-messages.ts);
 * 3. install `snapshot` into the state machine (if any), then apply `committed` in order;
 * 4. serve `readStates` once applied ≥ their index;
 * 5. call advance(ready) with this very object.
 */
export interface Ready {
  softState: SoftState | null;
  hardState: HardState | null;
  entries: Entry[];
  snapshot: Snapshot | null;
  committed: Entry[];
  messages: Message[];
  readStates: ReadState[];
}

/** Single-server membership change, proposed by the leader as one config entry. */
export type ConfChange =
  | { type: "addVoter"; id: NodeId; address: string }
  | { type: "addLearner"; id: NodeId; address: string }
  | { type: "removeNode"; id: NodeId };

export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; reason: "not_leader" | "transferring" | "config_pending" | "invalid"; leader: NodeId; message: string };

export type ProgressState = "probe" | "replicate" | "snapshot";

export interface PeerStatus {
  id: NodeId;
  voter: boolean;
  match: number;
  next: number;
  state: ProgressState;
  /** Ticks since the leader last heard from this peer (0 for the leader itself). */
  ticksSinceContact: number;
  /** Heard from since this leader took office (true for the leader itself). */
  contacted: boolean;
}

/** The part of RaftStatus that costs nothing to build; its membership is frozen (shared, never copied). */
export type RaftBrief = Pick<RaftStatus, "id" | "role" | "leader" | "term" | "commit" | "applied" | "lastIndex" | "membership">;

export interface RaftStatus {
  id: NodeId;
  role: Role;
  leader: NodeId;
  term: number;
  vote: NodeId;
  commit: number;
  applied: number;
  firstIndex: number;
  lastIndex: number;
  membership: Membership;
  /** This node's own directory id ("" when it has none). */
  directoryId: string;
  /** Only on the leader; empty elsewhere. */
  peers: PeerStatus[];
}

export interface RaftConfig {
  id: NodeId;
  /** Ticks without a leader's word before a follower campaigns; randomized in [e, 2e). */
  electionTick: number;
  heartbeatTick: number;
  /** Seeded source in [0, 1); the core has no randomness of its own. */
  random: () => number;
  /** Bound on the bytes of entries in one App message. */
  maxMsgBytes: number;
  /** Bound on App messages in flight to one follower in replicate state. */
  maxInflight: number;
  /**
   * Bound on the entry bytes in flight to one follower (etcd's MaxInflightBytes); the window may
   * pass it by one App. Must be at least maxMsgBytes. Keeps a leader's work and memory for a
   * follower that does not answer bounded however long its backlog grows.
   */
  maxInflightBytes: number;
  /** Bound on the bytes of one InstallSnapshot chunk. */
  snapshotChunkBytes: number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Membership used when the log and snapshot are empty (bootstrap of a new cluster). */
  initialMembership: Membership;
  /**
   * The directory id this node's data dir was formatted with (KIP-853); sent on every message.
   * "" (the default) for a node without one, which then never gets bound.
   */
  directoryId?: string;
  /** Optional structured logger (no per-entry logging). */
  logger?: (event: string, fields: Record<string, unknown>) => void;
}

/** What a node restarts from: exactly what storage persisted. */
export interface RestoreState {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** Entries after the snapshot (or from index 1), contiguous. */
  entries: Entry[];
  /** Index the state machine will have applied after restoring the snapshot (= snapshot index or 0). */
  applied: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMembership(m: Membership): Uint8Array {
  return encoder.encode(JSON.stringify(m));
}

export function decodeMembership(data: Uint8Array): Membership {
  const m = JSON.parse(decoder.decode(data)) as Membership;
  if (!Array.isArray(m.voters) || !Array.isArray(m.learners) || typeof m.addresses !== "object") {
    throw new Error("config entry does not hold a membership");
  }
  return m;
}

export function emptyMessage(type: MessageType, from: NodeId, to: NodeId, term: number): Message {
  return {
    type,
    from,
    to,
    term,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: 0,
    force: false,
    snapshot: null,
    directoryId: "",
  };
}
