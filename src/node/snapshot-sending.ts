// The leader's InstallSnapshot chunks in the runtime. The core's log holds no snapshot bytes (a
// whole copy of the state per node at a million partitions, issue 10), so each chunk leaves it
// empty, naming its place in the snapshot; it is filled here from the stored snapshot right
// before it goes on the wire. A chunk of a snapshot pruned from storage meanwhile is not sent, and
// the core is told (Raft.snapshotUnavailable) so the transfer begins anew from the latest one.
// The bytes read are the storage's fresh copy, given over to the transport with the message
// (Transport.send), which frees them once encoded: nothing here or in the core keeps them.
//
// Reading a chunk is a synchronous SQLite read of 1 MiB, which on a busy disk held a leader's loop
// 70 ms with no CPU spent (issue 10: a follower restarted into a 1M-partition cluster, the other
// follower's lease ran out while the leader caught it up, and the restarted node deposed it). So a
// Ready's chunks never go out in the same turn as its other messages: those are sent first (the
// other followers' heartbeats are never behind a chunk read), and the chunks wait in
// ChunkBacklog, read one per turn of the event loop. A follower's messages from its first chunk on
// wait with it, so each peer still gets its messages in the order the core sent them.
import { invariant } from "./errors.ts";
import { fillChunk } from "../raft/snapshot-chunks.ts";
import type { Message, NodeId } from "../raft/types.ts";
import type { LogStorage } from "../storage/log-storage.ts";

/** `messages` with every snapshot chunk's bytes read from `storage`; those of a pruned snapshot left out and reported to `gone`. */
export function withSnapshotBytes(
  messages: Message[],
  storage: Pick<LogStorage, "readSnapshotChunk">,
  chunkBytes: number,
  gone: (to: NodeId, index: number) => void,
): Message[] {
  if (!messages.some((m) => m.type === "Snap")) return messages;
  const out: Message[] = [];
  for (const m of messages) {
    const chunk = m.type === "Snap" ? m.snapshot : null;
    if (chunk === null) {
      out.push(m);
      continue;
    }
    const { index } = chunk.meta;
    const filled = fillChunk(chunk, chunkBytes, (offset, length) => storage.readSnapshotChunk(index, chunk.total, offset, length));
    if (filled === null) gone(m.to, index);
    else out.push({ ...m, snapshot: filled });
  }
  return out;
}

/**
 * Messages held back behind an unread snapshot chunk, per follower, in the core's order. admit()
 * takes a batch and gives back what may go now; take() gives one follower's run up to and
 * including its next chunk (one chunk read per call), the followers in turn.
 */
export class ChunkBacklog {
  private readonly held = new Map<NodeId, Message[]>();

  get size(): number {
    let n = 0;
    for (const run of this.held.values()) n += run.length;
    return n;
  }

  /** The messages of `batch` that may be sent now: those to a follower with no chunk among or before them. */
  admit(batch: Message[]): Message[] {
    const now: Message[] = [];
    for (const m of batch) {
      const run = this.held.get(m.to);
      if (run !== undefined) run.push(m);
      else if (m.type === "Snap") this.held.set(m.to, [m]);
      else now.push(m);
    }
    return now;
  }

  /**
   * The oldest held follower's run: its next chunk (still unfilled) and what the core sent it
   * after that chunk and before its next one, or null when nothing is held. A later chunk stays
   * held, for a later call, the follower moved behind the others.
   */
  take(): Message[] | null {
    const first = this.held.entries().next();
    if (first.done) return null;
    const [to, run] = first.value;
    invariant(run[0]?.type === "Snap", () => `messages to ${to} held back without a chunk at their head`);
    this.held.delete(to);
    const next = run.findIndex((m, i) => i > 0 && m.type === "Snap");
    if (next < 0) return run;
    this.held.set(to, run.slice(next));
    return run.slice(0, next);
  }

  clear(): void {
    this.held.clear();
  }
}
