// The bytes waiting to go out on one socket. Bounded in bytes; flushed as far as the socket takes
// them (a write may be partial), the rest waits for the socket's `drain`. The queue owns the frames
// it is given: a frame the socket took whole is freed at once (Bun's socket copies what it takes,
// and keeps none of the rest, so a partly written frame stays here until its remainder is taken).
import { invariant } from "./invariant.ts";
import { freeOwnedBytes } from "./owned-bytes.ts";

/** The part of Bun's Socket the queue needs; an interface so tests can drive partial writes. */
export interface Writable {
  write(data: Uint8Array): number;
}

/** Small frames are merged up to this size before a write, to save syscalls. */
const COALESCE_BYTES = 64 * 1024;

export class WriteQueue {
  private chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already written. */
  private headOffset = 0;
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  /** False (and nothing queued) when the frame would take the queue past its bound; else the frame is the queue's. */
  enqueue(frame: Uint8Array): boolean {
    if (this.total + frame.length > this.maxBytes) return false;
    this.chunks.push(frame);
    this.total += frame.length;
    return true;
  }

  /**
   * Write as much as the socket accepts. Returns the bytes written, or -1 when the socket is
   * closed (the caller then drops the connection).
   */
  flush(socket: Writable): number {
    let written = 0;
    while (this.chunks.length > 0) {
      this.coalesceHead();
      const head = this.chunks[0]!;
      const pending = head.subarray(this.headOffset);
      const n = socket.write(pending);
      if (n < 0) return -1;
      invariant(n <= pending.length, () => `socket took ${n} bytes of a ${pending.length}-byte write`);
      written += n;
      this.total -= n;
      if (n < pending.length) {
        this.headOffset += n;
        break;
      }
      this.chunks.shift();
      this.headOffset = 0;
      freeOwnedBytes(head);
    }
    const consistent = this.total >= 0 && (this.total === 0) === (this.chunks.length === 0);
    invariant(consistent, () => `queue holds ${this.total} bytes in ${this.chunks.length} chunks`);
    return written;
  }

  /** Drops (and frees) every frame, a partly written one too: its socket is gone. */
  clear(): void {
    for (const chunk of this.chunks) freeOwnedBytes(chunk);
    this.chunks = [];
    this.headOffset = 0;
    this.total = 0;
  }

  /** Merge leading small frames into one buffer; never touches a partly written head. */
  private coalesceHead(): void {
    if (this.headOffset !== 0 || this.chunks.length < 2) return;
    let count = 0;
    let size = 0;
    for (const chunk of this.chunks) {
      if (count > 0 && size + chunk.length > COALESCE_BYTES) break;
      size += chunk.length;
      count += 1;
    }
    if (count < 2) return;
    const merged = new Uint8Array(size);
    let pos = 0;
    for (const chunk of this.chunks.slice(0, count)) {
      merged.set(chunk, pos);
      pos += chunk.length;
    }
    this.chunks.splice(0, count, merged);
  }
}
