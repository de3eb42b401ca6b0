// Peer input never crashes the core: arbitrary messages are ignored or answered, never thrown on.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MESSAGE_TYPES, type Entry, type Message } from "../../src/raft/index.ts";
import { bytes, Cluster } from "./harness.ts";

const small = fc.integer({ min: 0, max: 40 });

const entry: fc.Arbitrary<Entry> = fc.record({
  index: small,
  term: fc.integer({ min: 0, max: 6 }),
  type: fc.constantFrom("normal" as const, "config" as const),
  data: fc.oneof(fc.constant(bytes('{"voters":[1,2,3],"learners":[],"addresses":{}}')), fc.uint8Array({ maxLength: 8 })),
});

const chunk = fc.record({
  meta: fc.record({
    index: small,
    term: fc.integer({ min: 0, max: 6 }),
    membership: fc.constantFrom({ voters: [1, 2, 3], learners: [], addresses: {} }, { voters: [0], learners: [], addresses: {} }),
  }),
  offset: fc.integer({ min: 0, max: 8 }),
  total: fc.integer({ min: 0, max: 8 }),
  data: fc.uint8Array({ maxLength: 8 }),
  done: fc.boolean(),
});

const message = (to: number) =>
  fc.record({
    type: fc.constantFrom(...MESSAGE_TYPES),
    from: fc.integer({ min: 0, max: 4 }),
    to: fc.constantFrom(to, to, to, 9),
    term: fc.integer({ min: 0, max: 6 }),
    logTerm: fc.integer({ min: 0, max: 6 }),
    index: small,
    entries: fc.array(entry, { maxLength: 3 }),
    commit: small,
    reject: fc.boolean(),
    rejectHint: small,
    context: fc.integer({ min: 0, max: 3 }),
    force: fc.boolean(),
    snapshot: fc.option(chunk),
  });

describe("robustness against arbitrary peer messages", () => {
  test("no message sequence makes step() throw, and commit never goes backwards", () => {
    fc.assert(
      fc.property(fc.array(message(2), { maxLength: 30 }), fc.array(message(1), { maxLength: 30 }), (toFollower, toLeader) => {
        const c = new Cluster([1, 2, 3], { seed: 4 });
        c.elect(1);
        c.propose(1, "a");
        const commits = [c.raft(1).status().commit, c.raft(2).status().commit];
        for (let i = 0; i < Math.max(toFollower.length, toLeader.length); i++) {
          if (toFollower[i]) c.raft(2).step(toFollower[i] as Message);
          if (toLeader[i]) c.raft(1).step(toLeader[i] as Message);
          for (const r of [c.raft(1), c.raft(2)]) if (r.hasReady()) r.advance(r.ready()); // nothing delivered
          const now = [c.raft(1).status().commit, c.raft(2).status().commit];
          expect(now[0]).toBeGreaterThanOrEqual(commits[0]);
          expect(now[1]).toBeGreaterThanOrEqual(commits[1]);
          commits.splice(0, 2, ...now);
        }
      }),
      { seed: 20261125, numRuns: 300 },
    );
  });
});
