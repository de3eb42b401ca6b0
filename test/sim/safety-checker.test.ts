import { describe, test } from "bun:test";
import type { Entry, RaftStatus } from "../../src/raft/types.ts";
import { SafetyChecker } from "./safety-checker.ts";
import { SimDisk } from "./sim-disk.ts";
import { expectViolation } from "./expect-violation.ts";

const enc = new TextEncoder();
const entry = (index: number, term: number, text = `e${index}`): Entry => ({ index, term, type: "normal", data: enc.encode(text) });
const hs = (term: number, commit = 0, vote = 0) => ({ term, vote, commit });

const disks = new Map<number, SimDisk>();
const checker = () => new SafetyChecker((id) => disks.get(id) ?? new SimDisk(id, { forgetVote: false }));

/** A node's disk holding `entries` (registered as that node's disk for the checker). */
function disk(id: number, entries: Entry[], commit = 0, term = entries.at(-1)?.term ?? 1): SimDisk {
  const d = new SimDisk(id, { forgetVote: false });
  d.persist({ snapshot: null, entries, hardState: hs(term, commit) });
  disks.set(id, d);
  return d;
}

const violation = expectViolation;

const status = (commit: number, applied: number): RaftStatus => ({
  id: 1,
  role: "follower",
  leader: 0,
  term: 1,
  vote: 0,
  commit,
  applied,
  firstIndex: 1,
  lastIndex: commit,
  membership: { voters: [1], learners: [], addresses: {} },
  directoryId: "",
  peers: [],
});

describe("safety checker", () => {
  test("two leaders in one term", () => {
    const c = checker();
    c.leader(1, 3, disk(1, []));
    c.leader(1, 3, disk(1, [])); // the same leader again is fine
    violation("election-safety", () => c.leader(2, 3, disk(2, [])));
  });

  test("same index and term with different data", () => {
    const c = checker();
    const a = disk(1, [entry(1, 1, "x")]);
    c.persisted(1, a, [entry(1, 1, "x")], 0);
    const b = disk(2, [entry(1, 1, "y")]);
    violation("log-matching", () => c.persisted(2, b, [entry(1, 1, "y")], 0));
  });

  test("same index and term after different previous terms", () => {
    const c = checker();
    const a = disk(1, [entry(1, 1), entry(2, 3)]);
    c.persisted(1, a, [entry(1, 1), entry(2, 3)], 0);
    const b = disk(2, [entry(1, 2), entry(2, 3)]);
    violation("log-matching", () => c.persisted(2, b, [entry(1, 2), entry(2, 3)], 0));
  });

  test("a new leader missing a committed entry", () => {
    const c = checker();
    const a = disk(1, [entry(1, 1), entry(2, 1)], 2);
    c.persisted(1, a, [entry(1, 1), entry(2, 1)], 0);
    violation("leader-completeness", () => c.leader(2, 2, disk(2, [entry(1, 1)])));
  });

  test("a leader holding the committed entries passes, also when they are in its snapshot", () => {
    const c = checker();
    const a = disk(1, [entry(1, 1), entry(2, 1)], 2);
    c.persisted(1, a, [entry(1, 1), entry(2, 1)], 0);
    c.leader(1, 2, a);
    const b = disk(2, [entry(1, 1), entry(2, 1), entry(3, 2)]);
    b.compact({ meta: { index: 2, term: 1, membership: { voters: [1, 2], learners: [], addresses: {} } }, data: new Uint8Array() });
    c.leader(2, 3, b);
  });

  test("an entry seen committed in term T missing from a leader of a later term", () => {
    const c = checker();
    c.leader(2, 5, disk(2, [entry(1, 1), entry(2, 5)]));
    const a = disk(1, [entry(1, 1), entry(2, 2)], 2, 4);
    violation("leader-completeness", () => c.persisted(1, a, [], 0));
  });

  test("a leader of an older term elected late (delayed votes) need not hold what a later term committed", () => {
    const c = checker();
    c.persisted(1, disk(1, [entry(1, 1), entry(2, 3)], 2, 3), [], 0);
    c.leader(2, 2, disk(2, [entry(1, 1), entry(2, 1)]));
    violation("leader-completeness", () => c.leader(3, 4, disk(3, [entry(1, 1), entry(2, 1)])));
  });

  test("an entry seen committed in the leader's own term or later is not held against it", () => {
    const c = checker();
    c.leader(2, 3, disk(2, [entry(1, 1)]));
    c.persisted(1, disk(1, [entry(1, 1), entry(2, 2)], 2, 3), [], 0);
  });

  test("two different entries applied at one index", () => {
    const c = checker();
    c.applied(1, entry(5, 2, "a"));
    c.applied(2, entry(5, 2, "a"));
    violation("state-machine-safety", () => c.applied(3, entry(5, 3, "b")));
  });

  test("commit going down on a node, and below the persisted commit after a restart", () => {
    const c = checker();
    c.status(1, status(5, 5), 5);
    violation("commit-monotonic", () => c.status(1, status(4, 4), 4));
    c.started(2, 7);
    violation("commit-monotonic", () => c.status(2, status(6, 0), 0));
  });

  test("applied beyond committed", () => {
    const c = checker();
    violation("applied-le-committed", () => c.status(1, status(3, 4), 3));
    violation("applied-le-committed", () => c.status(2, status(3, 3), 4));
  });

  test("persisted commit beyond the persisted log, or going down", () => {
    const c = checker();
    const d = new SimDisk(1, { forgetVote: false });
    d.persist({ snapshot: null, entries: [entry(1, 1)], hardState: hs(1, 2) });
    violation("durable-commit", () => c.persisted(1, d, [entry(1, 1)], 0));
    const e = disk(2, [entry(1, 1)], 1);
    violation("commit-monotonic", () => c.persisted(2, e, [], 3));
  });
});
