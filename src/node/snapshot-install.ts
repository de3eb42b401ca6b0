// Drives a leader's snapshot into the state machine in slices, one per macrotask, so a follower
// installing a large image keeps serving (peer messages, reads of its old state, heartbeats) in
// between. The Applier holds what the slices work on (the restore, the entries committed after
// the snapshot); this only schedules the slices, runs each through the runtime's guard (a
// snapshot that does not decode stops the node, as the one-go install does), and reports each
// slice and, once the state is replaced, the install with how long its slices held the loop.
import type { Applier, InstallStep } from "./applier.ts";

/**
 * Records decoded per slice. Measured at 1M partitions on the 2-core dev machine (shared): a
 * partition record costs about 1–1.5 µs to read and load, so 2048 hold the loop ~3 ms, 2–3 times
 * that under load.
 */
export const DEFAULT_INSTALL_SLICE_ITEMS = 2048;

export interface InstallReport {
  index: number;
  bytes: number;
  slices: number;
  longestSliceMs: number;
  totalMs: number;
}

export interface SnapshotInstallDeps {
  applier: Applier;
  /** Runs `work` in a later macrotask, never inside the runtime's ready()…advance(). */
  defer: (work: () => void) => void;
  /** Runs a step of the loop; false when it threw (the runtime has then stopped the node). */
  guarded: (step: () => void) => boolean;
  /** After each slice: what it did, and the applied index before it (the runtime announces what got applied). */
  onSlice: (step: InstallStep, appliedBefore: number) => void;
  /** Once the snapshot has replaced the state. */
  onReplaced: (report: InstallReport) => void;
  sliceItems?: number;
}

export class SnapshotInstall {
  private readonly sliceItems: number;
  private scheduled = false;
  private stopped = false;
  private current: { index: number; bytes: number; startedAt: number; slices: number; longestMs: number } | null = null;

  constructor(private readonly d: SnapshotInstallDeps) {
    this.sliceItems = d.sliceItems ?? DEFAULT_INSTALL_SLICE_ITEMS;
    if (!Number.isSafeInteger(this.sliceItems) || this.sliceItems < 1) {
      throw new RangeError(`snapshot install slice must be a positive integer of items, got ${this.sliceItems}`);
    }
  }

  /** The Applier began a sliced install of this snapshot (a newer one replaces the one in progress). */
  begin(index: number, bytes: number): void {
    this.current = { index, bytes, startedAt: performance.now(), slices: 0, longestMs: 0 };
    this.schedule();
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
    if (this.stopped || this.d.applier.installingIndex === null) return;
    const started = performance.now();
    const ok = this.d.guarded(() => {
      const appliedBefore = this.d.applier.applied;
      const step = this.d.applier.stepInstall(this.sliceItems);
      this.noteSlice(performance.now() - started, step.replaced);
      this.d.onSlice(step, appliedBefore);
    });
    if (ok && this.d.applier.installingIndex !== null) this.schedule();
  }

  private noteSlice(ms: number, replaced: boolean): void {
    const c = this.current;
    if (c === null) return;
    c.slices++;
    if (ms > c.longestMs) c.longestMs = ms;
    if (!replaced) return;
    this.current = null;
    this.d.onReplaced({ index: c.index, bytes: c.bytes, slices: c.slices, longestSliceMs: Math.round(c.longestMs * 10) / 10, totalMs: Math.round(performance.now() - c.startedAt) });
  }
}
