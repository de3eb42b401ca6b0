// The leader's InstallSnapshot chunks in the runtime. The core's log holds no snapshot bytes (a
// whole copy of the state per node at a million partitions, issue 10), so each chunk leaves it
// empty, naming its place in the snapshot; it is filled here from the stored snapshot right
// before it goes on the wire. A chunk of a snapshot pruned from storage meanwhile is not sent, and
// the core is told (Raft.snapshotUnavailable) so the transfer begins anew from the latest one.
// The bytes read are the storage's fresh copy, given over to the transport with the message
// (Transport.send), which frees them once encoded: nothing here or in the core keeps them.
// Chunks are read one per turn of the event loop, after the Ready's other messages went out
// (send-backlog.ts).
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
