// Follower side of InstallSnapshot: assembles the chunks of one snapshot in order. A chunk of a
// different snapshot restarts the transfer (only at offset 0), a gap or a duplicate is answered
// with the offset wanted next. The chunks are copied straight into one buffer of the snapshot's
// size, which becomes the installed snapshot's bytes: no list of chunk copies joined into a second
// whole at the end (at a million partitions that was two copies of a 22 MB snapshot at once).
// A garbled `total` (≤ MAX_SNAPSHOT_BYTES) costs address space only: pages never written stay unused.
import { isValidMembership } from "./membership.ts";
import type { Snapshot, SnapshotChunk, SnapshotMeta } from "./types.ts";

/** Bound on an incoming snapshot's total size: a garbled `total` must not exhaust memory. */
export const MAX_SNAPSHOT_BYTES = 1 << 30;

export type ChunkOutcome =
  | { kind: "progress"; received: number }
  | { kind: "restart" }
  | { kind: "complete"; snapshot: Snapshot };

interface Assembly {
  meta: SnapshotMeta;
  total: number;
  /** The snapshot's bytes; [0, received) are filled. */
  data: Uint8Array;
  received: number;
}

export function isValidChunk(c: SnapshotChunk | null): c is SnapshotChunk {
  if (c === null || typeof c !== "object") return false;
  const { meta, offset, total, data } = c;
  if (!meta || !Number.isSafeInteger(meta.index) || meta.index < 1 || !Number.isSafeInteger(meta.term) || meta.term < 1) return false;
  if (!isValidMembership(meta.membership)) return false;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(total) || offset < 0 || total < 0) return false;
  if (total > MAX_SNAPSHOT_BYTES || !(data instanceof Uint8Array)) return false;
  return offset + data.byteLength <= total && typeof c.done === "boolean";
}

export class SnapshotReceiver {
  private assembly: Assembly | null = null;

  receive(chunk: SnapshotChunk): ChunkOutcome {
    if (!this.sameSnapshot(chunk)) {
      if (chunk.offset !== 0) return { kind: "restart" };
      this.assembly = { meta: chunk.meta, total: chunk.total, data: new Uint8Array(chunk.total), received: 0 };
    }
    const a = this.assembly as Assembly;
    if (chunk.offset === a.received && chunk.data.byteLength > 0) {
      a.data.set(chunk.data, a.received);
      a.received += chunk.data.byteLength;
    }
    if (a.received === a.total && chunk.done && chunk.offset + chunk.data.byteLength === a.total) {
      this.assembly = null;
      return { kind: "complete", snapshot: { meta: a.meta, data: a.data } };
    }
    return { kind: "progress", received: a.received };
  }

  reset(): void {
    this.assembly = null;
  }

  private sameSnapshot(chunk: SnapshotChunk): boolean {
    const a = this.assembly;
    return a !== null && a.meta.index === chunk.meta.index && a.meta.term === chunk.meta.term && a.total === chunk.total;
  }
}
