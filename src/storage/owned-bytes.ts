// Gives the memory of a large buffer back at once, when its owner is done with it. A buffer that
// outlived a few young collections (a snapshot's 21.8 MB at 1M partitions, decoded or stored over
// seconds of slices) is freed only when its wrapper is found dead by a full collection, which an
// idle node may not run for minutes: the bytes stay resident meanwhile (issue 10). Detaching the
// buffer (ArrayBuffer.prototype.transfer to zero bytes) frees them now; every view of it then
// reads as empty, so only the sole owner of the whole buffer may call this.

/** Frees the whole ArrayBuffer behind `bytes`; the caller owns it and nothing reads it again. */
export function freeOwnedBytes(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  // A SharedArrayBuffer cannot be detached; a buffer already freed has nothing left to give.
  if (!(buffer instanceof ArrayBuffer) || buffer.detached) return;
  buffer.transfer(0);
}
