// Leadership transfer and single-server membership changes through the runtime.
import { afterEach, describe, expect, test } from "bun:test";
import { type ConsensusHandle, MembershipError, type MembershipErrorCode, NotLeaderError } from "../../src/node/contracts.ts";
import { kvCommand } from "./support/kv-state-machine.ts";
import { RuntimeCluster } from "./support/runtime-cluster.ts";
import { waitUntil } from "./support/wait-until.ts";

let cluster: RuntimeCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

describe("membership and leadership", () => {
  test("transferLeader moves leadership to the named voter", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 21 });
    const leader = await cluster.waitForLeader();
    const target = cluster.follower();
    await expect(target.runtime.transferLeader(leader.id)).rejects.toBeInstanceOf(NotLeaderError);
    await expect(leader.runtime.transferLeader(99)).rejects.toBeInstanceOf(MembershipError);
    await leader.runtime.transferLeader(target.id);
    const now = await cluster.waitForLeader();
    expect(now.id).toBe(target.id);
    const { index } = await now.runtime.propose(kvCommand("t", "1"));
    await cluster.waitApplied(index);
  });

  test("a proposal made while leadership is being handed over names the new leader instead of failing", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 23 });
    const leader = await cluster.waitForLeader();
    const target = cluster.follower();
    const transfer = leader.runtime.transferLeader(target.id); // the core is transferring from here on
    const during = leader.runtime.propose(kvCommand("x", "1"));
    const error = await during.then(() => null, (e: unknown) => e);
    await transfer;
    expect(error).toBeInstanceOf(NotLeaderError);
    expect((error as NotLeaderError).leader).toBe(target.id);
  });

  test("add a fourth voter, then remove one; writes keep committing", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 22 });
    const leader = await cluster.waitForLeader();
    await leader.runtime.propose(kvCommand("m", "1"));
    const address = cluster.reservePort(4);
    const joiner = await cluster.startNode(4, cluster.membershipOf([1, 2, 3]));
    await leader.runtime.addVoter(4, address);
    await waitUntil("node 4 in every membership", () =>
      [...cluster!.nodes.values()].every((n) => n.runtime.status().membership.voters.includes(4)));
    await expect(leader.runtime.addVoter(4, address)).rejects.toBeInstanceOf(MembershipError);
    const { index } = await leader.runtime.propose(kvCommand("m", "2"));
    await cluster.waitApplied(index);
    expect(joiner.sm.data.get("m")).toBe("2");

    const removed = [1, 2, 3].find((id) => id !== leader.id) as number;
    await leader.runtime.removeMember(removed);
    await cluster.stopNode(removed);
    expect(leader.runtime.status().membership.voters).not.toContain(removed);
    const after = await leader.runtime.propose(kvCommand("m", "3"));
    await cluster.waitApplied(after.index);
    for (const n of cluster.nodes.values()) expect(n.sm.data.get("m")).toBe("3");
  });

  test("a new voter joins as a learner first and is promoted once caught up", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 24 });
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 20; i++) await leader.runtime.propose(kvCommand(`k${i}`, "v"));
    const address = cluster.reservePort(4);
    await cluster.startNode(4, cluster.membershipOf([1, 2, 3]));
    await leader.runtime.addVoter(4, address);
    const changes = cluster.logs.filter((l) => l.includes('"membership_change_proposed"')).map((l) => JSON.parse(l).change.type);
    expect(changes).toEqual(["addLearner", "addVoter"]);
    expect(leader.runtime.status().membership).toMatchObject({ voters: [1, 2, 3, 4], learners: [] });
  });
});

async function refusal(p: Promise<void>): Promise<MembershipError> {
  const error = await p.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(MembershipError);
  return error as MembershipError;
}

function member(handle: ConsensusHandle, id: number) {
  return handle.status().members.find((m) => m.id === id);
}

