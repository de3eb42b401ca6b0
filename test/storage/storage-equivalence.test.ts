// MemoryStorage stands in for SqliteStorage in the simulator, so the two must agree on every
// outcome: seeded random sequences of writes (valid and invalid) must leave both in the same
// state and fail with the same code.
import { afterAll, expect, test } from "bun:test";
import fc from "fast-check";
import { join } from "node:path";
import type { LogStorage, PersistBatch } from "../../src/storage/log-storage.ts";
import { MemoryStorage } from "../../src/storage/memory-storage.ts";
import { SqliteStorage } from "../../src/storage/sqlite-storage.ts";
import { StorageError } from "../../src/storage/storage-error.ts";
import { dump } from "./conformance.ts";
import { run, snapshot, tempDir } from "./helpers.ts";

type Op =
  | { kind: "append"; offset: number; count: number; bump: number; commitDelta: number }
  | { kind: "hardState"; bump: number; vote: number; commitDelta: number }
  | { kind: "install"; offset: number; bump: number; matchLog: boolean }
  | { kind: "save"; back: number }
  | { kind: "reopen" };

const int = (min: number, max: number) => fc.integer({ min, max });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      offset: int(-4, 1),
      count: int(1, 5),
      bump: int(-1, 1),
      commitDelta: int(-1, 4),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("hardState" as const), bump: int(-1, 1), vote: int(0, 3), commitDelta: int(-1, 4) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("install" as const), offset: int(-3, 4), bump: int(0, 1), matchLog: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("save" as const), back: int(-1, 3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reopen" as const) }) },
);

/** Turns an op into a concrete call, reading where the (memory) log stands. */
function toCall(op: Op, model: LogStorage): ((s: LogStorage) => void) | "reopen" {
  const r = model.load();
  const hs = r.hardState;
  const snapIndex = r.snapshot?.meta.index ?? 0;
  const last = r.entries.at(-1)?.index ?? snapIndex;
  const snapTerm = r.snapshot?.meta.term ?? 0;
  const termAt = (i: number) => r.entries.find((e) => e.index === i)?.term ?? (i === snapIndex ? snapTerm : 0);
  switch (op.kind) {
    case "append": {
      const term = Math.max(1, hs.term + op.bump);
      const from = Math.max(1, last + 1 + op.offset);
      const b: PersistBatch = {
        hardState: { term, vote: term === hs.term ? hs.vote : 0, commit: Math.max(0, hs.commit + op.commitDelta) },
        entries: run(from, from + op.count - 1, term),
        snapshot: null,
      };
      return (s) => s.persist(b);
    }
    case "hardState": {
      const b: PersistBatch = {
        hardState: { term: Math.max(0, hs.term + op.bump), vote: op.vote, commit: Math.max(0, hs.commit + op.commitDelta) },
        entries: [],
        snapshot: null,
      };
      return (s) => s.persist(b);
    }
    case "install": {
      const index = Math.max(1, last + op.offset);
      const term = op.matchLog && index <= last ? termAt(index) || hs.term : hs.term + op.bump;
      const b: PersistBatch = {
        hardState: { term: Math.max(term, hs.term), vote: 0, commit: Math.max(index, hs.commit) },
        entries: [],
        snapshot: snapshot(index, Math.max(1, term)),
      };
      return (s) => s.persist(b);
    }
    case "save": {
      const index = Math.max(1, hs.commit - op.back);
      const snap = snapshot(index, Math.max(1, termAt(index)));
      return (s) => s.saveSnapshot(snap);
    }
    case "reopen":
      return "reopen";
  }
}

function outcome(fn: () => void): string {
  try {
    fn();
    return "ok";
  } catch (err) {
    if (err instanceof StorageError) return err.code;
    throw err;
  }
}

const dirs: Array<{ cleanup: () => void }> = [];
afterAll(() => dirs.forEach((d) => d.cleanup()));

test("memory and sqlite storage agree on seeded random write sequences", () => {
  const opts = { now: () => 42, retainSnapshots: 2 };
  let runNo = 0;
  const seen = new Map<string, number>();
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => {
      const d = tempDir();
      dirs.push(d);
      const path = join(d.dir, `run-${runNo++}.db`);
      const mem = new MemoryStorage(opts);
      let sql = SqliteStorage.open(path, opts);
      try {
        for (const op of ops) {
          const call = toCall(op, mem);
          if (call === "reopen") {
            sql.close();
            sql = SqliteStorage.open(path, opts);
          } else {
            const [m, s] = [outcome(() => call(mem)), outcome(() => call(sql))];
            expect(s, `op ${JSON.stringify(op)}`).toBe(m);
            seen.set(m, (seen.get(m) ?? 0) + 1);
          }
          expect(dump(sql)).toEqual(dump(mem));
        }
      } finally {
        sql.close();
      }
    }),
    { seed: 20261125, numRuns: 40 },
  );
  // The generator must exercise both sides: writes that land and writes that are refused.
  expect(seen.get("ok") ?? 0).toBeGreaterThan(50);
  expect(seen.size).toBeGreaterThan(6);
});
