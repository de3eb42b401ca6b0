// POST /v1/cluster/voters and DELETE /v1/cluster/voters/:id through app.handle, over a real
// three-node cluster of runtimes (the metadata service is a local one: these routes use only the node).
import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import type { ConsensusHandle } from "../../src/node/contracts.ts";
import { createMetadataService } from "../../src/metadata/service.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { RuntimeCluster } from "../node/support/runtime-cluster.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { send } from "./support/request.ts";

let cluster: RuntimeCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

function appOn(handle: ConsensusHandle) {
  const clock = new ManualClock();
  const stateMachine = new MetadataStateMachine();
  const local = new LocalConsensus({ stateMachine, clock });
  const service = createMetadataService({ handle: local, stateMachine, clock, log: () => {} });
  return createApp({ service, handle, log: () => {} });
}

describe("membership routes", () => {
  test("refusals: 422 invalid, 409 conflicts, 404 unknown, 503 off the leader; nothing written", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 31 });
    const leader = await cluster.waitForLeader();
    const app = appOn(leader.runtime);
    const before = leader.runtime.status().lastOffset;
    const node1 = leader.runtime.status().membership.addresses["1"];
    const cases: [string, string, unknown, number, string, string][] = [
      ["POST", "/v1/cluster/voters", { id: 4, address: "256.256.256.256:1" }, 422, "invalid", "is not an IPv4 address"],
      ["POST", "/v1/cluster/voters", { id: 4, address: "no-port" }, 422, "invalid", "peer address must look like host:port"],
      ["POST", "/v1/cluster/voters", { id: 0, address: "127.0.0.1:1" }, 422, "invalid", "node id must be an integer from 1 to 2147483647, got 0"],
      ["POST", "/v1/cluster/voters", { id: 4, address: "127.0.0.1:1", extra: 1 }, 422, "invalid", ""],
      ["POST", "/v1/cluster/voters", { id: 4, address: "127.0.0.1:1", force: "yes" }, 422, "invalid", ""],
      ["POST", "/v1/cluster/voters", { id: 2, address: "127.0.0.1:1" }, 409, "member_exists", "node 2 is already a voter"],
      ["POST", "/v1/cluster/voters", { id: 6, address: node1 }, 409, "member_exists", `address ${node1} is already node 1's`],
      ["DELETE", "/v1/cluster/voters/9", undefined, 404, "not_member", "node 9 is not a member"],
      ["DELETE", "/v1/cluster/voters/9?force=true", undefined, 404, "not_member", "node 9 is not a member"],
      ["DELETE", "/v1/cluster/voters/x1", undefined, 422, "invalid", 'node id must be an integer from 1 to 2147483647, got "x1"'],
      ["DELETE", "/v1/cluster/voters/2?force=maybe", undefined, 422, "invalid", ""],
    ];
    for (const [method, path, body, status, code, text] of cases) {
      const answer = await send(app, method, path, body);
      expect({ path, body, status: answer.status, error: answer.body.error }).toEqual({ path, body, status, error: code });
      expect(answer.body.message).toContain(text);
    }
    expect(leader.runtime.status().lastOffset).toBe(before);

    const onFollower = await send(appOn(cluster.follower().runtime), "POST", "/v1/cluster/voters", { id: 4, address: "127.0.0.1:1" });
    expect(onFollower.status).toBe(503);
    expect(onFollower.body.error).toBe("not_leader");
    expect(onFollower.body.message).toContain(`leader: ${leader.id}`);
  });

  test("a node that never answers stays a learner (409 not_caught_up, shown in /v1/cluster); one that runs is added; both removable", async () => {
    cluster = await RuntimeCluster.start({ size: 3, seed: 32, overrides: { promotionTimeoutMs: 1_000 } });
    const leader = await cluster.waitForLeader();
    const app = appOn(leader.runtime);
    const dead = cluster.reservePort(5);
    const refused = await send(app, "POST", "/v1/cluster/voters", { id: 5, address: dead });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe("not_caught_up");
    expect(refused.body.message).toContain("it is never contacted");
    const view = (await send(app, "GET", "/v1/cluster")).body;
    expect(view.membership.learners).toEqual([5]);
    expect(view.members.find((m: { id: number }) => m.id === 5)).toMatchObject({ voter: false, lastContactMs: null, promotion: "never contacted" });

    const address = cluster.reservePort(4);
    await cluster.startNode(4, cluster.membershipOf([1, 2, 3]));
    const added = await send(app, "POST", "/v1/cluster/voters", { id: 4, address });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ id: 4, address, voter: true, membership: { voters: [1, 2, 3, 4], learners: [5] } });

    const removed = await send(app, "DELETE", "/v1/cluster/voters/5");
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ id: 5, removed: true, membership: { voters: [1, 2, 3, 4], learners: [] } });
    expect((await send(app, "DELETE", "/v1/cluster/voters/4?force=false")).status).toBe(200);
    expect(leader.runtime.status().membership.voters).toEqual([1, 2, 3]);
  });
});
