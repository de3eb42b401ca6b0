// What one write costs the WAL, read back from the WAL file (wal-frames.ts): a write that only moves
// the commit index writes the hard state's one page; a Ready's run of entries writes the entries'
// b-tree pages, the hard state's page and the header page (page 1: the database grew), and nothing
// else — no index, no other row per batch — in about as many pages as the entries fill plus those
// few. Every page a commit writes is two write() calls, a checksum over it and a share of the
// flush's writeback, so a change that adds pages to a write shows here before it shows as CPU.
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Entry } from "../../src/raft/types.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { tempDir } from "./helpers.ts";
import { pageOwners, walCommits, walPageSize } from "./wal-frames.ts";

/** The 64-client write row's entries: ~413 bytes of command each, ~14 of them per Ready on the leader. */
const ENTRY_BYTES = 413;
const ENTRIES_PER_READY = 14;
const PAGE_BYTES = 4096;

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** A store whose checkpoint worker does not run a round during the test, so the WAL holds every commit. */
function fresh(): { path: string; store: SqliteStorage } {
  const d = tempDir();
  const path = join(d.dir, "yakt.db");
  const store = SqliteStorage.open(path, { checkpointIntervalMs: 3_600_000 });
  store.format({ clusterId: "frames", nodeId: 1 });
  cleanups.push(d.cleanup);
  cleanups.unshift(() => store.close());
  return { path, store };
}

function readyEntries(from: number): Entry[] {
  return Array.from({ length: ENTRIES_PER_READY }, (_, k) => ({
    index: from + k,
    term: 1,
    type: "normal" as const,
    data: new Uint8Array(ENTRY_BYTES).fill(0x61 + (k % 26)),
  }));
}

/** Runs `writes`, returns the pages of the commits they added to the WAL. */
function commitsOf(path: string, writes: () => void): number[][] {
  const before = walCommits(path).length;
  writes();
  return walCommits(path).slice(before);
}

describe("WAL pages per write", () => {
  test("a new store uses 4 KiB pages (fewer or larger pages cost more CPU per write, measured)", () => {
    const { path, store } = fresh();
    store.persist({ hardState: { term: 1, vote: 1, commit: 0 }, entries: readyEntries(1), snapshot: null });
    expect(walPageSize(path)).toBe(PAGE_BYTES);
  });

  test("a write that only moves the commit index writes one page: the hard state's", () => {
    const { path, store } = fresh();
    store.persist({ hardState: { term: 1, vote: 1, commit: 0 }, entries: readyEntries(1), snapshot: null });
    const commits = commitsOf(path, () => {
      for (let commit = 1; commit <= 5; commit++) store.write({ hardState: { term: 1, vote: 1, commit }, entries: [], snapshot: null });
    });
    const owners = pageOwners(path);
    expect(commits).toHaveLength(5);
    for (const pages of commits) expect(pages.map((p) => owners.get(p))).toEqual(["hard_state"]);
  });

  test("a Ready's entries write only the entries' pages, the hard state's and the header page, about as many as they fill", () => {
    const { path, store } = fresh();
    let next = 1;
    const persistReady = () => {
      store.write({ hardState: { term: 1, vote: 1, commit: next - 1 }, entries: readyEntries(next), snapshot: null });
      next += ENTRIES_PER_READY;
    };
    // Past the first levels of the entries' b-tree, as a node's log is between snapshots.
    for (let i = 0; i < 100; i++) persistReady();
    const readies = 100;
    const commits = commitsOf(path, () => {
      for (let i = 0; i < readies; i++) persistReady();
    });
    const owners = pageOwners(path);
    expect(commits).toHaveLength(readies);
    const written = new Set(commits.flat().map((p) => owners.get(p) ?? `unowned page ${p}`));
    expect([...written].sort()).toEqual(["entries", "hard_state", "sqlite_schema"]);
    for (const pages of commits) {
      expect(pages.filter((p) => owners.get(p) === "hard_state")).toHaveLength(1);
      expect(pages.filter((p) => p !== 1 && owners.get(p) === "sqlite_schema")).toEqual([]); // only the header page of the schema
    }
    // The run's bytes fill this many pages; each commit also rewrites the leaf the last one left
    // part-full, and the b-tree's interior page, the hard state's and the header page (measured 5.4).
    const framesPerCommit = commits.flat().length / readies;
    const filled = (ENTRIES_PER_READY * ENTRY_BYTES) / PAGE_BYTES;
    expect(framesPerCommit).toBeGreaterThan(filled);
    expect(framesPerCommit).toBeLessThan(filled + 4.5);
  });
});
