// A node's simulated disk: hard state, the log (with truncation on conflict) and the latest
// snapshot, as the device's cache holds them (what reads see), and what of it a crash leaves. A
// write lands in the cache; a flush makes every write made before it durable. A crash keeps a
// seeded-random prefix of the unflushed writes and loses the rest (unflushed-writes.ts): all of
// them kept is a process crash (the page cache survives), none a power loss; never a piece in the
// middle, as SQLite's WAL recovery keeps the longest valid prefix of commit frames. A write that
// only moves the commit index (write-plan.ts mustSync) is such an unflushed write that needs no
// flush of its own. Like SqliteStorage, every entry, snapshot row and snapshot chunk is kept with
// the checksum the real storage computes for it (src/storage/checksum.ts); a read may return
// damaged bytes, which the reader (sim-storage.ts) checks against those checksums. A fault flag
// makes the disk misbehave on purpose so the bug-injection tests can show the simulator catches it.
import type { Entry, HardState, RestoreState, Snapshot, SnapshotMeta } from "../../src/raft/types.ts";
import { chunkChecksum, entryChecksum, snapshotChecksum } from "../../src/storage/checksum.ts";
import type { LogView, WritePlan } from "../../src/storage/write-plan.ts";
import { Prng } from "./prng.ts";
import { changedFrom, UnflushedWrites, type Unflushed } from "./unflushed-writes.ts";
import { SimViolation } from "./violation.ts";

export interface DiskBugs {
  /** Persist the hard state with vote 0: a restarted node may vote twice in one term. */
  forgetVote: boolean;
  /** Runtime mode: the storage reads without checking checksums (the real StorageOptions.skipChecksums seam). */
  skipChecksum?: boolean;
}

/** A piece of stored bytes with the checksum written with it. */
export interface Checked {
  data: Uint8Array;
  sum: number;
}

/**
 * The snapshot as the device holds it, as SqliteStorage does: one row (meta, and the bytes when the
 * snapshot was written whole) whose checksum covers the meta and those bytes, and the chunks of one
 * written in pieces, each with its own checksum.
 */
export interface StoredSnapshot {
  meta: SnapshotMeta;
  membershipJson: string;
  row: Checked;
  chunks: Checked[];
}

/** What one read of the whole disk returns: possibly damaged bytes, with the checksums they were written with. */
export interface RawRead {
  hardState: HardState;
  entries: { entry: Entry; sum: number }[];
  snapshot: StoredSnapshot | null;
}

/** A read fault: one entry, or one piece of the snapshot (0 = its row, k = chunk k − 1), comes back with a byte flipped. */
export type CorruptRead = { kind: "entry"; index: number } | { kind: "snapshot"; piece: number };

const EMPTY = new Uint8Array(0);

/** A flush usually takes 0.2–3 virtual ms; one in STALL_ODDS stalls for 10–250 ms (a busy or failing disk). */
const FLUSH_MS = [0.2, 3] as const;
const STALL_ODDS = 50;
const STALL_MS = [10, 250] as const;

export interface PersistBatch {
  snapshot: Snapshot | null;
  entries: readonly Entry[];
  hardState: HardState | null;
}

export class SimDisk {
  private hard: HardState = { term: 0, vote: 0, commit: 0 };
  /** Writes in the cache not flushed yet, each with its undo record. */
  private readonly cache = new UnflushedWrites();
  private snap: Snapshot | null = null;
  /** The snapshot as stored: row and chunks with their checksums. */
  private stored: StoredSnapshot | null = null;
  /** The entries the latest compacting write removed from the log's head (compactedEntry). */
  private lastCompacted: Entry[] = [];
  /** Contiguous, starting right after the snapshot's index. */
  private log: Entry[] = [];
  /** Each stored entry's checksum, taken when it was written. */
  private readonly sums = new WeakMap<Entry, number>();

  constructor(
    readonly nodeId: number,
    readonly bugs: DiskBugs,
    /** The device's own draws: flush latencies and what a crash keeps (the simulation derives one per node from the seed). */
    private readonly rng: Prng = new Prng(nodeId),
  ) {}

  hardState(): HardState {
    return { ...this.hard };
  }

  snapshot(): Snapshot | null {
    return this.snap;
  }

  snapshotIndex(): number {
    return this.snap?.meta.index ?? 0;
  }

