// A stored snapshot's bytes in SQLite, piece by piece: its row's blob (the whole snapshot in stores
// written before issue 10, empty since) followed by its chunks in order. Written as chunks of
// STORED_CHUNK_BYTES, so no statement binds or reads a whole snapshot; read back either whole into
// one buffer of the snapshot's size (the start-up load: no second copy of the chunks), or a range
// at a time touching only the pieces it covers (a leader filling an InstallSnapshot chunk). Every
// piece read is checked against its checksum, and freed once copied: bun:sqlite hands each read
// blob over in a buffer of its own, which would otherwise stay resident until a full collection
// (four 256 KiB pieces per 1 MiB chunk a leader sends, issue 10).
import type { SnapshotMeta } from "../raft/types.ts";
import { type ChecksumPolicy, chunkChecksum, snapshotChecksum, verifyChecksum } from "./checksum.ts";
import type { SnapshotRow, Statements } from "./sqlite-statements.ts";
import { freeOwnedBytes } from "./owned-bytes.ts";
import { StorageError } from "./storage-error.ts";

/** A piece per 256 KiB: the size the snapshotter stores its own snapshots in (snapshotter.ts). */
export const STORED_CHUNK_BYTES = 256 * 1024;

const EMPTY = new Uint8Array(0);

/**
 * A row's `pending` column: published (what every read sees), the node's own snapshot being
 * written (beginSnapshot), or a follower's install staged ahead of its write (sqlite-staged-install.ts).
 * Both unpublished kinds are dropped at open.
 */
export type RowState = "published" | "own" | "staged";
const PENDING: Record<RowState, number> = { published: 0, own: 1, staged: 2 };

/** Where a piece lies in the whole: seq −1 is the row's blob, then chunk 0, 1, … */
interface Piece {
  seq: number;
  start: number;
  end: number;
}

/** The pieces of one snapshot row, remembered while the same row is read (a transfer reads it in order). */
interface Layout {
  id: number;
  pieces: Piece[];
}

export class SnapshotPieces {
  private layout: Layout | null = null;

  constructor(
    private readonly st: Statements,
    private readonly path: string,
    private readonly policy: ChecksumPolicy,
  ) {}

  /** The snapshot's row (empty bytes) and its chunks; the caller's transaction holds them together. */
  insert(meta: SnapshotMeta, data: Uint8Array, createdAtMs: number): void {
    const id = this.insertRow(meta, data.byteLength, createdAtMs, "published");
    this.insertPieces(id, meta.index, data, 0, data.byteLength);
  }

  /** A snapshot's row, its bytes all in pieces to come; returns its id. */
  insertRow(meta: SnapshotMeta, size: number, createdAtMs: number, state: RowState): number {
    const membership = JSON.stringify(meta.membership);
    const checksum = snapshotChecksum(meta, membership, EMPTY);
    const row = this.st.insertSnapshot.run(meta.index, meta.term, membership, EMPTY, size, createdAtMs, PENDING[state], checksum);
    return Number(row.lastInsertRowid);
  }

  /** Piece `seq` of the snapshot at `index`, in row `id`, with its checksum. */
  insertPiece(id: number, index: number, seq: number, data: Uint8Array): void {
    this.st.insertChunk.run(id, seq, data, chunkChecksum(index, seq, data));
  }

  /**
   * `data` from byte `from` (where an earlier call stopped) as pieces of STORED_CHUNK_BYTES: at
   * least one, and no more once `maxBytes` are written. Returns where it stopped.
   */
  insertPieces(id: number, index: number, data: Uint8Array, from: number, maxBytes: number): number {
    const stop = Math.min(data.byteLength, from + Math.max(maxBytes, 1));
    let at = from;
    while (at < stop) {
      const piece = data.subarray(at, Math.min(data.byteLength, at + STORED_CHUNK_BYTES));
      this.insertPiece(id, index, at / STORED_CHUNK_BYTES, piece);
      at += piece.byteLength;
    }
    return at;
  }

