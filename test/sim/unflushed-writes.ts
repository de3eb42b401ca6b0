// The writes a simulated device holds in its cache and has not flushed yet, oldest first, each
// with what it changed (an undo record), so a crash can take back any suffix of them: SQLite's WAL
// recovery keeps the longest valid prefix of the commit frames, never a piece in the middle. A
// flush makes every write made before it durable; the records of those writes are then dropped.
import type { Entry, HardState, Snapshot } from "../../src/raft/types.ts";
import type { StoredSnapshot } from "./sim-disk.ts";

/** What one unflushed write changed: enough to put the disk back as it was before it. */
export interface Unflushed {
  /** The write's number on this device, counted from 1. */
  seq: number;
  hard: HardState;
  snap: Snapshot | null;
  stored: StoredSnapshot | null;
  /** Entries it cut off the log's tail (a conflicting suffix), in order. */
  truncated: Entry[];
  /** Entries it cut off the log's head (compaction under a snapshot), in order. */
  compacted: Entry[];
  /** Entries it appended after both cuts. */
  appended: number;
  /** The lowest log index whose entry it changed; Infinity when it changed none. */
  floor: number;
}

export class UnflushedWrites {
  private readonly writes: Unflushed[] = [];
  /** Writes made on this device so far (flushed or not). */
  private made = 0;

  /** How many writes have been made: a flush started now covers the writes up to this number. */
  get count(): number {
    return this.made;
  }

  get size(): number {
    return this.writes.length;
  }

  /** A record for the next write, taken before it changes anything. */
  begin(hard: HardState, snap: Snapshot | null, stored: StoredSnapshot | null): Unflushed {
    return { seq: this.made + 1, hard, snap, stored, truncated: [], compacted: [], appended: 0, floor: Infinity };
  }

  /** The write `u` was made (into the cache). */
  add(u: Unflushed): void {
    if (u.seq !== this.made + 1) throw new Error(`unflushed write ${u.seq} recorded after write ${this.made}`);
    this.made = u.seq;
    this.writes.push(u);
  }

  /** A write made and flushed at once (a synced write): every write before it is durable too. */
  addDurable(): void {
    this.made++;
    this.writes.length = 0;
  }

  /** A flush that covered the writes up to `seq` finished: they are durable. */
  flushedThrough(seq: number): void {
    if (seq > this.made) throw new Error(`a flush through write ${seq} finished, but only ${this.made} were made`);
    let n = 0;
    while (n < this.writes.length && this.writes[n]!.seq <= seq) n++;
    if (n > 0) this.writes.splice(0, n);
  }

  /**
   * A crash keeps the first `keep` unflushed writes and loses the rest: returns the lost ones,
   * newest first (the order to undo them in). What the crash kept counts as on disk from now on.
   */
  crash(keep: number): Unflushed[] {
    if (!(Number.isSafeInteger(keep) && keep >= 0 && keep <= this.writes.length)) {
      throw new RangeError(`a crash keeps 0..${this.writes.length} unflushed writes, not ${keep}`);
    }
    const lost = this.writes.slice(keep).reverse();
    this.writes.length = 0;
    return lost;
  }

  /** The lowest log index an unflushed write changed: entries below it are durable as they read. */
  floor(): number {
    let floor = Infinity;
    for (const u of this.writes) floor = Math.min(floor, u.floor);
    return floor;
  }

  /** The hard state as the device durably holds it (before the oldest unflushed write), or null if all is flushed. */
  durableHardState(): HardState | null {
    return this.writes[0]?.hard ?? null;
  }
}

/**
 * The lowest index whose entry the write changed: where it truncated, past the leading entries it
 * wrote back as they were (same index and term: by log matching, the same entry), or where it
 * appended new ones; Infinity when it touched no entry.
 */
export function changedFrom(deleteFrom: number | null, truncated: readonly Entry[], append: readonly Entry[]): number {
  const first = append[0]?.index;
  if (deleteFrom === null) return first ?? Infinity;
  let same = 0;
  if (first === deleteFrom) {
    while (same < truncated.length && same < append.length && truncated[same]!.term === append[same]!.term) same++;
  }
  return same === truncated.length && same === append.length ? Infinity : deleteFrom + same;
}
