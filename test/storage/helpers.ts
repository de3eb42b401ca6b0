// Builders shared by the storage tests: entries whose data is derived from (index, term) so a
// reader can tell a stale or misplaced entry from the right one.
import { Database } from "bun:sqlite";
import { expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry, Membership, Snapshot } from "../../src/raft/types.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { StorageError, type StorageErrorCode } from "../../src/storage/storage-error.ts";

export const MEMBERS: Membership = { voters: [1, 2, 3], learners: [], addresses: { "1": "127.0.0.1:9001" } };

export function payload(index: number, term: number): Uint8Array {
  return new TextEncoder().encode(`entry ${index} of term ${term}`);
}

export function entry(index: number, term: number): Entry {
  return { index, term, type: "normal", data: payload(index, term) };
}

/** Entries from..to inclusive, all of one term. */
export function run(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

export function snapshot(index: number, term: number, body = `state at ${index}`): Snapshot {
  return { meta: { index, term, membership: MEMBERS }, data: new TextEncoder().encode(body) };
}

/** A temporary directory per test; removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "yakt-storage-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `sql` on the database file at `path` behind any store's back (damage, old schemas). */
export function raw(path: string, sql: string): void {
  const db = new Database(path);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

/** Opening the store at `path` (waiting 20 ms at most for a lock) fails with `code`; returns the error. */
export function openFails(path: string, code: StorageErrorCode): StorageError {
  let caught: unknown;
  try {
    SqliteStorage.open(path, { busyTimeoutMs: 20 }).close();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StorageError);
  expect((caught as StorageError).code).toBe(code);
  return caught as StorageError;
}

/** A clock that moves only when told to, for snapshot creation times. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Plain arrays for comparison, whatever Uint8Array subclass a storage returns. */
export function plain(entries: Entry[]): Array<[number, number, string, number[]]> {
  return entries.map((e) => [e.index, e.term, e.type, Array.from(e.data)]);
}

import { seededRandom } from "../support/seeded-random.ts";

export { seededRandom };

/** An integer in [lo, hi]. */
export function between(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}