describe("refused and forced membership changes", () => {
  test("a learner that never answers is never promoted; the error and the status say why; a retry promotes it", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 25, overrides: { promotionTimeoutMs: 1_000 } });
    const leader = await cluster.waitForLeader();
    const address = cluster.reservePort(4); // nothing listens there yet
    const error = await refusal(leader.runtime.addVoter(4, address));
    expect(error.code).toBe("not_caught_up");
    expect(error.message).toContain("node 4 was not promoted to voter: after 1000 ms it is never contacted (last contact: never)");
    expect(error.message).toContain(`add-voter 4@${address} retries`);
    expect(leader.runtime.status().membership).toMatchObject({ voters: [1, 2, 3], learners: [4] });
    expect(member(leader.runtime, 4)).toMatchObject({ voter: false, lastContactMs: null, promotion: "never contacted" });
    const { index } = await leader.runtime.propose(kvCommand("still", "writes"));
    await cluster.waitApplied(index);

    await cluster.startNode(4, cluster.membershipOf([1, 2, 3]));
    await leader.runtime.addVoter(4, address);
    expect(leader.runtime.status().membership).toMatchObject({ voters: [1, 2, 3, 4], learners: [] });
  });

  test("an unparsable address, a member's id or a member's address is refused and nothing is proposed", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 26 });
    const leader = await cluster.waitForLeader();
    const before = leader.runtime.status().lastOffset;
    const node1 = leader.runtime.status().membership.addresses["1"];
    const cases: [Promise<void>, MembershipErrorCode, string][] = [
      [leader.runtime.addVoter(4, "256.256.256.256:1"), "invalid_member", 'host "256.256.256.256" is not an IPv4 address'],
      [leader.runtime.addVoter(0, "127.0.0.1:1"), "invalid_member", "node id must be an integer from 1 to 2147483647, got 0"],
      [leader.runtime.addVoter(2, "127.0.0.1:1"), "member_exists", "node 2 is already a voter"],
      [leader.runtime.addVoter(6, node1), "member_exists", `address ${node1} is already node 1's`],
      [leader.runtime.removeMember(9), "not_member", "node 9 is not a member (voters: 1, 2, 3; learners: none)"],
    ];
    for (const [p, code, text] of cases) {
      const error = await refusal(p);
      expect(error.code).toBe(code);
      expect(error.message).toContain(text);
    }
    expect(leader.runtime.status().lastOffset).toBe(before);
    await expect(cluster.follower().runtime.addVoter(7, "127.0.0.1:1")).rejects.toBeInstanceOf(NotLeaderError);
  });

  test("a removal that leaves too few reachable voters is refused unless forced; forced, it commits once the voter is back", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 27, sqlite: true });
    const leader = await cluster.waitForLeader();
    const [live, down] = [1, 2, 3].filter((id) => id !== leader.id);
    await cluster.stopNode(down);
    await waitUntil("the leader notices the stopped voter", () => (member(leader.runtime, down)?.lastContactMs ?? 0) > 200);
    const error = await refusal(leader.runtime.removeMember(live));
    expect(error.code).toBe("quorum_at_risk");
    expect(error.message).toContain(`the new configuration of 2 voters [${[leader.id, down].sort().join(", ")}] needs 2 for a quorum`);
    expect(leader.runtime.status().membership.voters).toContain(live);

    const forced = leader.runtime.removeMember(live, { force: true });
    expect(leader.runtime.status().membership.voters).not.toContain(live); // effective when appended
    await cluster.restartNode(down, cluster.membershipOf([1, 2, 3]));
    // Check-quorum may depose the leader before `down` is back; the entry then commits under the
    // next leader and this wait may end with "outcome unknown": what counts is the committed config.
    await forced.catch((e: unknown) => expect((e as Error).message).toContain("outcome is unknown"));
    const remaining = [leader.id, down].sort();
    await waitUntil("the removal committed on both voters", () =>
      remaining.every((id) => {
        const s = cluster!.node(id).runtime.status();
        return s.commitOffset >= s.lastOffset && JSON.stringify([...s.membership.voters].sort()) === JSON.stringify(remaining);
      }));
    await cluster.stopNode(live); // removed: it no longer hears from the leader
    const now = await cluster.waitForLeader();
    const { index } = await now.runtime.propose(kvCommand("after", "force"));
    await waitUntil("the two voters apply", () => [leader.id, down].every((id) => cluster!.node(id).runtime.appliedIndex() >= index));
  });

  test("the last voter cannot be removed, forced or not", async () => {
    cluster = await RuntimeCluster.start({ size: 1, seed: 29 });
    const only = await cluster.waitForLeader();
    for (const force of [false, true]) {
      const error = await refusal(only.runtime.removeMember(1, { force }));
      expect(error.message).toBe("node 1 is the last voter; add another voter before removing it");
    }
    expect(only.runtime.status().membership.voters).toEqual([1]);
  });

  test("a learner keeps its address until removed; remove-voter removes a learner too", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 28, overrides: { promotionTimeoutMs: 200 } });
    const leader = await cluster.waitForLeader();
    const address = cluster.reservePort(5);
    await refusal(leader.runtime.addVoter(5, address));
    const moved = await refusal(leader.runtime.addVoter(5, "127.0.0.1:1"));
    expect(moved.code).toBe("member_exists");
    expect(moved.message).toBe(`node 5 is already a learner at ${address}; remove-voter 5 first to change its address`);
    await leader.runtime.removeMember(5);
    expect(leader.runtime.status().membership).toMatchObject({ voters: [1, 2, 3], learners: [] });
  });
});
