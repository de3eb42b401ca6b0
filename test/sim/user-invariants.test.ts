// The per-event invariants of what users see: each must fail on the history that breaks it and
// hold on the ones that do not (restarts, a new leader keeping the commit it learned as follower).
import { describe, test } from "bun:test";
import { encodeMembership, type Entry, type Membership } from "../../src/raft/types.ts";
import type { MemberStatus } from "./member-status.ts";
import { SimDisk } from "./sim-disk.ts";
import { UserInvariants, checkOneChangeAtATime } from "./user-invariants.ts";
import { expectViolation } from "./expect-violation.ts";

const enc = new TextEncoder();
const entry = (index: number, term: number): Entry => ({ index, term, type: "normal", data: enc.encode(`e${index}`) });
const m = (voters: number[], learners: number[] = []): Membership => ({
  voters,
  learners,
  addresses: Object.fromEntries([...voters, ...learners].map((id) => [String(id), `sim-${id}`])),
});
const config = (index: number, term: number, membership: Membership): Entry => ({ index, term, type: "config", data: encodeMembership(membership) });

function diskWith(entries: Entry[], commit: number): SimDisk {
  const d = new SimDisk(1, { forgetVote: false });
  d.persist({ snapshot: null, entries, hardState: { term: entries.at(-1)?.term ?? 1, vote: 0, commit } });
  return d;
}

const status = (over: Partial<MemberStatus>): MemberStatus => ({
  role: "follower",
  leader: 0,
  term: 1,
  commit: 0,
  applied: 0,
  lastIndex: 0,
  membership: m([1, 2, 3]),
  ...over,
});

const violation = expectViolation;

describe("user-visible invariants", () => {
  const disk = diskWith([entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 3)], 4);

  test("commit and applied offsets never go back within one life; a restart begins anew", () => {
    const u = new UserInvariants();
    u.status(1, 0, "d1", status({ commit: 3, applied: 3 }), disk);
    violation("commit-monotonic", () => u.status(1, 0, "d1", status({ commit: 2, applied: 3 }), disk));
    const v = new UserInvariants();
    v.status(1, 0, "d1", status({ commit: 3, applied: 3 }), disk);
    violation("applied-monotonic", () => v.status(1, 0, "d1", status({ commit: 3, applied: 2 }), disk));
    v.status(1, 1, "d1", status({ commit: 2, applied: 1 }), disk); // the next life: from its disk again
  });

  test("a new leader keeps the commit it learned as follower, and moves it only to an entry of its term", () => {
    const u = new UserInvariants();
    u.status(1, 0, "d1", status({ role: "leader", term: 3, commit: 2 }), disk);
    u.status(1, 0, "d1", status({ role: "leader", term: 3, commit: 4 }), disk); // entry 4 is of term 3
    const v = new UserInvariants();
    v.status(1, 0, "d1", status({ role: "leader", term: 3, commit: 2 }), disk);
    violation("leader-commit-own-term", () => v.status(1, 0, "d1", status({ role: "leader", term: 3, commit: 3 }), disk));
  });

  test("membership changes one member at a time", () => {
    const bootstrap = m([1, 2, 3]);
    const one = diskWith([entry(1, 1), config(2, 1, m([1, 2, 3], [4])), config(3, 1, m([1, 2, 3, 4]))], 0);
    checkOneChangeAtATime(1, one, [one.entry(2)!, one.entry(3)!], bootstrap);
    const two = diskWith([entry(1, 1), config(2, 1, m([1, 2, 4, 5]))], 0);
    violation("membership-one-at-a-time", () => checkOneChangeAtATime(1, two, [two.entry(2)!], bootstrap));
  });
});
