// Where the store's WAL checkpoints run. Normally on the checkpoint worker (checkpoint-worker.ts),
// a thread with its own connection, so the writer never folds the WAL back inside a commit on the
// event loop (the writer runs wal_autocheckpoint=0). Two things keep the WAL bounded whatever the
// worker does: a worker that fails hands checkpoints back to the writer (SQLite's automatic
// checkpoint, logged "checkpoint_worker_failed"), and a WAL past the hard bound (a passive
// checkpoint cannot finish while the writer keeps appending, and SQLite only restarts the WAL
// after a complete one) gets one blocking checkpoint on the writer, logged "wal_checkpoint_forced".
import type { Database } from "bun:sqlite";
import { CONTROL_SLOTS, type CheckpointRow, type CheckpointWorkerConfig, type CheckpointWorkerFailure, SLOT, STATE } from "./checkpoint-control.ts";
import { WAL_AUTOCHECKPOINT_PAGES } from "./sqlite-open-checks.ts";
import { StorageError } from "./storage-error.ts";
import type { StorageLog } from "./storage-log.ts";

export interface CheckpointerOptions {
  /** How often the worker runs a passive checkpoint. */
  intervalMs: number;
  /** WAL bytes past which the writer checkpoints itself, blocking (the disk-use bound). */
  walHardLimitBytes: number;
  /** How long close() waits for the worker to finish its round and close its connection. */
  stopTimeoutMs: number;
  /** Another worker entrypoint (test seam StorageOptions.checkpointWorkerUrl); null = the built-in one. */
  workerUrl: string | null;
  log: StorageLog;
}

export interface CheckpointStats {
  /** Where checkpoints run now: the worker, or the writer after the worker failed. */
  mode: "worker" | "writer";
  rounds: number;
  busyRounds: number;
  /** Frames in the WAL and frames of it in the database, at the worker's last round. */
  logFrames: number;
  checkpointedFrames: number;
  longestRoundMs: number;
  /** Blocking checkpoints the writer ran because the WAL passed the hard bound. */
  forced: number;
}

export class WalCheckpointer {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  private worker: Worker | null = null;
  private mode: "worker" | "writer" = "worker";
  /** stop() ran: a late message from the worker is no failure any more. */
  private stopped = false;
  private forced = 0;
  /** WAL bytes past which the next commit forces a checkpoint. */
  private nextForceAtBytes: number;
  /** The WAL's size at the last commit: a smaller one means SQLite started it over and cut it back. */
  private lastWalBytes = 0;

  constructor(
    private readonly db: Database,
    private readonly dbPath: string,
    private readonly opts: CheckpointerOptions,
  ) {
    if (!(opts.intervalMs > 0) || !(opts.walHardLimitBytes > 0)) throw new RangeError(`checkpoint interval and WAL hard limit must be positive, got ${opts.intervalMs} and ${opts.walHardLimitBytes}`);
    this.nextForceAtBytes = opts.walHardLimitBytes;
  }

  start(): void {
    if (this.worker !== null) throw new Error(`checkpoint worker for ${this.dbPath} already started`);
    let worker: Worker;
    try {
      // From source this is the file beside this one; in the binary the build names the worker as
      // an entrypoint with flat entry naming ([name].[ext]), so it sits beside the main module,
      // where the same URL points (the compiled-checkpoint-worker test guards it).
      worker = this.opts.workerUrl === null ? new Worker(new URL("./checkpoint-worker.ts", import.meta.url).href) : new Worker(this.opts.workerUrl);
    } catch (err) {
      this.fallBack(`cannot start the checkpoint worker: ${(err as Error).message}`);
      return;
    }
    this.worker = worker;
    worker.addEventListener("message", (event: MessageEvent<CheckpointWorkerFailure>) => this.fallBack(event.data.message));
    worker.addEventListener("error", (event: ErrorEvent) => this.fallBack(event.message || "the checkpoint worker threw"));
    // A worker that failed says why in its message (which may come after its close); the next
    // commit sees its state anyway. Only an exit without a failure is reported here.
    worker.addEventListener("close", () => {
      if (Atomics.load(this.control, SLOT.state) !== STATE.failed) this.fallBack("the checkpoint worker exited");
    });
    worker.unref(); // a store left open must not keep the process alive
    worker.postMessage({ type: "start", dbPath: this.dbPath, intervalMs: this.opts.intervalMs, control: this.control.buffer as SharedArrayBuffer } satisfies CheckpointWorkerConfig);
  }

