// Runs the Applier's pending work in slices, one per macrotask, so a node installing its leader's
// snapshot of a large image, or applying a long run of committed entries (catching up after a
// restart), keeps serving (peer messages, reads, heartbeats) in between. The Applier holds what the
// slices work on (the restore, the entries waiting); this only schedules the slices, runs each
// through the runtime's guard (a snapshot that does not decode stops the node, as the one-go
// install does), and reports each slice and, once an install has replaced the state, the install
// with how long its slices held the loop.
// An install's slices also collect the young generation every INSTALL_SLICES_PER_COLLECTION slices
// and once the state is replaced: decoding leaves ~150 KB of short-lived garbage a slice (measured
// at 1M partitions), and JavaScriptCore lets young garbage grow to about the heap's size before it
// collects on its own (~230 MiB at 1M partitions); on a loaded machine, where its concurrent
// collector fell behind, a follower's RSS rose by ~250 MiB over its install (335 → 588 MiB). A
// young collection visits only what was allocated since the last one: ~1 ms of the loop's CPU. Its
// wall time is longer on a loaded machine, where the loop waits for the collector's helper threads
// (8–9 ms median, up to 60–190 ms at load 15–26): a collection that took longer than
// COLLECT_PAUSE_MS doubles the slices until the next one, so a loaded node waits for few of them.
// The install report says how many, how long in all and the longest.
import type { Applier, ApplyStep } from "./applier.ts";

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

/** A young collection that held the loop longer than this spaces the next ones out (twice the slices). */
export const COLLECT_PAUSE_MS = 20;

export interface InstallReport {
  index: number;
  bytes: number;
  slices: number;
  longestSliceMs: number;
  totalMs: number;
  /** Young collections during the install (none without a collector), their wall ms in all and the longest. */
  youngCollections: number;
  collectMs: number;
  longestCollectMs: number;
  /** Why a collection failed, if one did (the install goes on either way). */
  collectError?: string;
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
  collections: number;
  collectMs: number;
  longestCollectMs: number;
  collectError?: string;
  /** Slices between collections now, and the slice count at the last one. */
  collectEvery: number;
  collectedAt: number;
}

export class ApplySlices {
  private readonly sliceItems: number;
  private scheduled = false;
  private stopped = false;
  private current: InstallProgress | null = null;
  private readonly now: () => number;

  constructor(private readonly d: ApplySlicesDeps) {
    this.now = d.now ?? (() => performance.now());
    this.sliceItems = d.sliceItems ?? DEFAULT_INSTALL_SLICE_ITEMS;
    if (!Number.isSafeInteger(this.sliceItems) || this.sliceItems < 1) {
      throw new RangeError(`snapshot install slice must be a positive integer of items, got ${this.sliceItems}`);
    }
  }

  /** The Applier began a sliced install of this snapshot (a newer one replaces the one in progress). */
  beginInstall(index: number, bytes: number): void {
    this.current = { index, bytes, startedAt: this.now(), slices: 0, longestMs: 0, collections: 0, collectMs: 0, longestCollectMs: 0, collectEvery: INSTALL_SLICES_PER_COLLECTION, collectedAt: 0 };
    this.schedule();
  }

  /** The Applier has work left (entries over a slice's budget): run it in a later slice. */
  resume(): void {
    if (this.d.applier.pending) this.schedule();
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
    });
    if (ok && this.d.applier.pending) this.schedule();
  }

  private noteSlice(ms: number, replaced: boolean): void {
    const c = this.current;
    if (c === null) return;
    c.slices++;
    if (ms > c.longestMs) c.longestMs = ms;
    if (replaced || c.slices - c.collectedAt >= c.collectEvery) this.collectYoung(c);
    if (!replaced) return;
    this.current = null;
    const tenths = (n: number) => Math.round(n * 10) / 10;
    this.d.onReplaced({
      index: c.index,
      bytes: c.bytes,
      slices: c.slices,
      longestSliceMs: tenths(c.longestMs),
      totalMs: Math.round(this.now() - c.startedAt),
      youngCollections: c.collections,
      collectMs: tenths(c.collectMs),
      longestCollectMs: tenths(c.longestCollectMs),
      ...(c.collectError === undefined ? {} : { collectError: c.collectError }),
    });
  }

  /** A collection is no step of the install: one that fails is reported, never a reason to stop. */
  private collectYoung(c: InstallProgress): void {
    const collect = this.d.collectYoung;
    if (collect === undefined) return;
    const started = this.now();
    try {
      collect();
    } catch (error) {
      c.collectError = error instanceof Error ? error.message : String(error);
    }
    const ms = this.now() - started;
    c.collectedAt = c.slices;
    if (ms > COLLECT_PAUSE_MS) c.collectEvery *= 2;
    c.collections++;
    c.collectMs += ms;
    if (ms > c.longestCollectMs) c.longestCollectMs = ms;
  }
}
