// Gives the memory of a large buffer back at once, when its owner is done with it. A buffer that
// outlived a few young collections (a snapshot's 21.8 MB at 1M partitions, decoded or stored over
// seconds of slices) is freed only when its wrapper is found dead by a full collection, which an
// idle node may not run for minutes: the bytes stay resident meanwhile (issue 10). Detaching the
// buffer (ArrayBuffer.prototype.transfer to zero bytes) frees them now; every view of it then
// reads as empty, so only the sole owner of the whole buffer may call this. (The transport keeps
// its own twin, src/transport/owned-bytes.ts, which also leaves small buffers to the collector:
// the layers below the runtime do not import each other.)

/** Frees the ArrayBuffer behind `bytes` if `bytes` is all of it; the caller owns it and nothing reads it again. */
export function freeOwnedBytes(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  // A SharedArrayBuffer cannot be detached; a buffer already freed has nothing left to give.
  if (!(buffer instanceof ArrayBuffer) || buffer.detached) return;
  // A view of part of a buffer is never taken for its owner: the rest may be someone else's.
  if (bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength) return;
  buffer.transfer(0);
}
