// Metadata answers shared by every fetch that asks for the same one. A commit wakes every long poll
// of a fleet at once, and nearly all of them name the same `since` (the offset the last commit
// gave them), so they all want the same diff at the same offset; brokers that start together all
// want the snapshot at the same offset. Each is built once here and handed to every asker as the
// same object, so the HTTP layer can encode it once too (keyed by the object). The image at an
// offset never changes, so an answer keyed by (audience, plan, offset) is right for as long as it
// is kept. Bounded: a few recent diffs holding at most SHARED_DIFF_RECORDS records together (a
// larger diff is built for each asker, as before), and the newest snapshot per audience (each pins
// a frozen view of the image, so no more than one is kept).
import type { Audience } from "./frozen-image.ts";
import { invariant } from "./invariant.ts";
import type { MetadataAnswer } from "./service-types.ts";
import type { SincePlan } from "./since.ts";

/** Diff answers kept: the fleet's current `since` values (most share one, a few lag a commit). */
export const SHARED_DIFFS = 64;
/** Records the kept diffs hold together: what an encoded copy of each costs is bounded by it too. */
export const SHARED_DIFF_RECORDS = 20_000;
export class SharedAnswers {
  private readonly diffs = new Map<string, MetadataAnswer & { mode: "diff" }>();
  private diffRecords = 0;
  private readonly snapshots = new Map<Audience, MetadataAnswer>();
  hits = 0;
  builds = 0;

  constructor(
    private readonly maxDiffs = SHARED_DIFFS,
    private readonly maxDiffRecords = SHARED_DIFF_RECORDS,
  ) {
    invariant(Number.isSafeInteger(maxDiffs) && maxDiffs > 0, () => `bad bound on shared diffs ${maxDiffs}`);
    invariant(Number.isSafeInteger(maxDiffRecords) && maxDiffRecords > 0, () => `bad bound on shared diff records ${maxDiffRecords}`);
  }

  /** The answer for this audience, plan and offset: the kept one, or `build()`'s, kept from now on. */
  answer(audience: Audience, plan: SincePlan, offset: number, build: () => MetadataAnswer): MetadataAnswer {
    if (plan.mode === "snapshot") return this.snapshot(audience, offset, build);
    const key = `${audience}:${plan.after}:${offset}`;
    const kept = this.diffs.get(key);
    if (kept !== undefined) {
      this.hits++;
      return kept;
    }
    const built = this.built(build, "diff", offset);
    if (built.mode !== "diff" || built.records.length > this.maxDiffRecords) return built;
    this.diffs.set(key, built);
    this.diffRecords += built.records.length;
    // Map order is insertion order: the first key is the oldest.
    for (const [oldest, answer] of this.diffs) {
      if (this.diffs.size <= this.maxDiffs && this.diffRecords <= this.maxDiffRecords) break;
      this.diffs.delete(oldest);
      this.diffRecords -= answer.records.length;
    }
    invariant(this.diffs.size <= this.maxDiffs, () => `${this.diffs.size} shared diffs kept, bound ${this.maxDiffs}`);
    invariant(this.diffRecords <= this.maxDiffRecords, () => `shared diffs hold ${this.diffRecords} records, bound ${this.maxDiffRecords}`);
    return built;
  }

  get size(): number {
    return this.diffs.size + this.snapshots.size;
  }

  private snapshot(audience: Audience, offset: number, build: () => MetadataAnswer): MetadataAnswer {
    const kept = this.snapshots.get(audience);
    if (kept !== undefined && kept.offset === offset) {
      this.hits++;
      return kept;
    }
    const built = this.built(build, "snapshot", offset);
    this.snapshots.set(audience, built);
    return built;
  }

  private built(build: () => MetadataAnswer, mode: MetadataAnswer["mode"], offset: number): MetadataAnswer {
    this.builds++;
    const answer = build();
    invariant(answer.mode === mode, () => `a ${mode} was planned, ${answer.mode} was built`);
    invariant(answer.offset === offset, () => `answer built at offset ${answer.offset} was asked for at ${offset}`);
    return answer;
  }
}
