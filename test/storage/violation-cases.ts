// Invalid writes the conformance suite throws at every storage: each must fail with its code and
// leave the store exactly as it was. They run against seed(): entries 1..4 at term 1 and 5..10
// at term 2, commit 6, term 2 with a vote for node 1.
import type { HardState } from "../../src/raft/types.ts";
import type { LogStorage, PersistBatch, StorageOptions } from "../../src/storage/log-storage.ts";
import type { StorageErrorCode } from "../../src/storage/storage-error.ts";
import { entry, run, snapshot } from "./helpers.ts";

export const hs = (term: number, vote: number, commit: number): HardState => ({ term, vote, commit });
export const batch = (b: Partial<PersistBatch>): PersistBatch => ({ hardState: null, entries: [], snapshot: null, ...b });

export function seed(s: LogStorage): void {
  s.persist(batch({ hardState: hs(1, 1, 0), entries: run(1, 4, 1) }));
  s.persist(batch({ hardState: hs(2, 1, 6), entries: run(5, 10, 2) }));
}

export interface Violation {
  name: string;
  code: StorageErrorCode;
  /** Optional extra setup after seed(). */
  setup?: (s: LogStorage) => void;
  act: (s: LogStorage) => void;
}

const bytes = (n: number) => new Uint8Array(n);

export const VIOLATIONS: Violation[] = [
  { name: "a gap after the last index", code: "log_gap", act: (s) => s.persist(batch({ entries: run(12, 13, 2) })) },
  {
    name: "a gap inside the batch",
    code: "log_gap",
    act: (s) => s.persist(batch({ entries: [entry(11, 2), entry(13, 2)] })),
  },
  {
    name: "terms going down inside the batch",
    code: "term_regression",
    act: (s) => s.persist(batch({ hardState: hs(3, 0, 6), entries: [entry(11, 3), entry(12, 2)] })),
  },
  { name: "a term below the entry before it", code: "term_regression", act: (s) => s.persist(batch({ entries: [entry(11, 1)] })) },
  {
    name: "entries at or below the snapshot",
    code: "entry_compacted",
    setup: (s) => s.saveSnapshot(snapshot(5, 2)),
    act: (s) => s.persist(batch({ entries: run(5, 6, 2) })),
  },
  {
    name: "a committed entry replaced by another term",
    code: "committed_entry_conflict",
    act: (s) => s.persist(batch({ hardState: hs(3, 0, 6), entries: run(6, 12, 3) })),
  },
  {
    name: "truncating below commit",
    code: "commit_beyond_log",
    act: (s) => s.persist(batch({ entries: run(3, 4, 1) })),
  },
  {
    name: "entries newer than the hard state's term",
    code: "entry_term_ahead",
    act: (s) => s.persist(batch({ entries: [entry(11, 3)] })),
  },
  { name: "the term going down", code: "hard_state_term_decreased", act: (s) => s.persist(batch({ hardState: hs(1, 1, 6) })) },
  { name: "a second vote in one term", code: "vote_changed", act: (s) => s.persist(batch({ hardState: hs(2, 3, 6) })) },
  { name: "the vote withdrawn in one term", code: "vote_changed", act: (s) => s.persist(batch({ hardState: hs(2, 0, 6) })) },
  { name: "commit going down", code: "commit_decreased", act: (s) => s.persist(batch({ hardState: hs(2, 1, 5) })) },
  { name: "commit past the log", code: "commit_beyond_log", act: (s) => s.persist(batch({ hardState: hs(2, 1, 11) })) },
  {
    name: "valid entries with a bad hard state (all or nothing)",
    code: "hard_state_term_decreased",
    act: (s) => s.persist(batch({ entries: run(11, 12, 2), hardState: hs(1, 1, 6) })),
  },
  {
    name: "a valid snapshot with bad entries (all or nothing)",
    code: "log_gap",
    act: (s) => s.persist(batch({ snapshot: snapshot(8, 2), entries: run(12, 12, 2) })),
  },
  {
    name: "installing a snapshot without moving commit up to it",
    code: "commit_behind_snapshot",
    act: (s) => s.persist(batch({ snapshot: snapshot(8, 2) })),
  },
  {
    name: "installing a snapshot older than the stored one",
    code: "stale_snapshot",
    setup: (s) => s.saveSnapshot(snapshot(6, 2)),
    act: (s) => s.persist(batch({ snapshot: snapshot(6, 2) })),
  },
  {
    name: "saving a snapshot older than the stored one",
    code: "stale_snapshot",
    setup: (s) => s.saveSnapshot(snapshot(6, 2)),
    act: (s) => s.saveSnapshot(snapshot(5, 2)),
  },
  { name: "saving a snapshot past commit", code: "snapshot_beyond_commit", act: (s) => s.saveSnapshot(snapshot(7, 2)) },
  { name: "saving a snapshot with the wrong term", code: "snapshot_term_mismatch", act: (s) => s.saveSnapshot(snapshot(4, 2)) },
  {
    name: "an entry of unknown type",
    code: "invalid_entry",
    act: (s) => s.persist(batch({ entries: [{ ...entry(11, 2), type: "odd" as "normal" }] })),
  },
  { name: "an entry of term 0", code: "invalid_entry", act: (s) => s.persist(batch({ entries: [entry(11, 0)] })) },
  { name: "an entry of index 0.5", code: "invalid_entry", act: (s) => s.persist(batch({ entries: [entry(0.5, 2)] })) },
  {
    name: "entry data that is not bytes",
    code: "invalid_entry",
    act: (s) => s.persist(batch({ entries: [{ ...entry(11, 2), data: "x" as unknown as Uint8Array }] })),
  },
  { name: "a negative commit", code: "invalid_hard_state", act: (s) => s.persist(batch({ hardState: hs(2, 1, -1) })) },
  {
    name: "a snapshot with a malformed membership",
    code: "invalid_snapshot",
    act: (s) => s.saveSnapshot({ ...snapshot(4, 1), meta: { index: 4, term: 1, membership: { voters: "1" } as never } }),
  },
  {
    name: "an entry over the size bound",
    code: "too_large",
    act: (s) => s.persist(batch({ entries: [{ ...entry(11, 2), data: bytes(65) }] })),
  },
  { name: "a batch over the entry bound", code: "too_large", act: (s) => s.persist(batch({ entries: run(11, 19, 2) })) },
  {
    name: "a snapshot over the size bound",
    code: "too_large",
    act: (s) => s.saveSnapshot({ ...snapshot(4, 1), data: bytes(129) }),
  },
];

/** Small bounds so the size cases stay cheap. */
export const LIMITS: StorageOptions = { maxEntryBytes: 64, maxBatchEntries: 8, maxSnapshotBytes: 128 };