  /** A range of the disk's snapshot when it is the one named, else null (replaced): where the core sim fills chunks from. */
  readSnapshotChunk(index: number, size: number, offset: number, length: number): Uint8Array | null {
    const s = this.snap;
    return s !== null && s.meta.index === index && s.data.byteLength === size ? s.data.slice(offset, offset + length) : null;
  }

  lastIndex(): number {
    return this.snapshotIndex() + this.log.length;
  }

  entry(index: number): Entry | undefined {
    return this.log[index - this.snapshotIndex() - 1];
  }

  /** Term at `index` if this disk still knows it (log or snapshot boundary), else undefined. */
  term(index: number): number | undefined {
    if (index === 0) return 0;
    if (index === this.snapshotIndex()) return this.snap!.meta.term;
    return this.entry(index)?.term;
  }

  /**
   * One Ready's writes, atomically: snapshot, then entries (truncating a conflicting suffix), then
   * hard state; flushed at once with every write before it, unless it only moves the commit index
   * (then it stays in the cache until the next flush, as mustSync allows).
   */
  persist(batch: PersistBatch): void {
    const hs = batch.hardState;
    const commitOnly =
      batch.snapshot === null && batch.entries.length === 0 && hs !== null && hs.term === this.hard.term && hs.vote === this.hard.vote;
    if (commitOnly) {
      const u = this.cache.begin(this.hard, this.snap, this.stored);
      this.keepHardState(hs, hs.commit);
      this.cache.add(u);
      return;
    }
    if (batch.snapshot !== null) this.installSnapshot(batch.snapshot);
    if (batch.entries.length > 0) this.appendEntries(batch.entries);
    if (hs !== null) this.keepHardState(hs, hs.commit);
    this.cache.addDurable();
  }

  /** Where the disk stands, as the real storages describe themselves to the write planner. */
  view(): LogView {
    const last = this.log[this.log.length - 1];
    return {
      snapshotIndex: this.snapshotIndex(),
      snapshotTerm: this.snap?.meta.term ?? 0,
      lastIndex: this.lastIndex(),
      lastTerm: last?.term ?? this.snap?.meta.term ?? 0,
      hardState: this.hard,
      termAt: (index) => this.entry(index)?.term,
    };
  }

  /**
   * A plan of the real write planner (src/storage/write-plan.ts), written in its order into the
   * cache: durable once a flush started after it finishes (flushedThrough), lost if a crash comes first.
   */
  write(plan: WritePlan, chunks: readonly Uint8Array[] | null = null): void {
    const u = this.cache.begin(this.hard, this.snap, this.stored);
    this.cut(u, plan);
    if (plan.deleteThrough > this.snapshotIndex()) {
      u.compacted = this.log.splice(0, plan.deleteThrough - this.snapshotIndex());
      if (u.compacted.length > 0) this.lastCompacted = u.compacted;
    }
    for (const e of plan.append) this.store(e);
    u.appended = plan.append.length;
    u.floor = changedFrom(plan.deleteFrom, u.truncated, plan.append);
    if (plan.snapshot !== null) this.keepSnapshot(plan.snapshot, chunks);
    const hs = plan.hardState;
    if (hs !== null) this.keepHardState(hs, hs.commit);
    this.cache.add(u);
    if (this.lastIndex() !== plan.after.lastIndex || this.snapshotIndex() !== plan.after.snapshotIndex) {
      throw new SimViolation("storage", `node ${this.nodeId}: disk at ${this.snapshotIndex()}..${this.lastIndex()} after a plan for ${plan.after.snapshotIndex}..${plan.after.lastIndex}`);
    }
  }

  /** Writes made so far: a flush started now covers these. */
  writesMade(): number {
    return this.cache.count;
  }

  /** A flush that covered the writes up to `seq` (writesMade() when it started) finished: they are durable. */
  flushedThrough(seq: number): void {
    this.cache.flushedThrough(seq);
  }

  /** How long the device takes to flush (virtual ms), drawn from its own stream. */
  flushLatency(): number {
    if (this.rng.int(1, STALL_ODDS) === 1) return this.rng.int(STALL_MS[0], STALL_MS[1]);
    return FLUSH_MS[0] + this.rng.next() * (FLUSH_MS[1] - FLUSH_MS[0]);
  }

