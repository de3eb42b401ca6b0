// The in-memory Raft log (like etcd's MemoryStorage + unstable): the latest snapshot, the entries
// after it, the commit index, and how far the runtime has been handed and has persisted entries.
import { invariant } from "./errors.ts";
import type { Entry, SnapshotRef } from "./types.ts";

/** Per-entry framing overhead counted against maxMsgBytes besides the data bytes. */
export const ENTRY_OVERHEAD_BYTES = 24;

export function entryBytes(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

export class RaftLog {
  /** The latest snapshot (its meta and size; the bytes stay in storage); null before the first. */
  snapshot: SnapshotRef | null;
  private entries: Entry[];
  committed: number;
  /** Highest index known durable (entries ≤ it were persisted in the current log's shape). */
  persisted: number;
  /** Highest index already handed to the runtime in a Ready. */
  handedOut: number;

  constructor(snapshot: SnapshotRef | null, entries: Entry[], committed: number) {
    this.snapshot = snapshot;
    this.entries = [];
    this.committed = 0;
    this.persisted = 0;
    this.handedOut = 0;
    const base = this.snapIndex();
    entries.forEach((e, i) =>
      invariant(e.index === base + 1 + i, () => `restored entry #${i} has index ${e.index}, expected ${base + 1 + i}`),
    );
    this.entries = [...entries];
    invariant(committed <= this.lastIndex(), () => `restored commit ${committed} beyond last index ${this.lastIndex()}`);
    this.committed = Math.max(committed, base);
    this.persisted = this.lastIndex();
    this.handedOut = this.lastIndex();
  }

  snapIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  snapTerm(): number {
    return this.snapshot?.meta.term ?? 0;
  }

  firstIndex(): number {
    return this.snapIndex() + 1;
  }

  lastIndex(): number {
    return this.snapIndex() + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** Term of the entry at `index`, or undefined when compacted away or not (yet) in the log. */
  term(index: number): number | undefined {
    const base = this.snapIndex();
    if (index === base) return this.snapTerm();
    if (index < base || index > this.lastIndex()) return undefined;
    return this.entries[index - base - 1].term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  entryAt(index: number): Entry | undefined {
    const base = this.snapIndex();
    if (index <= base || index > this.lastIndex()) return undefined;
    return this.entries[index - base - 1];
  }

  /** Entries in [lo, hi] (inclusive), both within the held range. */
  slice(lo: number, hi: number): Entry[] {
    if (hi < lo) return [];
    const base = this.snapIndex();
    invariant(lo > base && hi <= this.lastIndex(), () => `slice [${lo}, ${hi}] outside held range (${base}, ${this.lastIndex()}]`);
    return this.entries.slice(lo - base - 1, hi - base);
  }

  /** Entries from `lo` up to maxBytes in total (always at least one when any exists). */
  entriesFrom(lo: number, maxBytes: number, maxCount = Number.MAX_SAFE_INTEGER): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i <= this.lastIndex() && out.length < maxCount; i++) {
      const e = this.entryAt(i);
      if (e === undefined) break;
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Candidate's log (lastIndex, lastTerm) is at least as up to date as ours (§5.4.1). */
  isUpToDate(index: number, term: number): boolean {
    const myTerm = this.lastTerm();
    return term > myTerm || (term === myTerm && index >= this.lastIndex());
  }

  /** The leader appends its own new entries right after the last one. */
  append(entries: Entry[]): void {
    for (const e of entries) {
      invariant(e.index === this.lastIndex() + 1, () => `appending index ${e.index} after last index ${this.lastIndex()}`);
      invariant(e.term >= this.lastTerm(), () => `appending term ${e.term} below last term ${this.lastTerm()}`);
      this.entries.push(e);
    }
  }

  /**
   * First index among `entries` that our log does not hold with the same term (0 if none): where a
   * follower must truncate and append.
   */
  findConflict(entries: Entry[]): number {
    for (const e of entries) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /** Replace everything from `entries[0].index` on by `entries` (follower side, after a conflict). */
  truncateAndAppend(entries: Entry[]): void {
    if (entries.length === 0) return;
    const from = entries[0].index;
    invariant(from > this.committed, () => `truncating at ${from}, at or below commit ${this.committed}`);
    invariant(from > this.snapIndex() && from <= this.lastIndex() + 1, () => `truncation point ${from} outside (${this.snapIndex()}, ${this.lastIndex() + 1}]`);
    this.entries.length = from - this.snapIndex() - 1;
    this.persisted = Math.min(this.persisted, from - 1);
    this.handedOut = Math.min(this.handedOut, from - 1);
    this.append(entries);
  }

  /**
   * Fast back-off: the largest index ≤ `index` whose term is ≤ `term` (the leader skips a whole
   * term of mismatching entries at once).
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    for (; i > this.snapIndex(); i--) {
      const t = this.term(i);
      if (t !== undefined && t <= term) return i;
    }
    return i;
  }

  commitTo(index: number): void {
    invariant(index >= this.committed, () => `commit going backwards from ${this.committed} to ${index}`);
    invariant(index <= this.lastIndex(), () => `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Entries handed out and persisted in order: the last one still in the log marks durability. */
  stableTo(persistedEntries: readonly Entry[]): void {
    for (let i = persistedEntries.length - 1; i >= 0; i--) {
      const e = persistedEntries[i];
      if (this.matchTerm(e.index, e.term)) {
        this.persisted = Math.max(this.persisted, e.index);
        return;
      }
    }
  }

  /** Entries not yet handed to the runtime; marks them handed out. */
  takeUnhanded(): Entry[] {
    const out = this.slice(Math.max(this.handedOut, this.snapIndex()) + 1, this.lastIndex());
    this.handedOut = this.lastIndex();
    return out;
  }

  hasUnhanded(): boolean {
    return this.lastIndex() > this.handedOut;
  }

  /** A follower installs a leader's snapshot: the whole log is replaced by it. */
  restore(snapshot: SnapshotRef): void {
    invariant(snapshot.meta.index > this.committed, () => `restoring snapshot ${snapshot.meta.index} at or below commit ${this.committed}`);
    this.snapshot = snapshot;
    this.entries = [];
    this.committed = snapshot.meta.index;
    this.persisted = snapshot.meta.index;
    this.handedOut = snapshot.meta.index;
  }

  /** The app snapshotted at `snapshot.meta.index`: keep it and drop the entries it covers. */
  compact(snapshot: SnapshotRef): void {
    const index = snapshot.meta.index;
    invariant(index > this.snapIndex() && index <= this.lastIndex(), () => `compaction index ${index} outside (${this.snapIndex()}, ${this.lastIndex()}]`);
    invariant(this.term(index) === snapshot.meta.term, () => `snapshot term ${snapshot.meta.term} differs from log term ${this.term(index)} at ${index}`);
    this.entries = this.entries.slice(index - this.snapIndex());
    this.snapshot = snapshot;
  }
}
