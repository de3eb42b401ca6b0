// Cutting a snapshot into InstallSnapshot chunks on the leader side. The core holds no snapshot
// bytes (SnapshotRef), so a chunk leaves it empty, with its place in the whole; whoever sends the
// core's messages fills it from the stored snapshot first (fillChunk; the node runtime reads its
// storage), or reports the snapshot gone (Raft.snapshotUnavailable) when it was pruned meanwhile.
import { invariant } from "./errors.ts";
import type { SnapshotChunk, SnapshotRef } from "./types.ts";

const UNFILLED = new Uint8Array(0);

/** The chunk at `offset`, its bytes not filled in yet. */
export function chunkAt(snapshot: SnapshotRef, offset: number, maxBytes: number): SnapshotChunk {
  const total = snapshot.size;
  const end = chunkEnd(total, offset, maxBytes);
  return { meta: snapshot.meta, offset, total, data: UNFILLED, done: end >= total };
}

/** Where the chunk at `offset` ends (exclusive) when chunks carry at most `maxBytes`. */
export function chunkEnd(total: number, offset: number, maxBytes: number): number {
  return Math.min(total, offset + maxBytes);
}

/**
 * The chunk with its bytes, read by `read(offset, length)` from the snapshot it names; null when
 * that snapshot is no longer stored (`read` returned null). `maxBytes` is the core's
 * snapshotChunkBytes, so the bytes are exactly those chunkAt cut.
 */
export function fillChunk(chunk: SnapshotChunk, maxBytes: number, read: (offset: number, length: number) => Uint8Array | null): SnapshotChunk | null {
  const length = chunkEnd(chunk.total, chunk.offset, maxBytes) - chunk.offset;
  const data = read(chunk.offset, length);
  if (data === null) return null;
  invariant(data.byteLength === length, () => `snapshot ${chunk.meta.index}: read ${data.byteLength} bytes at ${chunk.offset}, not ${length}`);
  return { ...chunk, data };
}
