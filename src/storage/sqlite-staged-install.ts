// The snapshot a follower is about to install, written to SQLite ahead of the write() whose batch
// carries it, a few pieces per call (each its own short transaction), so that write's transaction
// only publishes the row. Written whole inside that transaction, a 21.8 MB snapshot (1M partitions)
// held the event loop 43–56 ms. The staged row is invisible (pending = 2: every read asks for
// pending = 0) until that transaction publishes it; staging another snapshot drops it, and so does
// a restart (dropUnpublished), its chunks then swept as orphans. Its row and pieces are written by
// SnapshotPieces' own insertRow and insertPieces, so nothing that reads a snapshot can tell the two apart.
import type { Snapshot } from "../raft/types.ts";
import type { SnapshotPieces } from "./sqlite-snapshot-pieces.ts";
import type { Statements } from "./sqlite-statements.ts";
import { StorageError } from "./storage-error.ts";

interface Staged {
  id: number;
  snapshot: Snapshot;
  /** Bytes of the snapshot written so far (SnapshotPieces.insertPieces goes on from there). */
  written: number;
}

export class StagedInstall {
  private staged: Staged | null = null;

  constructor(
    private readonly st: Statements,
    private readonly pieces: SnapshotPieces,
    private readonly now: () => number,
  ) {}

  /** Starts staging `snapshot` (its row, no bytes yet), dropping whatever was staged before. */
  begin(snapshot: Snapshot): void {
    this.st.dropStagedInstalls.run();
    const id = this.pieces.insertRow(snapshot.meta, snapshot.data.byteLength, this.now(), "staged");
    this.staged = { id, snapshot, written: 0 };
  }

  /** Writes the next pieces, at least one and about `maxBytes`; true once the whole snapshot is written. */
  step(maxBytes: number): boolean {
    const s = this.staged;
    if (s === null) throw new StorageError("no_pending_snapshot", "cannot stage an install's bytes: no install is being staged (stageInstall first)");
    const { data, meta } = s.snapshot;
    s.written = this.pieces.insertPieces(s.id, meta.index, data, s.written, maxBytes);
    return s.written === data.byteLength;
  }

  /**
   * Inside the transaction that stores `snapshot`: publishes the staged row when it is this very
   * snapshot, whole (true: nothing is left to write). Otherwise false, and the caller writes the
   * bytes itself; a row staged for another snapshot stays invisible until the next begin or restart.
   */
  publish(snapshot: Snapshot): boolean {
    const s = this.staged;
    if (s === null || s.snapshot !== snapshot || s.written !== snapshot.data.byteLength) return false;
    if (this.st.publishStagedInstall.run(this.now(), s.id).changes !== 1) {
      throw new StorageError("internal", `the staged install of the snapshot at ${snapshot.meta.index} (row ${s.id}) is gone`);
    }
    return true;
  }

  /** `snapshot` is the one being staged: its bytes are still to be written or published. */
  holds(snapshot: Snapshot): boolean {
    return this.staged?.snapshot === snapshot;
  }

  /** After a transaction that stored `snapshot` committed: if it was the staged one, it is no longer staged. */
  settled(snapshot: Snapshot): void {
    if (this.staged?.snapshot === snapshot) this.staged = null;
  }
}
