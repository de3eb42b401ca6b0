import { expect, test } from "bun:test";
import type { Entry, Snapshot } from "../../src/raft/types.ts";
import { SimDisk } from "./sim-disk.ts";
import { SimViolation } from "./violation.ts";

const e = (index: number, term: number): Entry => ({ index, term, type: "normal", data: new Uint8Array([index]) });
const membership = { voters: [1, 2, 3], learners: [], addresses: {} };
const snap = (index: number, term: number): Snapshot => ({ meta: { index, term, membership }, data: new Uint8Array([9]) });

test("a conflicting append replaces the suffix", () => {
  const d = new SimDisk(1, { forgetVote: false });
  d.persist({ snapshot: null, entries: [e(1, 1), e(2, 1), e(3, 1)], hardState: { term: 1, vote: 2, commit: 1 } });
  d.persist({ snapshot: null, entries: [e(2, 2)], hardState: null });
  expect(d.lastIndex()).toBe(2);
  expect(d.term(2)).toBe(2);
  expect(d.restoreState()).toMatchObject({ hardState: { term: 1, vote: 2, commit: 1 }, snapshot: null, applied: 0 });
});

test("entries must start inside the persisted range and be contiguous", () => {
  const d = new SimDisk(1, { forgetVote: false });
  expect(() => d.persist({ snapshot: null, entries: [e(2, 1)], hardState: null })).toThrow(SimViolation);
  expect(() => d.persist({ snapshot: null, entries: [e(1, 1), e(3, 1)], hardState: null })).toThrow("not contiguous");
});

test("compaction keeps the suffix; an installed snapshot keeps it only when it matches", () => {
  const d = new SimDisk(1, { forgetVote: false });
  d.persist({ snapshot: null, entries: [e(1, 1), e(2, 1), e(3, 1)], hardState: null });
  d.compact(snap(2, 1));
  expect(d.restoreState()).toMatchObject({ applied: 2, entries: [e(3, 1)] });
  d.persist({ snapshot: snap(3, 2), entries: [], hardState: null });
  expect(d.lastIndex()).toBe(3);
  expect(d.restoreState().entries).toEqual([]);
  expect(() => d.compact(snap(9, 2))).toThrow("beyond the persisted log end 3");
});

test("the forgetVote bug loses the vote and nothing else", () => {
  const d = new SimDisk(1, { forgetVote: true });
  d.persist({ snapshot: null, entries: [e(1, 1)], hardState: { term: 4, vote: 3, commit: 1 } });
  expect(d.hardState()).toEqual({ term: 4, vote: 0, commit: 1 });
});

test("a crash loses a commit index written alone (not synced), and nothing a synced write carried", () => {
  const d = new SimDisk(1, { forgetVote: false });
  d.persist({ snapshot: null, entries: [e(1, 1), e(2, 1), e(3, 1)], hardState: { term: 1, vote: 1, commit: 1 } });
  d.persist({ snapshot: null, entries: [], hardState: { term: 1, vote: 1, commit: 2 } });
  d.crash();
  expect(d.hardState()).toEqual({ term: 1, vote: 1, commit: 1 });
  expect(d.lastIndex()).toBe(3);
  d.persist({ snapshot: null, entries: [], hardState: { term: 1, vote: 1, commit: 3 } });
  d.persist({ snapshot: null, entries: [e(4, 1)], hardState: null }); // synced: carries commit 3 with it
  d.crash();
  expect(d.hardState().commit).toBe(3);
  d.persist({ snapshot: null, entries: [], hardState: { term: 2, vote: 0, commit: 3 } }); // a new term is synced
  d.crash();
  expect(d.hardState()).toEqual({ term: 2, vote: 0, commit: 3 });
});
