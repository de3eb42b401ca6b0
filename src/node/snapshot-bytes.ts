// An encoded snapshot on its way to the store, handed out as chunks of at most a fixed size. Pieces
// the encoding handed over (SnapshotEncoding.stepPieces) are copied into one chunk buffer reused
// for every chunk, and each piece's buffer is freed the moment all of it is copied: the snapshot is
// never whole in memory twice, and the bytes stored are not left to the heap's next full collection
// (21.8 MB at 1M partitions, which an idle node may keep for minutes; issue 10). The one buffer of
// step() may be the state machine's own: its chunks are views of it, and it is never freed here.
import { invariant } from "./errors.ts";

export class SnapshotBytes {
  /** The snapshot's length in bytes: all the pieces together. */
  readonly size: number;
  private piece = 0;
  /** Bytes of pieces[piece] handed out already. */
  private offset = 0;
  private written = 0;
  private chunk: Uint8Array | null = null;

  private constructor(
    private readonly pieces: readonly Uint8Array[],
    /** The pieces were handed over: copied, then freed. Otherwise handed out as views, never freed. */
    private readonly owned: boolean,
    private readonly chunkBytes: number,
  ) {
    invariant(Number.isSafeInteger(chunkBytes) && chunkBytes > 0, () => `a snapshot chunk must be a positive whole number of bytes, got ${chunkBytes}`);
    this.size = pieces.reduce((n, p) => n + p.byteLength, 0);
  }

  /** The pieces of SnapshotEncoding.stepPieces: the caller's alone. */
  static handedOver(pieces: readonly Uint8Array[], chunkBytes: number): SnapshotBytes {
    return new SnapshotBytes(pieces, true, chunkBytes);
  }

  /** The buffer of SnapshotEncoding.step: read, never freed. */
  static borrowed(data: Uint8Array, chunkBytes: number): SnapshotBytes {
    return new SnapshotBytes([data], false, chunkBytes);
  }

  get done(): boolean {
    return this.written === this.size;
  }

  /** The next chunk: valid until the next call (a handed-over snapshot's chunks share one buffer). */
  next(): Uint8Array {
    invariant(!this.done, () => `the snapshot's ${this.size} bytes were all handed out already`);
    const length = Math.min(this.chunkBytes, this.size - this.written);
    if (!this.owned) {
      const data = this.pieces[0];
      this.written += length;
      return data.subarray(this.written - length, this.written);
    }
    this.chunk ??= new Uint8Array(Math.min(this.chunkBytes, this.size));
    const out = this.chunk.subarray(0, length);
    let filled = 0;
    while (filled < length) {
      const piece = this.pieces[this.piece];
      const take = Math.min(length - filled, piece.byteLength - this.offset);
      out.set(piece.subarray(this.offset, this.offset + take), filled);
      filled += take;
      this.offset += take;
      if (this.offset === piece.byteLength) this.finishPiece();
    }
    this.written += length;
    if (this.done) this.release(); // a last piece of no bytes, if any, goes too
    return out;
  }

  /** Frees what is not freed yet (the job ended before all was stored). Nothing is handed out after. */
  release(): void {
    if (!this.owned) return;
    while (this.piece < this.pieces.length) this.finishPiece();
    this.written = this.size;
    this.chunk = null;
  }

  /** Past the current piece; its buffer goes unless the next piece is a view of it too. */
  private finishPiece(): void {
    const buffer = this.pieces[this.piece].buffer;
    this.piece++;
    this.offset = 0;
    if (this.pieces[this.piece]?.buffer === buffer) return;
    // Detaching frees the memory now; a SharedArrayBuffer cannot be, and is left to the collector.
    if (buffer instanceof ArrayBuffer && !buffer.detached) buffer.transfer(0);
  }
}
