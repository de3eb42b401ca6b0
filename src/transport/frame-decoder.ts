// Reassembles frames from TCP chunks: a frame may be split across chunks and a chunk may hold many
// frames. Bytes are copied in, because the socket may reuse its chunk buffer after the callback.
// The buffer never holds more than one frame plus one chunk, since the length is checked first.
// Frames are handed out as copies, so the buffer is the decoder's alone: one it outgrew is freed.
import { uint32At } from "./byte-reader.ts";
import { DecodeError } from "./errors.ts";
import { freeOwnedBytes } from "./owned-bytes.ts";
import { invariant } from "./invariant.ts";
import { FRAME_HEADER_BYTES, isFrameKind } from "./frame.ts";
import type { Frame } from "./frame.ts";

export class FrameDecoder {
  private buf = new Uint8Array(4096);
  private start = 0;
  private end = 0;

  constructor(private maxFrameBytes: number) {}

  /**
   * Raise the cap (a connection's handshake is done: data frames may now be as large as the
   * transport allows). Frames already buffered are checked against the new cap as they complete.
   */
  raiseCap(maxFrameBytes: number): void {
    invariant(maxFrameBytes >= this.maxFrameBytes, () => `frame cap lowered from ${this.maxFrameBytes} to ${maxFrameBytes}`);
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held that do not yet form a whole frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Feed one chunk; returns the frames it completed, in order. Throws DecodeError on a bad frame. */
  push(chunk: Uint8Array): Frame[] {
    this.append(chunk);
    const frames: Frame[] = [];
    for (let frame = this.next(); frame !== null; frame = this.next()) frames.push(frame);
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    // Only an incomplete frame may remain, and its length was already checked against the cap.
    invariant(this.end - this.start < 4 + this.maxFrameBytes, () => `decoder holds ${this.end - this.start} bytes`);
    return frames;
  }

  private next(): Frame | null {
    if (this.end - this.start < FRAME_HEADER_BYTES) return null;
    const length = uint32At(this.buf, this.start);
    if (length < 1 || length > this.maxFrameBytes) {
      throw new DecodeError(`frame length ${length} is outside [1, ${this.maxFrameBytes}]`);
    }
    const kind = this.buf[this.start + 4];
    if (!isFrameKind(kind)) throw new DecodeError(`unknown frame kind ${kind}`);
    if (this.end - this.start < 4 + length) return null;
    const body = this.buf.slice(this.start + FRAME_HEADER_BYTES, this.start + 4 + length);
    this.start += 4 + length;
    return { kind, body };
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) this.makeRoom(chunk.length);
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** Move the unread bytes to the front, growing the buffer only when that is not enough. */
  private makeRoom(incoming: number): void {
    const held = this.end - this.start;
    const needed = held + incoming;
    // Doubling amortizes copies; capping at one whole frame keeps the bound.
    const grown = Math.max(needed, Math.min(this.buf.length * 2, 4 + this.maxFrameBytes));
    const target = needed > this.buf.length ? new Uint8Array(grown) : this.buf;
    if (target === this.buf) this.buf.copyWithin(0, this.start, this.end);
    else {
      target.set(this.buf.subarray(this.start, this.end));
      freeOwnedBytes(this.buf);
    }
    this.buf = target;
    this.start = 0;
    this.end = held;
  }
}
