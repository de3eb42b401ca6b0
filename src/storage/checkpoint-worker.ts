// The checkpoint worker: a thread with its own connection to the store's database that folds the
// WAL back into the database file with PRAGMA wal_checkpoint(PASSIVE) every few hundred ms (at once
// again after a round that had much to copy), so
// the fsyncs and page copies of a checkpoint never run on the node's event loop. PASSIVE never
// waits for and never blocks the writer: it copies the frames committed when it starts and leaves
// the rest to the next round. The connection runs synchronous=NORMAL like the writer's, so SQLite
// syncs the WAL before copying and the database after, before the WAL may be reused.
// Started by wal-checkpointer.ts; its entrypoint is built into the binary (Makefile, build line).
import { Database, type Statement } from "bun:sqlite";
import { type CheckpointRow, type CheckpointWorkerConfig, type CheckpointWorkerFailure, SLOT, STATE } from "./checkpoint-control.ts";
import { checkDurability, WAL_AUTOCHECKPOINT_PAGES } from "./sqlite-open-checks.ts";

declare const self: Worker;

/** How long opening the connection may wait for SQLite's own short locks (WAL recovery). */
const OPEN_BUSY_TIMEOUT_MS = 1_000;

self.onmessage = (event: MessageEvent<CheckpointWorkerConfig>) => {
  self.onmessage = null; // one configuration per worker
  run(event.data);
};

function run(cfg: CheckpointWorkerConfig): void {
  const ctl = new Int32Array(cfg.control);
  // Stopped before the thread even began: the store did not wait, so open nothing.
  if (Atomics.compareExchange(ctl, SLOT.state, STATE.starting, STATE.opening) !== STATE.starting) return;
  let db: Database | null = null;
  try {
    db = openConnection(cfg.dbPath);
    if (Atomics.compareExchange(ctl, SLOT.state, STATE.opening, STATE.running) === STATE.opening) {
      Atomics.notify(ctl, SLOT.state);
      rounds(db, ctl, cfg.intervalMs);
    }
    db.close();
    finish(ctl, STATE.stopped);
  } catch (err) {
    try {
      db?.close();
    } finally {
      finish(ctl, STATE.failed);
      postMessage({ type: "failed", message: (err as Error).message ?? String(err) } satisfies CheckpointWorkerFailure);
    }
  }
}

/** Never creates the file: the store made it before starting us. */
function openConnection(path: string): Database {
  const db = new Database(path, { readwrite: true, create: false, strict: true });
  try {
    db.exec(`PRAGMA busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
    db.exec("PRAGMA synchronous = NORMAL");
    checkDurability(db, path); // WAL and NORMAL, read back: never a checkpoint without its syncs
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * One PASSIVE checkpoint per interval until the store asks to stop (a notify cuts the wait short).
 * A round that copied as much as SQLite's own threshold starts the next at once: under a heavy
 * load the frames not yet copied stay about one round's worth, so a forced checkpoint on the
 * writer (wal-checkpointer.ts) has little left to do.
 */
function rounds(db: Database, ctl: Int32Array, intervalMs: number): void {
  const checkpoint: Statement<CheckpointRow, []> = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
  let copied = 0;
  try {
    while (Atomics.load(ctl, SLOT.state) === STATE.running) {
      if (copied < WAL_AUTOCHECKPOINT_PAGES) Atomics.wait(ctl, SLOT.state, STATE.running, intervalMs);
      if (Atomics.load(ctl, SLOT.state) !== STATE.running) return;
      Atomics.store(ctl, SLOT.inRound, 1);
      try {
        copied = round(checkpoint, ctl);
      } finally {
        Atomics.store(ctl, SLOT.inRound, 0);
      }
    }
  } finally {
    checkpoint.finalize();
  }
}

/** Runs one round; returns the frames it copied into the database (0 when it could not run). */
function round(checkpoint: Statement<CheckpointRow, []>, ctl: Int32Array): number {
  const started = performance.now();
  let row: CheckpointRow | null;
  try {
    row = checkpoint.get();
  } catch (err) {
    // Another connection's checkpoint or WAL recovery holds a lock for a moment: next round.
    if (!/^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: unknown }).code))) throw err;
    row = { busy: 1, log: -1, checkpointed: -1 };
  }
  if (row === null) throw new Error("PRAGMA wal_checkpoint returned no row");
  if (row.busy !== 0) Atomics.add(ctl, SLOT.busyRounds, 1);
  let copied = 0;
  if (row.log >= 0) {
    // Fewer checkpointed frames than last time: the WAL started over in between.
    const before = Atomics.exchange(ctl, SLOT.checkpointedFrames, row.checkpointed);
    copied = row.checkpointed >= before ? row.checkpointed - before : row.checkpointed;
    Atomics.store(ctl, SLOT.logFrames, row.log);
  }
  const micros = Math.round((performance.now() - started) * 1000);
  if (micros > Atomics.load(ctl, SLOT.longestMicros)) Atomics.store(ctl, SLOT.longestMicros, Math.min(micros, 2 ** 31 - 1));
  Atomics.add(ctl, SLOT.rounds, 1);
  return copied;
}

function finish(ctl: Int32Array, state: number): void {
  Atomics.store(ctl, SLOT.state, state);
  Atomics.notify(ctl, SLOT.state);
}