  /** After each commit: the worker's health and the WAL's hard bound (the caller measured the WAL). */
  afterCommit(walBytes: number): void {
    if (!Number.isSafeInteger(walBytes) || walBytes < 0) throw new StorageError("internal", `${this.dbPath}: WAL size ${walBytes} is not a byte count`);
    if (this.mode === "worker" && Atomics.load(this.control, SLOT.state) === STATE.failed) this.fallBack("the checkpoint worker stopped");
    if (walBytes < this.lastWalBytes) this.nextForceAtBytes = this.opts.walHardLimitBytes;
    this.lastWalBytes = walBytes;
    if (walBytes <= this.nextForceAtBytes) return;
    // A worker round under way holds SQLite's checkpoint lock, and the forced checkpoint would wait
    // for it on the loop: try again at a later commit, unless the WAL is well past the bound by now.
    const workerBusy = this.mode === "worker" && Atomics.load(this.control, SLOT.inRound) === 1;
    if (workerBusy && walBytes < this.nextForceAtBytes + this.opts.walHardLimitBytes / 4) return;
    this.force(walBytes);
  }

  stats(): CheckpointStats {
    const at = (slot: number) => Atomics.load(this.control, slot);
    return {
      mode: this.mode,
      rounds: at(SLOT.rounds),
      busyRounds: at(SLOT.busyRounds),
      logFrames: at(SLOT.logFrames),
      checkpointedFrames: at(SLOT.checkpointedFrames),
      longestRoundMs: at(SLOT.longestMicros) / 1000,
      forced: this.forced,
    };
  }

  /**
   * Stops the worker and waits (bounded) until it has closed its connection, so the store's final
   * checkpoint and close find no other connection. Synchronous: close() is.
   */
  stop(): void {
    this.stopped = true;
    const worker = this.worker;
    if (worker === null) return;
    this.worker = null;
    // A thread that has not begun opens nothing once it sees this (its start may need our loop: no wait).
    if (Atomics.compareExchange(this.control, SLOT.state, STATE.starting, STATE.stopped) === STATE.starting) {
      worker.terminate();
      return;
    }
    for (const from of [STATE.opening, STATE.running]) Atomics.compareExchange(this.control, SLOT.state, from, STATE.stopping);
    Atomics.notify(this.control, SLOT.state);
    const deadline = performance.now() + this.opts.stopTimeoutMs;
    let state = Atomics.load(this.control, SLOT.state);
    while (state === STATE.stopping && performance.now() < deadline) {
      Atomics.wait(this.control, SLOT.state, STATE.stopping, Math.max(1, deadline - performance.now()));
      state = Atomics.load(this.control, SLOT.state);
    }
    if (state === STATE.stopping) this.opts.log("warn", "checkpoint_worker_stop_timeout", { db: this.dbPath, waitedMs: this.opts.stopTimeoutMs });
    worker.terminate();
  }

  /** The worker is gone: SQLite's automatic checkpoint on the writer takes over (on the loop, bounded). */
  private fallBack(reason: string): void {
    if (this.mode === "writer" || this.stopped) return;
    this.mode = "writer";
    this.opts.log("error", "checkpoint_worker_failed", { db: this.dbPath, reason, now: "the writer checkpoints every " + WAL_AUTOCHECKPOINT_PAGES + " pages" });
    try {
      this.db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    } catch (err) {
      // The writer's connection is closed (the store too): nothing left to checkpoint.
      this.opts.log("warn", "checkpoint_fallback_not_set", { db: this.dbPath, error: (err as Error).message });
    }
    this.worker?.terminate();
    this.worker = null;
  }

  /**
   * The WAL grew past the hard bound: copy what the worker has not copied yet and start the WAL
   * over (RESTART), holding the writer; nothing else writes, so it completes unless a worker round
   * holds SQLite's checkpoint lock past the busy timeout. The next commit writes from the start of
   * the file, which is not cut shorter than the bound (setDurabilityPragmas): a TRUNCATE of a
   * 256 MiB WAL was measured at ~500 ms on this disk, against tens of ms for this.
   */
  private force(walBytes: number): void {
    const started = performance.now();
    const row = this.db.query<CheckpointRow, []>("PRAGMA wal_checkpoint(RESTART)").get();
    const complete = row !== null && row.busy === 0 && row.checkpointed === row.log;
    this.forced++;
    // The next commit starts the WAL over and cuts the file back to the bound (afterCommit then
    // re-arms the bound); one that did not start over (a reader in the way) is tried again after
    // a margin, not at every commit.
    this.nextForceAtBytes = walBytes + this.opts.walHardLimitBytes / (complete ? 64 : 4);
    this.opts.log("warn", "wal_checkpoint_forced", {
      db: this.dbPath,
      walBytes,
      limitBytes: this.opts.walHardLimitBytes,
      complete,
      logFrames: row?.log,
      checkpointedFrames: row?.checkpointed,
      heldMs: Math.round(performance.now() - started),
    });
  }
}
