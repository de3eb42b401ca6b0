// Young-generation collections the node runs itself, paced by its work: the slices of a long job
// (a leader's snapshot installed, the node's own snapshot encoded) or the records its applies
// produced. JavaScriptCore lets young garbage grow to about the heap's size before it collects on
// its own, and on a loaded machine its concurrent collector falls behind, so work that leaves
// garbage as it goes raised the RSS by the tens or hundreds of MiB it left (issue 10). A young
// collection visits only what was allocated since the last one (~1 ms of the loop's CPU at 1M
// partitions); its wall time is longer on a loaded machine, where the loop waits for the
// collector's helper threads, so one that held the loop longer than COLLECT_PAUSE_MS doubles the
// work until the next one (a loaded node waits for few of them), and one that did not halves it
// again, down to where it began. A collection is no step of the work: one that throws is
// remembered and reported, never a reason to stop.
import { edenGC } from "bun:jsc";
import { invariant } from "./errors.ts";

/** The collection a node runs: JavaScriptCore's young generation (eden), synchronously. */
export const collectYoungGeneration = (): void => void edenGC();

/** A young collection that held the loop longer than this spaces the next ones out (twice the work). */
export const COLLECT_PAUSE_MS = 20;
/** Spacing out stops at this many times the work it began with (a node slow for good still collects, rarely). */
export const MAX_SPACING_FACTOR = 1024;

/** What a job's collections took: how many, their wall ms in all and the longest, and a failure if one failed. */
export interface CollectionReport {
  youngCollections: number;
  collectMs: number;
  longestCollectMs: number;
  collectError?: string;
}

export class YoungCollections {
  /** Work done since the last collection (slices, say). */
  private since = 0;
  private every: number;
  private readonly base: number;
  private count = 0;
  private totalMs = 0;
  private longestMs = 0;
  private failures = 0;
  private error: string | undefined;

  constructor(
    /** bun:jsc's edenGC in a node; none (tests, the simulator): nothing is collected, nothing counted. */
    private readonly collect: (() => void) | undefined,
    /** Work between two collections at first. */
    every: number,
    private readonly now: () => number,
  ) {
    if (!Number.isSafeInteger(every) || !Number.isSafeInteger(every * MAX_SPACING_FACTOR) || every < 1) throw new RangeError(`work between young collections must be a positive integer, got ${every}`);
    this.every = every;
    this.base = every;
  }

  /** `units` more work done: collects once `every` units were done since the last collection. */
  note(units = 1): void {
    if (this.add(units)) this.collectNow();
  }

  /** Whether the work done since the last collection calls for one now. */
  get due(): boolean {
    return this.since >= this.every;
  }

  /** `units` more work done, not collected for yet: true once a collection is due (collectNow() it then). */
  add(units: number): boolean {
    if (!Number.isSafeInteger(units) || units < 0) throw new RangeError(`work done must be a non-negative integer, got ${units}`);
    this.since += units;
    return this.due;
  }

  /** The job is over: what its work since the last collection left is collected too. */
  finish(): void {
    if (this.since > 0) this.collectNow();
  }

  /** Collections that threw (each still counted as a collection). */
  get failed(): number {
    return this.failures;
  }

  /** Work between collections now (doubled by each slow one). */
  get spacing(): number {
    return this.every;
  }

  report(): CollectionReport {
    const tenths = (n: number) => Math.round(n * 10) / 10;
    const r: CollectionReport = { youngCollections: this.count, collectMs: tenths(this.totalMs), longestCollectMs: tenths(this.longestMs) };
    if (this.error !== undefined) r.collectError = this.error;
    return r;
  }

  /** Collects now, whatever was done since the last collection. */
  collectNow(): void {
    this.since = 0;
    if (this.collect === undefined) return;
    const started = this.now();
    try {
      this.collect();
    } catch (error) {
      this.failures++;
      this.error = error instanceof Error ? error.message : String(error);
    }
    const ms = this.now() - started;
    this.every = ms > COLLECT_PAUSE_MS ? Math.min(this.every * 2, this.base * MAX_SPACING_FACTOR) : Math.max(this.base, this.every / 2);
    invariant(this.every >= this.base, () => `work between young collections ${this.every} fell under where it began (${this.base})`);
    invariant(this.every <= this.base * MAX_SPACING_FACTOR, () => `work between young collections ${this.every} grew past ${MAX_SPACING_FACTOR} × ${this.base}`);
    this.count++;
    this.totalMs += ms;
    if (ms > this.longestMs) this.longestMs = ms;
  }
}
