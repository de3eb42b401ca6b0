// The API on a follower: writes are forwarded to the leader and answered once applied here;
// without a leader every write and linearizable read is a 503 with Retry-After.
import { expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { createMetadataService } from "../../src/metadata/service.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { send } from "./support/request.ts";

function node(clock: ManualClock, nodeId: number, startAsLeader: boolean) {
  const stateMachine = new MetadataStateMachine();
  const handle = new LocalConsensus({ stateMachine, clock, nodeId, startAsLeader });
  const service = createMetadataService({ handle, stateMachine, clock, log: () => {} });
  return { handle, service, app: createApp({ service, handle, log: () => {} }) };
}

const broker = { brokerId: 5, brokerHost: "h.example", brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: "r" };

test("a follower forwards writes and serves reads", async () => {
  const clock = new ManualClock();
  const leader = node(clock, 1, true);
  const follower = node(clock, 2, false);
  follower.handle.follow(leader.handle);

  const created = await send(follower.app, "POST", "/v1/brokers", broker);
  expect(created.status).toBe(201);
  expect((await send(leader.app, "GET", "/v1/brokers/5")).status).toBe(200);
  expect((await send(follower.app, "GET", "/v1/brokers/5?consistency=stale")).body.fields.brokerId).toBe(5);
  expect((await send(follower.app, "GET", "/v1/brokers/5")).status).toBe(200);
  const cluster = await send(follower.app, "GET", "/v1/cluster");
  expect(cluster.body).toMatchObject({ nodeId: 2, role: "follower", leader: 1 });
  expect((await send(follower.app, "GET", "/status")).body).toMatchObject({ node_id: 2, state: "follower", leader: 1 });
});

test("with no leader: 503, Retry-After: 1, nothing written; stale reads still answer", async () => {
  const clock = new ManualClock();
  const leader = node(clock, 1, true);
  const follower = node(clock, 2, false);
  follower.handle.follow(leader.handle);
  expect((await send(follower.app, "POST", "/v1/brokers", broker)).status).toBe(201);
  leader.handle.stepDown(0);
  follower.handle.stepDown(0);
  const lastOffset = follower.handle.status().lastOffset;

  for (const [method, path, body] of [
    ["POST", "/v1/brokers", { ...broker, brokerId: 6 }],
    ["POST", "/v1/topics", { name: "t" }],
    ["GET", "/v1/brokers", undefined],
    ["POST", "/register_broker", { ...broker, brokerId: 7 }],
  ] as const) {
    const answer = await send(follower.app, method, path, body);
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("1");
    expect(["no_leader", "not_leader"]).toContain(answer.body.error);
  }
  expect(follower.handle.status().lastOffset).toBe(lastOffset);
  expect(leader.handle.status().lastOffset).toBe(lastOffset);
  const stale = await send(follower.app, "GET", "/v1/brokers?consistency=stale");
  expect(stale.status).toBe(200);
  expect(stale.body.brokers).toHaveLength(1);
  expect((await send(follower.app, "GET", "/healthz")).body.hasLeader).toBe(false);
});

test("a follower serves the full image: linearizable after a read barrier, or stale with no leader at all", async () => {
  const clock = new ManualClock();
  const leader = node(clock, 1, true);
  const follower = node(clock, 2, false);
  follower.handle.follow(leader.handle);
  expect((await send(follower.app, "POST", "/v1/brokers", broker)).status).toBe(201);
  expect((await send(follower.app, "POST", "/v1/topics", { name: "t", partitions: 3, replicationFactor: 1 })).status).toBe(201);
  const fromLeader = await send(leader.app, "GET", "/v1/client-mgmt/metadata");
  const fromFollower = await send(follower.app, "GET", "/v1/client-mgmt/metadata");
  expect(fromFollower.status).toBe(200);
  expect(fromFollower.text).toBe(fromLeader.text);
  expect(fromFollower.body.snapshot.partitions).toHaveLength(3);
  // BrokerMgmt on a follower: the heartbeat goes to the leader; stale then skips the read barrier.
  const brokerStale = await send(follower.app, "POST", "/v1/broker-mgmt/metadata?consistency=stale", { brokerId: 5 });
  expect(brokerStale.status).toBe(200);
  expect(brokerStale.body.offset).toBe(leader.handle.appliedIndex());
  expect((await send(follower.app, "POST", "/v1/broker-mgmt/metadata?consistency=eventual", { brokerId: 5 })).status).toBe(422);
  const latest = await send(leader.app, "GET", "/v1/client-mgmt/metadata"); // the heartbeat made the broker ALIVE

  leader.handle.stepDown(0);
  follower.handle.stepDown(0);
  const linearizable = await send(follower.app, "GET", "/v1/client-mgmt/metadata");
  expect(linearizable.status).toBe(503);
  const stale = await send(follower.app, "GET", "/v1/client-mgmt/metadata?consistency=stale");
  expect(stale.status).toBe(200);
  expect(stale.text).toBe(latest.text);
  const paged = await send(follower.app, "GET", "/v1/client-mgmt/metadata?consistency=stale&limit=2");
  expect(paged.body.snapshot.brokers).toHaveLength(1);
  expect((await send(follower.app, "GET", `/v1/client-mgmt/metadata?cursor=${paged.body.next}&limit=10`)).body.snapshot.partitions).toHaveLength(3);
});
