// Which messages of a Ready may be sent before its writes are durable. A leader may replicate in
// parallel with its own disk write (Raft thesis §10.2.1; etcd's server does the same), because it
// counts itself toward a commit only for entries it has persisted (Raft.quorumIndex uses the log's
// persisted index). So a leader's App, Heartbeat and Snap may go first — but only for a term that
// is already durable: a term raised in this very Ready is not on disk yet. The read-index traffic
// promises nothing about this node's disk either: a HeartbeatResp only says that its sender still
// follows the leader of that term (what a read round and check-quorum count), a ReadIndex asks,
// and a ReadIndexResp names the leader's commit index, already on a majority's disks; so they go
// first too, for a durable term (etcd sends them without waiting for its storage as well), and a
// read round no longer waits for an fsync of unrelated entries. Votes, append and snapshot
// acknowledgements and everything else promise something about this node's disk and wait.
import type { Message, MessageType, Ready } from "./types.ts";

const LEADER_REPLICATION: ReadonlySet<MessageType> = new Set<MessageType>(["App", "Heartbeat", "Snap"]);
const READ_INDEX_TRAFFIC: ReadonlySet<MessageType> = new Set<MessageType>(["HeartbeatResp", "ReadIndex", "ReadIndexResp"]);

export interface SplitMessages {
  /** May be sent before the Ready's persist. */
  early: Message[];
  /** Must wait until the Ready's persist is durable. */
  late: Message[];
}

/** `durableTerm`: the term of the hard state persisted before this Ready. */
export function splitEarlyMessages(rd: Ready, durableTerm: number): SplitMessages {
  const early: Message[] = [];
  const late: Message[] = [];
  for (const m of rd.messages) {
    if ((LEADER_REPLICATION.has(m.type) || READ_INDEX_TRAFFIC.has(m.type)) && m.term === durableTerm) early.push(m);
    else late.push(m);
  }
  return { early, late };
}
