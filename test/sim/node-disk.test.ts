// NodeWithDisk.durablyBinds: the wipe fault's precondition counts only bindings a disk holds for
// good — in its committed prefix or its snapshot — never one in an uncommitted tail that a later
// leader can overwrite (seeds 17237 and 66352 wiped a voter whose binding was about to vanish so).
import { expect, test } from "bun:test";
import { encodeMembership, type Entry, type Membership } from "../../src/raft/types.ts";
import { NodeWithDisk } from "./node-disk.ts";
import { SafetyChecker } from "./safety-checker.ts";
import { SimDisk } from "./sim-disk.ts";

const peers: Membership = { voters: [1, 2, 3], learners: [], addresses: { 1: "sim-1", 2: "sim-2", 3: "sim-3" } };
const bound = (ids: Record<string, string>): Membership => ({ ...peers, directoryIds: ids });
const config = (index: number, term: number, m: Membership): Entry => ({ index, term, type: "config", data: encodeMembership(m) });
const normal = (index: number, term: number): Entry => ({ index, term, type: "normal", data: new Uint8Array([index]) });

class DiskOnly extends NodeWithDisk {
  isUp(): boolean {
    return false;
  }
  start(): void {}
  crash(): void {}
}

function node(): DiskOnly {
  const disk = new SimDisk(1, { forgetVote: false });
  return new DiskOnly(1, disk, peers, new SafetyChecker(() => disk), () => {});
}

test("a binding only in the uncommitted tail does not count; once committed and flushed it does", () => {
  const n = node();
  n.disk.persist({ snapshot: null, entries: [config(1, 1, bound({ 1: "d1", 3: "d3" })), config(2, 4, bound({ 1: "d1", 2: "d2", 3: "d3" }))], hardState: { term: 4, vote: 1, commit: 1 } });
  expect(n.durablyBinds(1, "d1")).toBe(true);
  expect(n.durablyBinds(2, "d2")).toBe(false);
  n.disk.persist({ snapshot: null, entries: [], hardState: { term: 4, vote: 1, commit: 2 } });
  expect(n.durablyBinds(2, "d2")).toBe(false); // the commit alone is not flushed: a crash may take it back
  n.disk.flushedThrough(n.disk.writesMade());
  expect(n.durablyBinds(2, "d2")).toBe(true);
});

test("the seeds' sequence: the uncommitted binding is overwritten by a leader that lacks it", () => {
  const n = node();
  n.disk.persist({ snapshot: null, entries: [config(1, 1, bound({ 1: "d1", 3: "d3" })), config(2, 4, bound({ 1: "d1", 2: "d2", 3: "d3" }))], hardState: { term: 4, vote: 1, commit: 1 } });
  expect(n.durablyBinds(2, "d2")).toBe(false); // counting it here let the wipe happen
  n.disk.persist({ snapshot: null, entries: [normal(2, 5)], hardState: { term: 5, vote: 3, commit: 2 } });
  expect(n.durablyBinds(2, "d2")).toBe(false);
  expect(n.durablyBinds(3, "d3")).toBe(true);
});

test("a compacted binding counts through the snapshot's membership; a blank disk binds nothing", () => {
  const n = node();
  n.disk.persist({ snapshot: null, entries: [config(1, 1, bound({ 2: "d2" })), normal(2, 1)], hardState: { term: 1, vote: 1, commit: 2 } });
  n.disk.compact({ meta: { index: 2, term: 1, membership: bound({ 2: "d2" }) }, data: new Uint8Array([1]) });
  expect(n.durablyBinds(2, "d2")).toBe(true);
  n.wipe(peers);
  expect(n.durablyBinds(2, "d2")).toBe(false);
});

// NodeWithDisk.memberships: what the wipe fault asks of every disk (seeds 901948 and 900368).
test("a blank disk acts on its bootstrap voters; a disk with a config in its tail on that one too", () => {
  const n = node();
  expect(n.memberships().map((m) => m.voters)).toEqual([[1, 2, 3]]);
  const withFour: Membership = { ...peers, voters: [1, 2, 3, 4], addresses: { ...peers.addresses, 4: "sim-4" } };
  n.disk.persist({ snapshot: null, entries: [config(1, 1, peers), normal(2, 1), config(3, 1, withFour)], hardState: { term: 1, vote: 1, commit: 2 } });
  n.disk.flushedThrough(n.disk.writesMade());
  expect(n.memberships().map((m) => m.voters)).toEqual([
    [1, 2, 3],
    [1, 2, 3, 4],
  ]);
});