  /**
   * Entry `index` as the latest compacting write removed it from the log, if it did: a pipelined
   * runtime applies an entry whose Ready was written before that snapshot after the snapshot write.
   */
  compactedEntry(index: number): Entry | undefined {
    const first = this.lastCompacted[0];
    return first === undefined || index < first.index ? undefined : this.lastCompacted[index - first.index];
  }

  /** The lowest log index an unflushed write changed: an entry below it is durable as it reads. */
  unflushedFloor(): number {
    return this.cache.floor();
  }

  /** The hard state a crash that lost every unflushed write would leave. */
  durableHardState(): HardState {
    return { ...(this.cache.durableHardState() ?? this.hard) };
  }

  /**
   * A crash in the middle of writing `plan`: the truncation and the first `keep` appended entries
   * reached the device's cache, the rest and the commit offset did not. Recovery drops the torn entry at
   * the tail, as a log with a checksum per entry does; nothing of it was acknowledged. Entries
   * never outlive the term and vote they came with: SqliteStorage writes the whole plan in one
   * transaction, and a log without transactions must write term and vote first (an entry of a
   * term above the stored one is a state no storage may leave: seed 302).
   */
  tear(plan: WritePlan, keep: number): void {
    if (plan.snapshot !== null || plan.deleteThrough > 0) return; // a snapshot write is one row: all or nothing
    const u = this.cache.begin(this.hard, this.snap, this.stored);
    this.cut(u, plan);
    const hs = plan.hardState;
    if (keep > 0 && hs !== null) this.keepHardState(hs, this.hard.commit);
    const kept = plan.append.slice(0, keep);
    for (const e of kept) this.store(e);
    u.appended = kept.length;
    u.floor = changedFrom(plan.deleteFrom, u.truncated, kept);
    this.cache.add(u); // unflushed like any write: the crash that follows may keep or lose it
    if (this.hard.commit > this.lastIndex()) {
      throw new SimViolation("storage", `node ${this.nodeId}: a torn write left commit ${this.hard.commit} beyond the log end ${this.lastIndex()}`);
    }
  }

  /** The hard state as the device keeps it (the forget-vote bug drops the vote on every write path). */
  private keepHardState(hs: HardState, commit: number): void {
    this.hard = { term: hs.term, vote: this.bugs.forgetVote ? 0 : hs.vote, commit };
  }

  /** A new, empty disk with the same fault flags: what `yakt format` leaves after a disk is lost. */
  blank(): SimDisk {
    return new SimDisk(this.nodeId, this.bugs, this.rng);
  }

  /**
   * The machine went down: the cache keeps its first `keep` unflushed writes (drawn when not
   * given: half the time all of them — a process crash —, a quarter none — a power loss —, else
   * any number) and loses the rest. Returns how many were lost. What it kept counts as durable.
   */
  crash(keep: number = this.crashKeeps()): number {
    const lost = this.cache.crash(keep);
    for (const u of lost) this.undo(u);
    return lost.length;
  }

  private crashKeeps(): number {
    const n = this.cache.size;
    if (n === 0) return 0;
    const r = this.rng.int(0, 3);
    return r < 2 ? n : r === 2 ? 0 : this.rng.int(0, n);
  }

  /** Puts the disk back as it was before the write `u` (the newest one still applied). */
  private undo(u: Unflushed): void {
    this.log.length -= u.appended;
    if (u.compacted.length > 0 || u.truncated.length > 0) this.log = [...u.compacted, ...this.log, ...u.truncated];
    this.hard = u.hard;
    this.snap = u.snap;
    this.stored = u.stored;
  }

  /** The plan's tail cut (deleteFrom), its entries kept in `u`. */
  private cut(u: Unflushed, plan: WritePlan): void {
    if (plan.deleteFrom === null) return;
    const keep = Math.max(0, Math.min(this.log.length, plan.deleteFrom - this.snapshotIndex() - 1));
    u.truncated = this.log.slice(keep);
    this.log.length = keep;
  }

