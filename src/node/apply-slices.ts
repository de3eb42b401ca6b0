// Runs the Applier's pending work in slices, one per macrotask, so a node installing its leader's
// snapshot of a large image, or applying a long run of committed entries (catching up after a
// restart), keeps serving (peer messages, reads, heartbeats) in between. The Applier holds what the
// slices work on (the restore, the entries waiting); this only schedules the slices, runs each
// through the runtime's guard (a snapshot that does not decode stops the node, as the one-go
// install does), and reports each slice and, once an install has replaced the state, the install
// with how long its slices held the loop.
// An install's slices also collect the young generation every INSTALL_SLICES_PER_COLLECTION slices
// and once the state is replaced (young-collections.ts, which paces them and spaces them out on a
// loaded machine): decoding leaves ~150 KB of short-lived garbage a slice (measured at 1M
// partitions); without them, on a loaded machine, a follower's RSS rose by ~250 MiB over its
// install (335 → 588 MiB). The install report says how many, how long in all and the longest.
// Entries applied (a Ready's, or a slice's) are collected for too, by the records they produced:
// once RECORDS_PER_COLLECTION have been, a young collection runs right after those entries are
// applied and their waiters told. A topic creation of 100 partitions leaves garbage on every node
// (its command, its records' JSON, on the leader its request and answer), which JavaScriptCore let
// grow to about the heap's size before collecting it: RSS during a 1M-partition fill rose 140–230
// MiB over the live heap. Only while the node leads (collectsApplies): see that option.
import type { Applier, ApplyStep } from "./applier.ts";
import { type CollectionReport, YoungCollections } from "./young-collections.ts";

/**
 * Records decoded per slice. Measured at 1M partitions on the 2-core dev machine (shared): a
 * partition record costs about 1–1.5 µs to read and load, so 2048 hold the loop ~3 ms, 2–3 times
 * that under load.
 */
export const DEFAULT_INSTALL_SLICE_ITEMS = 2048;

/**
 * Install slices between two young collections: ~2–3 MiB of garbage at 1M partitions. In-process
 * (scripts/bench/install-young.ts), collecting every 16 slices lowered the install's RSS peak from
 * +78 to +45 MiB over the RSS it started from; every 4 slices gave little more for four times the
 * collections.
 */
export const INSTALL_SLICES_PER_COLLECTION = 16;

/**
 * Records applied between two young collections outside an install: 300 topic creations of 100
 * partitions (a 1M-partition fill makes ~33 per node; on the loaded machine the longest held the
 * loop 24–177 ms, the loop waiting for the collector's helper threads), or 30,000 one-record
 * writes at a steady load (one collection every few seconds at the cluster's peak rate).
 */
export const RECORDS_PER_COLLECTION = 30_000;

/** An install's slices, and its young collections (none without a collector; a failed one said, the install goes on). */
export interface InstallReport extends CollectionReport {
  index: number;
  bytes: number;
  slices: number;
  longestSliceMs: number;
  totalMs: number;
}

export interface ApplySlicesDeps {
  applier: Applier;
  /** Runs `work` in a later macrotask, never inside the runtime's ready()…advance(). */
  defer: (work: () => void) => void;
  /** Runs a step of the loop; false when it threw (the runtime has then stopped the node). */
  guarded: (step: () => void) => boolean;
  /** After each slice: what it did, and the applied index before it (the runtime announces what got applied). */
  onSlice: (step: ApplyStep, appliedBefore: number) => void;
  /** Once the snapshot has replaced the state. */
  onReplaced: (report: InstallReport) => void;
  sliceItems?: number;
  /** Collects the young generation (bun:jsc's edenGC in a node); none: no collection. */
  collectYoung?: () => void;
  /** The state machine's running count of records applied (StateMachine.recordsApplied); none: applies are not collected for. */
  recordsApplied?: () => number;
  /**
   * Whether this node's applies are collected for now (the runtime: while it leads); default always.
   * A leader's applies come with the garbage of parsing the writes and building their answers, and
   * its RSS was the highest of a filling cluster; a follower's stayed at ~400–415 MiB at 1M without
   * collections, and its forced ones met a concurrent full collection now and then (one node in
   * three of five quiet 1M fills paused 101–121 ms, never with followers left alone).
   */
  collectsApplies?: () => boolean;
  /** The clock slices and collections are timed with; default performance.now. */
  now?: () => number;
}

