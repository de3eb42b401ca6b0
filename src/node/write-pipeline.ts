// Readys between their write and their completion. A Ready's batch is written at once (no fsync on
// the event loop) and the Ready waits here until a flush has made it durable; then it completes —
// its late messages go out, its committed entries are applied, the core is advanced — strictly in
// the order the Readys were written. One flush is in flight at a time and covers every write made
// before it started, so Readys written while the disk is busy share the next flush (group commit)
// and the loop keeps serving meanwhile. The flush after a completion starts a macrotask later, so
// the Ready the runtime takes right after that completion shares it too (an idle write, with no
// flush in flight, is flushed at once). A Ready that wrote nothing that needs the disk (only a
// commit index, or nothing at all) still completes in order, behind the ones before it.
import type { Message, Ready } from "../raft/types.ts";
import type { LogStorage, PersistBatch } from "../storage/log-storage.ts";

/** Readys written and not yet completed, at most; the core allows 16 outstanding. */
export const MAX_READYS_IN_FLIGHT = 14;

/** A Ready whose batch is durable, with what its first half kept for its second. */
export interface DurableReady {
  rd: Ready;
  /** Its messages that had to wait until its batch was durable. */
  late: Message[];
  /** It wrote a batch (a Ready with nothing for the disk completes without one). */
  wrote: boolean;
  /** From its write until a flush covered it, queueing behind earlier Readys included. */
  waitedMs: number;
}

/** A Ready written, waiting for its flush: what it will complete with, less the wait it has not finished. */
interface Written extends Omit<DurableReady, "waitedMs"> {
  /** The write number that must be durable before this Ready completes (the latest one, for a Ready that wrote nothing). */
  needs: number;
  startedMs: number;
}

export interface WritePipelineDeps {
  storage: Pick<LogStorage, "write" | "flush">;
  /** Runs a durable Ready's second half; a throw is the node failing (the runtime's guard). */
  complete: (done: DurableReady) => void;
  /** The device failed a flush: nothing since the last good one may be relied on. */
  failed: (error: Error) => void;
  /** Whether the node still runs: a flush answering after a stop completes nothing. */
  running: () => boolean;
  now: () => number;
  /** A flush starts (counted: how many Readys share an fsync). */
  flushStarted?: () => void;
  /** Runs `fn` in a later macrotask, after the ones already queued (the runtime's Timers.defer). */
  defer: (fn: () => void) => void;
}

export class WritePipeline {
  private readonly queue: Written[] = [];
  /** Writes made that needed a flush, counted from 1. */
  private written = 0;
  /** Writes known durable. */
  private durable = 0;
  private flushing = false;
  /** The last write the flush in flight covers. */
  private flushingUpTo = 0;
  /** Completing re-enters through a synchronous flush (MemoryStorage); one pass at a time. */
  private completing = false;

  constructor(private readonly deps: WritePipelineDeps) {}

  /** Room for another Ready: the core is asked for one only then, so the queue is bounded. */
  get hasRoom(): boolean {
    return this.queue.length < MAX_READYS_IN_FLIGHT;
  }

  get inFlight(): number {
    return this.queue.length;
  }

  /**
   * A write already waits for the flush after the one in flight. Another Ready taken now would
   * only make a second small transaction for that same flush, so the runtime lets the core batch
   * meanwhile (one bigger Ready when the flush ends), except on a tick: a disk that stalls must
   * not hold a leader's heartbeats.
   */
  get backlogged(): boolean {
    return this.flushing && this.written > this.flushingUpTo;
  }

  /**
   * Writes the Ready's batch (if any) now and queues the Ready, with its `late` messages, until
   * that write is durable.
   */
  submit(rd: Ready, late: Message[]): void {
    if (!this.hasRoom) throw new Error(`write pipeline full: ${this.queue.length} Readys in flight`);
    const batch = batchOf(rd);
    const needsFlush = batch !== null && this.deps.storage.write(batch);
    // A Ready that needs no flush still waits for the writes before it: completion stays in order.
    const needs = needsFlush ? ++this.written : this.written;
    this.queue.push({ rd, late, wrote: batch !== null, needs, startedMs: this.deps.now() });
    this.kick();
  }

  /** Completes what is durable, then starts a flush for what is not (if none is in flight). */
  private kick(): void {
    this.completeDurable();
    if (this.flushing || this.written === this.durable || !this.deps.running()) return;
    this.flushing = true;
    const upTo = this.written;
    this.flushingUpTo = upTo;
    this.deps.flushStarted?.();
    this.deps.storage.flush((error) => {
      this.flushing = false;
      if (!this.deps.running()) return;
      if (error !== null) {
        this.deps.failed(error);
        return;
      }
      this.durable = Math.max(this.durable, upTo);
      this.completeDurable();
      if (this.written === this.durable) return;
      // Completing let the runtime take its next Ready in the macrotask it deferred (its drain):
      // started after that, this flush covers that write too instead of leaving it for one more
      // fsync (~60 µs of system CPU each, and a flush's wait). Its submit() starts the flush then.
      this.deps.defer(() => this.kick());
    });
  }

  private completeDurable(): void {
    if (this.completing) return;
    this.completing = true;
    try {
      while (this.queue.length > 0 && this.queue[0]!.needs <= this.durable && this.deps.running()) {
        const w = this.queue.shift()!;
        this.deps.complete({ rd: w.rd, late: w.late, wrote: w.wrote, waitedMs: this.deps.now() - w.startedMs });
      }
    } finally {
      this.completing = false;
    }
  }
}

/** What of a Ready goes to disk, or null when nothing does. */
function batchOf(rd: Ready): PersistBatch | null {
  if (!rd.hardState && rd.entries.length === 0 && !rd.snapshot) return null;
  return { hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot };
}
