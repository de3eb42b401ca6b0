// Metadata answers shared by every fetch that asks for the same one. A commit wakes every long poll
// of a fleet at once, and nearly all of them name the same `since` (the offset the last commit
// gave them), so they all want the same diff at the same offset; brokers that start together all
// want the snapshot at the same offset. Each is built once here and handed to every asker as the
// same object, so the HTTP layer can encode it once too (keyed by the object). The image at an
// offset never changes, so an answer keyed by (audience, plan, offset) is right for as long as it
// is kept. Bounded: a few recent diffs, and the newest snapshot per audience (each pins a frozen
// view of the image, so no more than one is kept).
import type { Audience } from "./frozen-image.ts";
import { invariant } from "./invariant.ts";
import type { MetadataAnswer } from "./service-types.ts";
import type { SincePlan } from "./since.ts";

/** Diff answers kept: the fleet's current `since` values (most share one, a few lag a commit). */
export const SHARED_DIFFS = 64;
export class SharedAnswers {
  private readonly diffs = new Map<string, MetadataAnswer>();
  private readonly snapshots = new Map<Audience, MetadataAnswer>();
  hits = 0;
  builds = 0;

  constructor(private readonly maxDiffs = SHARED_DIFFS) {
    invariant(Number.isSafeInteger(maxDiffs) && maxDiffs > 0, () => `bad bound on shared diffs ${maxDiffs}`);
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
    this.diffs.set(key, built);
    // Map order is insertion order: the first key is the oldest.
    if (this.diffs.size > this.maxDiffs) this.diffs.delete(this.diffs.keys().next().value as string);
    invariant(this.diffs.size <= this.maxDiffs, () => `${this.diffs.size} shared diffs kept, bound ${this.maxDiffs}`);
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