  /** The app's own snapshot (log compaction): everything up to its index leaves the log. */
  compact(snapshot: Snapshot): void {
    const at = snapshot.meta.index;
    if (at <= this.snapshotIndex()) return;
    if (at > this.lastIndex()) {
      throw new SimViolation("runtime", `node ${this.nodeId}: compaction to ${at} beyond the persisted log end ${this.lastIndex()}`);
    }
    this.log = this.log.slice(at - this.snapshotIndex());
    this.keepSnapshot(snapshot, null);
    this.cache.addDurable(); // a synced write: everything before it is on disk too
  }

  restoreState(): RestoreState {
    return {
      hardState: { ...this.hard },
      snapshot: this.snap,
      entries: this.log.map((e) => ({ ...e })),
      applied: this.snapshotIndex(),
    };
  }

  /**
   * What a read of the whole disk returns, each piece with the checksum it was written with; the
   * piece `fault` names (if any) comes back with one byte flipped — a bad sector or a misdirected
   * read. The disk itself stays intact: the next read is clean.
   */
  read(fault: CorruptRead | null): RawRead {
    const entries = this.log.map((e) => ({ entry: { ...e }, sum: this.sums.get(e)! }));
    const snapshot = this.storedSnapshot();
    if (fault?.kind === "entry") {
      const hit = entries[fault.index - this.snapshotIndex() - 1];
      if (hit !== undefined) hit.entry = { ...hit.entry, data: flipped(hit.entry.data) };
    } else if (fault?.kind === "snapshot" && snapshot !== null) {
      const piece = fault.piece === 0 ? snapshot.row : snapshot.chunks[fault.piece - 1];
      if (piece !== undefined) piece.data = flipped(piece.data);
    }
    return { hardState: { ...this.hard }, entries, snapshot };
  }

  /** A copy of the stored snapshot's row and chunks (the bytes are shared: a fault replaces them, never writes them). */
  storedSnapshot(): StoredSnapshot | null {
    const s = this.stored;
    return s === null ? null : { ...s, row: { ...s.row }, chunks: s.chunks.map((c) => ({ ...c })) };
  }

  /** Pieces of the stored snapshot a read fault can strike: its row and each chunk. */
  snapshotPieces(): number {
    return this.stored === null ? 0 : 1 + this.stored.chunks.length;
  }

  private keepSnapshot(s: Snapshot, chunks: readonly Uint8Array[] | null): void {
    const membershipJson = JSON.stringify(s.meta.membership);
    const whole = chunks === null;
    const rowData = whole ? s.data : EMPTY;
    this.snap = s;
    this.stored = {
      meta: s.meta,
      membershipJson,
      row: { data: rowData, sum: snapshotChecksum(s.meta, membershipJson, rowData) },
      chunks: (chunks ?? []).map((data, seq) => ({ data, sum: chunkChecksum(s.meta.index, seq, data) })),
    };
  }

  private store(e: Entry): void {
    const stored = { ...e };
    this.sums.set(stored, entryChecksum(stored.index, stored.term, stored.type, stored.data));
    this.log.push(stored);
  }

  private installSnapshot(s: Snapshot): void {
    const at = s.meta.index;
    if (at <= this.snapshotIndex()) {
      throw new SimViolation("ready", `node ${this.nodeId}: Ready snapshot at ${at} is not newer than the persisted one at ${this.snapshotIndex()}`);
    }
    // Keep the suffix only when the log agrees with the snapshot at its index (Raft §7).
    const keep = this.term(at) === s.meta.term ? this.log.slice(at - this.snapshotIndex()) : [];
    this.keepSnapshot(s, null);
    this.log = keep;
  }

  private appendEntries(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    if (first <= this.snapshotIndex() || first > this.lastIndex() + 1) {
      throw new SimViolation(
        "ready",
        `node ${this.nodeId}: Ready entries start at ${first}, outside the persisted range (${this.snapshotIndex()}, ${this.lastIndex() + 1}]`,
      );
    }
    entries.forEach((e, i) => {
      if (e.index !== first + i) throw new SimViolation("ready", `node ${this.nodeId}: Ready entries are not contiguous at ${e.index}`);
    });
    this.log.length = first - this.snapshotIndex() - 1;
    for (const e of entries) this.store(e);
  }
}

/** A copy of `data` with one byte flipped (an empty piece reads back as one stray byte). */
function flipped(data: Uint8Array): Uint8Array {
  const out = data.length > 0 ? data.slice() : new Uint8Array([0]);
  out[out.length >> 1]! ^= 0x20;
  return out;
}
