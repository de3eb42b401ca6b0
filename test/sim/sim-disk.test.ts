// The simulated device: the log's writes, truncation and compaction, and what a crash keeps — the
// flushed writes and a prefix of the unflushed ones (a commit written alone is one of those).
import { describe, expect, test } from "bun:test";
import type { Entry, Snapshot } from "../../src/raft/types.ts";
import type { PersistBatch } from "../../src/storage/log-storage.ts";
import { resolveOptions } from "../../src/storage/storage-options.ts";
import { planPersist, planSaveSnapshot } from "../../src/storage/write-plan.ts";
import { Prng } from "./prng.ts";
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

const limits = resolveOptions();
const write = (d: SimDisk, batch: PersistBatch) => d.write(planPersist(d.view(), batch, limits));
const hs = (term: number, commit: number) => ({ term, vote: 1, commit });

test("a commit written alone is an unflushed write: a crash that loses it keeps what a synced write carried", () => {
  const d = new SimDisk(1, { forgetVote: false });
  d.persist({ snapshot: null, entries: [e(1, 1), e(2, 1), e(3, 1)], hardState: hs(1, 1) });
  d.persist({ snapshot: null, entries: [], hardState: hs(1, 2) });
  expect(d.crash(0)).toBe(1);
  expect(d.hardState()).toEqual(hs(1, 1));
  expect(d.lastIndex()).toBe(3);
  d.persist({ snapshot: null, entries: [], hardState: hs(1, 3) });
  d.persist({ snapshot: null, entries: [e(4, 1)], hardState: null }); // synced: carries commit 3 with it
  expect(d.crash(0)).toBe(0);
  expect(d.hardState().commit).toBe(3);
  d.persist({ snapshot: null, entries: [], hardState: { term: 2, vote: 0, commit: 3 } }); // a new term is synced
  expect(d.crash(0)).toBe(0);
  expect(d.hardState()).toEqual({ term: 2, vote: 0, commit: 3 });
  d.persist({ snapshot: null, entries: [], hardState: { term: 2, vote: 0, commit: 4 } });
  expect(d.crash(1)).toBe(0); // a process crash: the page cache keeps it
  expect(d.hardState().commit).toBe(4);
});

describe("unflushed writes", () => {
  /** Entries 1..3 of term 1 and commit 1, flushed. */
  function flushedDisk(): SimDisk {
    const d = new SimDisk(1, { forgetVote: false });
    write(d, { snapshot: null, entries: [e(1, 1), e(2, 1), e(3, 1)], hardState: hs(1, 1) });
    d.flushedThrough(d.writesMade());
    return d;
  }

  test("a crash keeps a prefix of the unflushed writes and loses the suffix; flushed writes stay", () => {
    for (const [keep, last, commit] of [[0, 3, 1], [1, 4, 1], [2, 5, 4], [3, 5, 5]] as const) {
      const d = flushedDisk();
      write(d, { snapshot: null, entries: [e(4, 1)], hardState: null });
      write(d, { snapshot: null, entries: [e(5, 1)], hardState: hs(1, 4) });
      write(d, { snapshot: null, entries: [], hardState: hs(1, 5) });
      expect(d.crash(keep)).toBe(3 - keep);
      expect([d.lastIndex(), d.hardState().commit]).toEqual([last, commit]);
      expect(d.restoreState().entries.map((x) => x.index)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      expect(d.crash(0)).toBe(0); // what the crash kept counts as on disk
    }
  });

  test("a flush covers only the writes made before it", () => {
    const d = flushedDisk();
    write(d, { snapshot: null, entries: [e(4, 1)], hardState: null });
    const covered = d.writesMade();
    write(d, { snapshot: null, entries: [e(5, 1)], hardState: null });
    d.flushedThrough(covered);
    expect(d.crash(0)).toBe(1);
    expect(d.lastIndex()).toBe(4);
    expect(() => d.flushedThrough(d.writesMade() + 1)).toThrow("only");
  });

  test("a lost write that truncated a conflicting suffix gives the old entries back, as they were", () => {
    const d = flushedDisk();
    const before = d.restoreState().entries;
    write(d, { snapshot: null, entries: [e(2, 2)], hardState: hs(2, 1) });
    expect([d.lastIndex(), d.term(2)]).toEqual([2, 2]);
    expect(d.unflushedFloor()).toBe(2);
    expect(d.durableHardState()).toEqual(hs(1, 1));
    d.crash(0);
    expect(d.restoreState().entries).toEqual(before);
    expect(d.hardState()).toEqual(hs(1, 1));
  });

  test("a lost snapshot write gives the compacted entries and the earlier snapshot back", () => {
    const d = flushedDisk();
    write(d, { snapshot: null, entries: [], hardState: hs(1, 3) });
    d.write(planSaveSnapshot(d.view(), snap(2, 1), limits));
    expect([d.snapshotIndex(), d.restoreState().entries.length]).toEqual([2, 1]);
    expect(d.unflushedFloor()).toBe(Infinity); // entry 3 is durable as it reads
    d.crash(0);
    expect(d.snapshot()).toBeNull();
    expect(d.restoreState()).toMatchObject({ hardState: hs(1, 1), entries: [e(1, 1), e(2, 1), e(3, 1)] });
  });

  test("a snapshot write keeps the entries it compacted at hand, as written (a pipelined runtime still applies them)", () => {
    const d = flushedDisk();
    expect(d.compactedEntry(2)).toBeUndefined();
    write(d, { snapshot: snap(5, 1), entries: [], hardState: hs(1, 5) });
    expect(d.restoreState().entries).toEqual([]);
    expect([1, 2, 3].map((i) => d.compactedEntry(i)?.data)).toEqual([e(1, 1).data, e(2, 1).data, e(3, 1).data]);
    expect(d.compactedEntry(4)).toBeUndefined();
  });

  test("entries written back as they were change nothing durable; new ones raise nothing below them", () => {
    const d = flushedDisk();
    write(d, { snapshot: null, entries: [e(2, 1), e(3, 1)], hardState: null });
    expect(d.unflushedFloor()).toBe(Infinity);
    write(d, { snapshot: null, entries: [e(3, 1), e(4, 1)], hardState: null });
    expect(d.unflushedFloor()).toBe(4);
    d.flushedThrough(d.writesMade());
    expect(d.unflushedFloor()).toBe(Infinity);
  });

  test("a drawn crash keeps all, none or some of the unflushed writes; the same device seed draws the same", () => {
    const outcomes = (seed: number) => {
      const rng = new Prng(seed);
      return Array.from({ length: 200 }, () => {
        const d = new SimDisk(1, { forgetVote: false }, rng);
        for (let i = 1; i <= 4; i++) write(d, { snapshot: null, entries: [e(i, 1)], hardState: i === 1 ? hs(1, 0) : null });
        return d.crash();
      });
    };
    const a = outcomes(7);
    expect(new Set(a)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(a.filter((lost) => lost === 0).length).toBeGreaterThan(50); // a process crash loses nothing
    expect(a.filter((lost) => lost === 4).length).toBeGreaterThan(25); // a power loss loses them all
    expect(outcomes(7)).toEqual(a);
  });

  test("flush latency: short as a rule, now and then a stall, always within bounds", () => {
    const d = new SimDisk(1, { forgetVote: false }, new Prng(3));
    const ms = Array.from({ length: 2000 }, () => d.flushLatency());
    expect(ms.every((x) => x >= 0.2 && x <= 250)).toBe(true);
    const stalls = ms.filter((x) => x >= 10).length;
    expect(stalls).toBeGreaterThan(10);
    expect(stalls).toBeLessThan(200);
  });
});