  /** The whole snapshot of `row`, read into one buffer of its size. */
  readWhole(row: SnapshotRow): Uint8Array {
    const out = new Uint8Array(row.size);
    let at = this.copy(out, 0, this.rowBlob(row));
    let seq = 0;
    for (const c of this.st.snapshotChunks.iterate(row.id)) {
      if (c.seq !== seq) throw this.corrupt(`the snapshot at index ${row.idx} lacks chunk ${seq}`);
      at = this.copy(out, at, this.checked(row, seq, c));
      seq++;
    }
    if (at !== row.size) throw this.corrupt(`snapshot ${row.id} holds ${at} bytes, not ${row.size}`);
    return out;
  }

  /** Bytes [offset, offset + length) of the published snapshot at `index` of `size` bytes; null when none is stored. */
  readRange(index: number, size: number, offset: number, length: number): Uint8Array | null {
    const row = this.st.snapshotAt.get(index, size);
    if (row === null) return null;
    const out = new Uint8Array(length);
    const end = offset + length;
    for (const p of this.piecesOf(row)) {
      if (p.end <= offset || p.start >= end || p.start === p.end) continue;
      const bytes = p.seq < 0 ? this.rowBlob(row) : this.chunk(row, p.seq);
      if (bytes.byteLength !== p.end - p.start) throw this.corrupt(`a piece of the snapshot at index ${index} changed size while read`);
      const from = Math.max(offset, p.start);
      out.set(bytes.subarray(from - p.start, Math.min(end, p.end) - p.start), from - offset);
      freeOwnedBytes(bytes);
    }
    return out;
  }

  private piecesOf(row: SnapshotRow): Piece[] {
    if (this.layout?.id === row.id) return this.layout.pieces;
    const pieces: Piece[] = [];
    let at = 0;
    const add = (seq: number, n: number) => {
      pieces.push({ seq, start: at, end: at + n });
      at += n;
    };
    add(-1, this.st.snapshotDataLength.get(row.id)?.n ?? 0);
    for (const c of this.st.chunkLengths.iterate(row.id)) {
      if (c.seq !== pieces.length - 1) throw this.corrupt(`the snapshot at index ${row.idx} lacks chunk ${pieces.length - 1}`);
      add(c.seq, c.n);
    }
    if (at !== row.size) throw this.corrupt(`snapshot ${row.id} holds ${at} bytes, not ${row.size}`);
    this.layout = { id: row.id, pieces };
    return pieces;
  }

  private rowBlob(row: SnapshotRow): Uint8Array {
    const blob = this.st.latestSnapshotData.get(row.id);
    if (blob === null) throw this.corrupt(`snapshot ${row.id} vanished while read`);
    verifyChecksum(this.policy, this.path, { kind: "snapshot", index: row.idx }, row.checksum, () => snapshotChecksum({ index: row.idx, term: row.term }, row.membership, blob.data));
    return blob.data;
  }

  private chunk(row: SnapshotRow, seq: number): Uint8Array {
    const c = this.st.chunkAt.get(row.id, seq);
    if (c === null) throw this.corrupt(`the snapshot at index ${row.idx} lacks chunk ${seq}`);
    return this.checked(row, seq, c);
  }

  /** A stored piece's bytes, once its checksum holds. */
  private checked(row: SnapshotRow, seq: number, c: { data: Uint8Array; checksum: number }): Uint8Array {
    verifyChecksum(this.policy, this.path, { kind: "snapshot chunk", index: row.idx, seq }, c.checksum, () => chunkChecksum(row.idx, seq, c.data));
    return c.data;
  }

  /** Copies a piece read from the store into `out` at `at`, and frees the piece. */
  private copy(out: Uint8Array, at: number, bytes: Uint8Array): number {
    if (at + bytes.byteLength > out.byteLength) throw this.corrupt(`a snapshot holds more than the ${out.byteLength} bytes its row names`);
    out.set(bytes, at);
    const next = at + bytes.byteLength;
    freeOwnedBytes(bytes);
    return next;
  }

  private corrupt(what: string): StorageError {
    return new StorageError("corrupt", `${this.path}: ${what}`);
  }
}
