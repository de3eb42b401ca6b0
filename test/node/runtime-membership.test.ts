// Leadership transfer and single-server membership changes through the runtime.
import { afterEach, describe, expect, test } from "bun:test";
import { MembershipError, NotLeaderError } from "../../src/node/contracts.ts";
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
});
