// What the store and its checkpoint worker share: one Int32Array over a SharedArrayBuffer, read
// and written with Atomics only. The worker blocks in Atomics.wait between rounds (it has no other
// work), so the store can stop it and wait for its connection to close without an event loop turn,
// which keeps SqliteStorage.close() synchronous.

/** Slots of the control array. */
export const SLOT = {
  /** One of STATE below. */
  state: 0,
  /** Checkpoint rounds run. */
  rounds: 1,
  /** Frames in the WAL at the last round (PRAGMA wal_checkpoint's "log"). */
  logFrames: 2,
  /** Frames of it copied into the database at the last round ("checkpointed"). */
  checkpointedFrames: 3,
  /** Rounds that found another checkpoint in the way (SQLite answered busy). */
  busyRounds: 4,
  /** The longest round so far, in microseconds. */
  longestMicros: 5,
  /** 1 while a round runs (it holds SQLite's checkpoint lock), else 0. */
  inRound: 6,
} as const;
export const CONTROL_SLOTS = 7;

export const STATE = {
  /** Created; the worker thread has not begun. The store may stop it without waiting. */
  starting: 0,
  /** The worker is opening its connection (on its own thread): the store waits for it to stop. */
  opening: 1,
  running: 2,
  /** The store asked the worker to stop: it finishes its round, closes its connection, says stopped. */
  stopping: 3,
  stopped: 4,
  /** The worker hit an error and closed its connection; the store checkpoints for itself. */
  failed: 5,
} as const;

/** A row of PRAGMA wal_checkpoint: busy = 1 when it could not finish, WAL frames and frames copied. */
export interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

/** What the store sends the worker once, at start. */
export interface CheckpointWorkerConfig {
  type: "start";
  dbPath: string;
  intervalMs: number;
  control: SharedArrayBuffer;
}

/** What the worker sends back: only its failure (everything else is in the control array). */
export interface CheckpointWorkerFailure {
  type: "failed";
  message: string;
}
