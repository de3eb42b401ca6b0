// The single-node ConsensusHandle double the API, console and metadata tests stand on.
import { describe, expect, test } from "bun:test";
import { ConsensusTimeoutError, MembershipError, NoLeaderError, NotLeaderError, type StateMachine } from "../../src/node/contracts.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { ManualClock, settle } from "../support/manual-clock.ts";

/** Sums the bytes' decimal values; snapshot = the sum as text. */
class SumMachine implements StateMachine {
  sum = 0;
  appliedAt: number[] = [];
  apply(index: number, data: Uint8Array): unknown {
    this.sum += Number(new TextDecoder().decode(data));
    this.appliedAt.push(index);
    return { sum: this.sum };
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.sum));
  }
  restore(_index: number, data: Uint8Array): void {
    this.sum = Number(new TextDecoder().decode(data));
  }
}

const bytes = (n: number) => new TextEncoder().encode(String(n));

function setup() {
  const clock = new ManualClock();
  const sm = new SumMachine();
  const handle = new LocalConsensus({ stateMachine: sm, clock });
  return { clock, sm, handle };
}

describe("LocalConsensus", () => {
  test("propose applies with increasing indexes and returns the apply result", async () => {
    const { sm, handle } = setup();
    const [a, b] = await Promise.all([handle.propose(bytes(2)), handle.propose(bytes(3))]);
    expect(a).toEqual({ index: 1, result: { sum: 2 } });
    expect(b).toEqual({ index: 2, result: { sum: 5 } });
    expect(sm.appliedAt).toEqual([1, 2]);
    expect(handle.appliedIndex()).toBe(2);
  });

  test("onApplied fires once per batch with the new applied index", async () => {
    const { handle } = setup();
    const seen: number[] = [];
    const off = handle.onApplied((i) => seen.push(i));
    await Promise.all([handle.propose(bytes(1)), handle.propose(bytes(1))]);
    await handle.propose(bytes(1));
    off();
    await handle.propose(bytes(1));
    expect(seen).toEqual([2, 3]);
  });

  test("waitApplied resolves true on apply and false when the injected clock passes the timeout", async () => {
    const { clock, handle } = setup();
    const early = handle.waitApplied(1, 1000);
    const late = handle.waitApplied(5, 1000);
    await handle.propose(bytes(1));
    expect(await early).toBe(true);
    let settled = false;
    late.then(() => (settled = true));
    await clock.advanceAndSettle(999);
    expect(settled).toBe(false);
    await clock.advanceAndSettle(1);
    expect(await late).toBe(false);
  });

  test("readBarrier resolves on the leader; a leaderless node rejects reads and writes", async () => {
    const { handle } = setup();
    await handle.readBarrier();
    handle.stepDown();
    await expect(handle.readBarrier()).rejects.toBeInstanceOf(NoLeaderError);
    await expect(handle.propose(bytes(1))).rejects.toBeInstanceOf(NoLeaderError);
    await expect(handle.forwardToLeader(bytes(1))).rejects.toBeInstanceOf(NoLeaderError);
  });

  test("role changes are reported with the new term", () => {
    const { handle } = setup();
    const roles: string[] = [];
    handle.onRoleChange((role, leader, term) => roles.push(`${role}/${leader}/${term}`));
    handle.stepDown(7);
    handle.becomeLeader();
    expect(roles).toEqual(["follower/7/1", "leader/1/2"]);
  });

  test("forwardToLeader calls the registered handler on the leader itself", async () => {
    const { handle } = setup();
    handle.onForward(async (payload, from) => new TextEncoder().encode(`${from}:${new TextDecoder().decode(payload)}`));
    const reply = await handle.forwardToLeader(new TextEncoder().encode("hi"));
    expect(new TextDecoder().decode(reply)).toBe("1:hi");
  });

  test("snapshotNow keeps snapshots and compacts the log", async () => {
    const { handle } = setup();
    await handle.propose(bytes(4));
    await handle.propose(bytes(5));
    const meta = await handle.snapshotNow();
    expect(meta.index).toBe(2);
    expect(meta.term).toBe(1);
    expect(handle.firstIndex()).toBe(3);
    expect(handle.listSnapshots()).toEqual([meta]);
    expect(new TextDecoder().decode(handle.latestSnapshot()!.data)).toBe("9");
  });

  test("status is plausible for one node", async () => {
    const { handle } = setup();
    await handle.propose(bytes(1));
    const s = handle.status();
    expect(s).toMatchObject({ nodeId: 1, role: "leader", leader: 1, term: 1, commitOffset: 1, appliedOffset: 1, lastOffset: 1 });
    expect(s.membership.voters).toEqual([1]);
    expect(s.members).toEqual([{ id: 1, address: "127.0.0.1:9091", voter: true, logEndOffset: 1, lag: 0, lastContactMs: 0, promotion: null, directoryId: "" }]);
  });

  test("membership operations reject with MembershipError", async () => {
    const { handle } = setup();
    await expect(handle.transferLeader(2)).rejects.toBeInstanceOf(MembershipError);
    await expect(handle.addVoter(2, "127.0.0.1:1")).rejects.toBeInstanceOf(MembershipError);
    await expect(handle.addLearner(2, "127.0.0.1:1")).rejects.toBeInstanceOf(MembershipError);
    await expect(handle.removeMember(1)).rejects.toBeInstanceOf(MembershipError);
  });

  test("a linked follower forwards to the leader, replicates, installs a snapshot when behind compaction", async () => {
    const { clock, handle: leader } = setup();
    await leader.propose(bytes(10));
    await leader.snapshotNow();
    await leader.propose(bytes(1));
    const sm2 = new SumMachine();
    const follower = new LocalConsensus({ stateMachine: sm2, clock, nodeId: 2, startAsLeader: false });
    follower.follow(leader);
    expect(sm2.sum).toBe(11);
    expect(follower.appliedIndex()).toBe(2);
    await expect(follower.propose(bytes(1))).rejects.toBeInstanceOf(NotLeaderError);

    leader.onForward(async (payload, from) => {
      const { index } = await leader.propose(payload);
      return new TextEncoder().encode(`${from}@${index}`);
    });
    follower.pauseReplication();
    const reply = new TextDecoder().decode(await follower.forwardToLeader(bytes(5)));
    expect(reply).toBe("2@3");
    expect(sm2.sum).toBe(11);
    const barrier = follower.readBarrier();
    follower.resumeReplication();
    await barrier;
    expect(sm2.sum).toBe(16);
    await settle();
  });

  test("a follower's read barrier times out on the injected clock when replication is held", async () => {
    const { clock, handle: leader } = setup();
    const follower = new LocalConsensus({ stateMachine: new SumMachine(), clock, nodeId: 2, startAsLeader: false, readTimeoutMs: 100 });
    follower.follow(leader);
    follower.pauseReplication();
    await leader.propose(bytes(1));
    const outcome = follower.readBarrier().then(
      () => "resolved",
      (e: unknown) => e,
    );
    await clock.advanceAndSettle(100);
    expect(await outcome).toBeInstanceOf(ConsensusTimeoutError);
  });
});
