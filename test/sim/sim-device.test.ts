// The simulated device under the real write planner: a torn write keeps a prefix of its entries,
// a corrupt read is caught by the checksums, an un-synced commit is lost by a crash.
import { describe, expect, test } from "bun:test";
import type { Entry } from "../../src/raft/types.ts";
import { resolveOptions } from "../../src/storage/storage-options.ts";
import { planPersist } from "../../src/storage/write-plan.ts";
import { SimDisk } from "./sim-disk.ts";

describe("simulated device", () => {
  const enc = new TextEncoder();
  const e = (index: number, term = 1): Entry => ({ index, term, type: "normal", data: enc.encode(`e${index}`) });
  const limits = resolveOptions();

  test("a torn write keeps a prefix of its entries and nothing of its hard state", () => {
    const d = new SimDisk(1, { forgetVote: false });
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 0 }, entries: [e(1)], snapshot: null }, limits), true);
    const plan = planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 1 }, entries: [e(2), e(3), e(4)], snapshot: null }, limits);
    d.tear(plan, 1);
    expect(d.lastIndex()).toBe(2);
    expect(d.hardState().commit).toBe(0);
  });

  test("a corrupt read is told apart by the checksum each entry was written with", () => {
    const d = new SimDisk(1, { forgetVote: false });
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 2 }, entries: [e(1), e(2), e(3)], snapshot: null }, limits), true);
    expect(d.read(null).badAt).toBeNull();
    const bad = d.read(2);
    expect(bad.badAt).toBe(2);
    expect(bad.state.entries[1]!.data).not.toEqual(e(2).data);
    expect(d.read(null).state.entries[1]!.data).toEqual(e(2).data); // the disk itself is intact
  });

  test("a commit written without a sync is lost by a crash; a synced one stays", () => {
    const d = new SimDisk(1, { forgetVote: false });
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 1 }, entries: [e(1), e(2)], snapshot: null }, limits), true);
    d.write(planPersist(d.view(), { hardState: { term: 1, vote: 1, commit: 2 }, entries: [], snapshot: null }, limits), false);
    expect(d.crash()).toBe(true);
    expect(d.hardState().commit).toBe(1);
  });
});
