// Cutting a snapshot into InstallSnapshot chunks on the leader side.
import type { Snapshot, SnapshotChunk } from "./types.ts";

export function chunkAt(snapshot: Snapshot, offset: number, maxBytes: number): SnapshotChunk {
  const total = snapshot.data.byteLength;
  const end = Math.min(total, offset + maxBytes);
  return {
    meta: snapshot.meta,
    offset,
    total,
    data: snapshot.data.subarray(offset, end),
    done: end >= total,
  };
}
