// Gives back at once the memory of a large buffer the transport owns and is done with: an encoded
// message once framed, a frame once the socket took all of it, a snapshot chunk once encoded. A
// buffer that outlives a few young collections is freed only when a full collection finds its
// wrapper dead, which an idle leader may not run for minutes; a 21.8 MB snapshot sent to a follower
// left 46–141 MiB of such buffers resident (issue 10). Detaching the buffer (transfer to zero
// bytes) frees them now; every view of it then reads as empty, so only the sole owner calls this.

/** Below this a buffer is left to the collector: small ones die young and cost nothing to keep. */
export const FREE_AT_BYTES = 64 * 1024;

/**
 * Frees the ArrayBuffer behind `bytes` when `bytes` is all of it and it is large. A view of part of
 * a buffer is never taken for its owner: such a buffer is left to the collector.
 */
export function freeOwnedBytes(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.detached) return;
  if (buffer.byteLength < FREE_AT_BYTES) return;
  if (bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength) return;
  buffer.transfer(0);
}

/** Whether `bytes` were freed (their buffer detached): reading them again would see nothing. */
export function isFreed(bytes: Uint8Array): boolean {
  const buffer = bytes.buffer;
  return buffer instanceof ArrayBuffer && buffer.detached;
}
