// SharedAnswers: one answer object per (audience, plan, offset), the bound on kept diffs (oldest
// goes first), the newest snapshot per audience, and a build that does not match its plan refused.
import { describe, expect, test } from "bun:test";
import { FrozenImage } from "../../src/metadata/frozen-image.ts";
import { MetadataImage } from "../../src/metadata/image.ts";
import type { MetadataRecord } from "../../src/metadata/records.ts";
import type { MetadataAnswer } from "../../src/metadata/service-types.ts";
import { SharedAnswers } from "../../src/metadata/shared-answers.ts";

const diff = (offset: number, records = 0): MetadataAnswer => ({ mode: "diff", offset, records: Array.from({ length: records }, () => ({}) as MetadataRecord) });
const snapshot = (offset: number): MetadataAnswer => ({ mode: "snapshot", offset, image: new FrozenImage(offset, "broker", new MetadataImage().capture()) });

describe("SharedAnswers", () => {
  test("the same audience, since and offset get the object built first; any difference builds anew", () => {
    const shared = new SharedAnswers();
    let builds = 0;
    const build = (offset: number) => () => (builds++, diff(offset));
    const first = shared.answer("broker", { mode: "diff", after: 5 }, 9, build(9));
    expect(shared.answer("broker", { mode: "diff", after: 5 }, 9, build(9))).toBe(first);
    expect(builds).toBe(1);
    expect(shared.answer("client", { mode: "diff", after: 5 }, 9, build(9))).not.toBe(first);
    expect(shared.answer("broker", { mode: "diff", after: 6 }, 9, build(9))).not.toBe(first);
    expect(shared.answer("broker", { mode: "diff", after: 5 }, 10, build(10))).not.toBe(first);
    expect(builds).toBe(4);
    expect(shared.hits).toBe(1);
  });

  test("keeps at most its bound of diffs, dropping the oldest first", () => {
    const shared = new SharedAnswers(3);
    const kept = [1, 2, 3].map((after) => shared.answer("broker", { mode: "diff", after }, 9, () => diff(9)));
    shared.answer("broker", { mode: "diff", after: 4 }, 9, () => diff(9));
    expect(shared.size).toBe(3);
    // after 1 was dropped (built again), after 2 is still kept.
    expect(shared.answer("broker", { mode: "diff", after: 1 }, 9, () => diff(9))).not.toBe(kept[0]);
    expect(shared.answer("broker", { mode: "diff", after: 3 }, 9, () => diff(9))).toBe(kept[2]);
  });

  test("the kept diffs hold at most their bound of records together; a diff past it alone is not kept", () => {
    const shared = new SharedAnswers(10, 100);
    const big = shared.answer("broker", { mode: "diff", after: 1 }, 9, () => diff(9, 101));
    expect(shared.size).toBe(0);
    expect(shared.answer("broker", { mode: "diff", after: 1 }, 9, () => diff(9, 101))).not.toBe(big);
    const first = shared.answer("broker", { mode: "diff", after: 2 }, 9, () => diff(9, 60));
    const second = shared.answer("broker", { mode: "diff", after: 3 }, 9, () => diff(9, 40));
    expect(shared.size).toBe(2);
    // One more record than the bound: the oldest goes.
    shared.answer("broker", { mode: "diff", after: 4 }, 9, () => diff(9, 1));
    expect(shared.size).toBe(2);
    expect(shared.answer("broker", { mode: "diff", after: 3 }, 9, () => diff(9, 40))).toBe(second);
    expect(shared.answer("broker", { mode: "diff", after: 2 }, 9, () => diff(9, 60))).not.toBe(first);
  });

  test("keeps the newest snapshot per audience only", () => {
    const shared = new SharedAnswers();
    const plan = { mode: "snapshot", reason: "no since given" } as const;
    const at7 = shared.answer("broker", plan, 7, () => snapshot(7));
    expect(shared.answer("broker", plan, 7, () => snapshot(7))).toBe(at7);
    const at8 = shared.answer("broker", plan, 8, () => snapshot(8));
    expect(at8).not.toBe(at7);
    expect(shared.size).toBe(1);
    expect(shared.answer("broker", plan, 7, () => snapshot(7))).not.toBe(at7);
  });

  test("a build that is not what was planned, or not at the offset asked for, is a bug and is refused", () => {
    const shared = new SharedAnswers();
    expect(() => shared.answer("broker", { mode: "diff", after: 1 }, 9, () => snapshot(9))).toThrow("a diff was planned, snapshot was built");
    expect(() => shared.answer("broker", { mode: "diff", after: 1 }, 9, () => diff(8))).toThrow("answer built at offset 8 was asked for at 9");
    expect(() => new SharedAnswers(0)).toThrow("bad bound on shared diffs 0");
    expect(() => new SharedAnswers(1, 0)).toThrow("bad bound on shared diff records 0");
  });
});