/** The install in progress: what it is and what its slices and collections took. */
interface InstallProgress {
  index: number;
  bytes: number;
  startedAt: number;
  slices: number;
  longestMs: number;
  young: YoungCollections;
}

export class ApplySlices {
  private readonly sliceItems: number;
  private scheduled = false;
  private stopped = false;
  private current: InstallProgress | null = null;
  private readonly now: () => number;
  /** Collections paced by the records applied, and the count they were last told of. */
  private readonly applies: YoungCollections;
  private recordsSeen: number;

  constructor(private readonly d: ApplySlicesDeps) {
    this.now = d.now ?? (() => performance.now());
    this.sliceItems = d.sliceItems ?? DEFAULT_INSTALL_SLICE_ITEMS;
    if (!Number.isSafeInteger(this.sliceItems) || this.sliceItems < 1) {
      throw new RangeError(`snapshot install slice must be a positive integer of items, got ${this.sliceItems}`);
    }
    this.applies = new YoungCollections(d.collectYoung, RECORDS_PER_COLLECTION, this.now);
    this.recordsSeen = d.recordsApplied?.() ?? 0;
  }

  /** The Applier began a sliced install of this snapshot (a newer one replaces the one in progress). */
  beginInstall(index: number, bytes: number): void {
    const young = new YoungCollections(this.d.collectYoung, INSTALL_SLICES_PER_COLLECTION, this.now);
    this.current = { index, bytes, startedAt: this.now(), slices: 0, longestMs: 0, young };
    this.schedule();
  }

  /** Entries were applied (a Ready's): work left (entries over a slice's budget) runs in a later slice. */
  resume(): void {
    this.noteApplied();
    if (this.d.applier.pending) this.schedule();
  }

  /** Young collections the applies made so far (apply-paced, not an install's). */
  appliesReport(): CollectionReport {
    return this.applies.report();
  }

  /** The applies' collections as /metrics counters. */
  metrics(): Record<string, number> {
    const r = this.applies.report();
    return {
      yakt_apply_young_collections_total: r.youngCollections,
      yakt_apply_young_collect_ms_total: r.collectMs,
      yakt_apply_young_collect_ms_max: r.longestCollectMs,
    };
  }

  /**
   * Once the records applied since the last collection add up, one runs now: the runtime calls
   * this after a Ready's entries are applied and their waiters told, before the answers are built
   * (in the microtasks after this macrotask). Run in a later macrotask instead, the collection met
   * the leader's answers in flight (their records' JSON, their bodies) and moved them into the old
   * generation, which only a full collection frees: the leader's heap rose by ~100 MiB over a
   * 1M-partition fill.
   */
  private noteApplied(): void {
    const records = this.d.recordsApplied?.();
    if (records === undefined || this.d.collectYoung === undefined) return;
    const added = Math.max(0, records - this.recordsSeen);
    this.recordsSeen = records;
    if (this.d.collectsApplies?.() === false) return;
    if (this.applies.add(added) && !this.stopped) this.applies.collectNow();
  }

  stop(): void {
    this.stopped = true;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.d.defer(() => this.slice());
  }

  private slice(): void {
    this.scheduled = false;
    if (this.stopped || !this.d.applier.pending) return;
    const started = this.now();
    const ok = this.d.guarded(() => {
      const appliedBefore = this.d.applier.applied;
      const step = this.d.applier.step(this.sliceItems);
      this.noteSlice(this.now() - started, step.replaced);
      this.d.onSlice(step, appliedBefore);
      this.noteApplied();
    });
    if (ok && this.d.applier.pending) this.schedule();
  }

  private noteSlice(ms: number, replaced: boolean): void {
    const c = this.current;
    if (c === null) return;
    c.slices++;
    if (ms > c.longestMs) c.longestMs = ms;
    c.young.note();
    if (!replaced) return;
    c.young.finish();
    this.current = null;
    this.d.onReplaced({
      index: c.index,
      bytes: c.bytes,
      slices: c.slices,
      longestSliceMs: Math.round(c.longestMs * 10) / 10,
      totalMs: Math.round(this.now() - c.startedAt),
      ...c.young.report(),
    });
  }
}
