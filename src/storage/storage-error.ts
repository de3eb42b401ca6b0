// Errors of the storage layer. `code` is stable so the runtime can tell a caller's bad batch
// (an invariant the Raft core broke) from a disk or database problem it must stop on.

export type StorageErrorCode =
  // identity
  | "invalid_identity" // malformed cluster id / node id
  | "identity_mismatch" // the store was formatted for another cluster or node
  // malformed input
  | "invalid_entry"
  | "invalid_hard_state"
  | "invalid_snapshot"
  | "too_large" // an entry, batch or snapshot over its configured bound
  // log invariants
  | "log_gap" // entries would leave a hole after the last index
  | "entry_compacted" // entries at or below the snapshot index
  | "term_regression" // a term lower than the one before it along the log
  | "committed_entry_conflict" // a committed entry would be replaced by a different one
  | "entry_term_ahead" // a log entry newer than the hard state's term
  // hard state invariants
  | "hard_state_term_decreased"
  | "vote_changed" // a second, different vote in the same term
  | "commit_decreased"
  | "commit_beyond_log" // commit past the last index (or snapshot index)
  | "commit_behind_snapshot" // a snapshot holds only committed state, so commit ≥ its index
  // snapshot invariants
  | "stale_snapshot" // older than the snapshot already held
  | "snapshot_beyond_commit" // the node's own snapshot must cover only committed entries
  | "snapshot_term_mismatch" // the snapshot's term disagrees with the log at its index
  | "no_pending_snapshot" // a chunk or publish without beginSnapshot (or after abort / reopen)
  // the database itself
  | "open_failed" // the file could not be opened at all
  | "locked" // another process has the database open
  | "pragma_not_in_force" // WAL / synchronous=NORMAL could not be set
  | "io" // the device failed a read, write or fsync outside SQLite
  | "schema_version" // a schema this code does not know
  | "corrupt" // quick_check failed or the stored log breaks its invariants
  | "closed" // used after close()
  | "internal"; // storage broke its own invariant: a bug here, not the caller's

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "StorageError";
  }
}
