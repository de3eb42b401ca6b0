import { describe, expect, test } from "bun:test";
import { MetadataError } from "../../src/metadata/errors.ts";
import { NoLeaderError } from "../../src/node/contracts.ts";
import { settle } from "../support/manual-clock.ts";
import { broker, pair, rejection, single } from "./service-fixture.ts";

const proposals = (h: { metrics(): Record<string, number> }) => h.metrics().raft_proposals_total;

describe("service writes on the leader", () => {
  test("registerBroker stamps the time and a fresh id; reads see it", async () => {
    const { service } = single();
    const rec = await service.registerBroker(broker(1));
    expect(rec).toEqual({
      type: "metadata",
      name: "RegisterBrokerRecord",
      offset: 1,
      timestamp: "2026-11-24T00:00:00.000Z",
      fields: { internalUUID: "n1-id-1", brokerId: 1, brokerHost: "h1", brokerPort: "9092", securityProtocol: "PLAINTEXT", brokerStatus: "INIT", rackId: "r1", epoch: 0 },
    });
    expect(await service.getBroker(1)).toEqual(rec);
    expect(await service.listBrokers({})).toEqual([rec]);
  });

  test("writes of one millisecond share its stamp; the next millisecond's writes get their own", async () => {
    const { service, clock } = single();
    const first = await service.registerBroker(broker(1));
    const same = await service.updateBroker(1, { brokerHost: "h1b" });
    clock.advance(1);
    const next = await service.updateBroker(1, { brokerHost: "h1c" });
    clock.advance(86_400_000 - 1);
    const nextDay = await service.updateBroker(1, { brokerHost: "h1d" });
    expect([first, same, next, nextDay].map((r) => r.timestamp)).toEqual([
      "2026-11-24T00:00:00.000Z",
      "2026-11-24T00:00:00.000Z",
      "2026-11-24T00:00:00.001Z",
      "2026-11-25T00:00:00.000Z",
    ]);
  });

  test("a rule broken up front is refused before anything is proposed", async () => {
    const { service, handle } = single();
    await service.registerBroker(broker(1));
    const before = proposals(handle);
    const err = await rejection(service.registerBroker(broker(1)));
    expect(err).toBeInstanceOf(MetadataError);
    expect(err).toMatchObject({ code: "conflict", status: 409, message: "broker 1 is already registered and INIT" });
    expect(proposals(handle)).toBe(before);
  });

  test("malformed requests are bad_request naming field and value, and write nothing", async () => {
    const { service, handle } = single();
    const cases: [Promise<unknown>, string][] = [
      [service.registerBroker({ ...broker(1), brokerId: "one" as unknown as number }), 'registerBroker: /brokerId: Expected integer (got "one")'],
      [service.registerBroker({ ...broker(1), brokerHost: "" }), "registerBroker: /brokerHost: Expected string length greater or equal to 1 (got \"\")"],
      [service.createTopic({ name: "t", replicationFactor: 1 }), "replicationFactor 1 needs partitions"],
      [service.createTopic({ name: "t", partitions: -1 }), "partitions must be at least 1, got -1"],
      [service.updateBroker(1, {}), "update of broker 1 names no field to change (brokerHost, brokerPort, securityProtocol)"],
      [service.getBroker(-1), "brokerId must be an integer from 0 to 2147483647, got -1"],
      [service.listBrokers({ status: "DEAD" as never }), 'status "DEAD" is not one of INIT, ALIVE, FENCED, UNFENCED, CLOSED'],
      [service.getTopic("t", "eventual" as never), 'consistency "eventual" is not "linearizable" or "stale"'],
    ];
    for (const [p, message] of cases) {
      const err = await rejection(p);
      expect(err).toMatchObject({ code: "bad_request", status: 400, message });
    }
    expect(proposals(handle)).toBe(0);
  });

  test("update, unregister, and their 404 / 409", async () => {
    const { service } = single();
    await service.registerBroker(broker(1));
    expect((await service.updateBroker(1, { brokerHost: "new" })).fields).toMatchObject({ brokerHost: "new", epoch: 1, brokerStatus: "INIT" });
    expect((await service.unregisterBroker(1)).fields).toMatchObject({ brokerStatus: "CLOSED", epoch: 2 });
    expect(await rejection(service.unregisterBroker(1))).toMatchObject({ code: "conflict" });
    expect(await rejection(service.updateBroker(1, { brokerPort: "1" }))).toMatchObject({ code: "conflict" });
    expect(await rejection(service.updateBroker(2, { brokerPort: "1" }))).toMatchObject({ code: "not_found", status: 404 });
    expect(await rejection(service.getBroker(2))).toMatchObject({ code: "not_found" });
    expect(await service.listBrokers({})).toEqual([]);
    expect((await service.listBrokers({ all: true })).map((b) => b.fields.brokerStatus)).toEqual(["CLOSED"]);
    expect((await service.listBrokers({ status: "CLOSED" })).length).toBe(1);
  });

  test("topics with placed partitions, explicit partitions, producers", async () => {
    const { service } = single();
    for (const id of [1, 2, 3]) await service.registerBroker(broker(id, `r${id % 2}`));
    const view = await service.createTopic({ name: "orders", partitions: 3, replicationFactor: 2 });
    expect(view.topic.fields).toEqual({ topicUUID: "n1-id-4", name: "orders" });
    expect(view.partitions.map((p) => p.fields.partitionId)).toEqual([0, 1, 2]);
    expect(await service.getTopic("orders")).toEqual(view);
    const p = await service.createPartition("orders", { partitionId: 3, replicas: [1, 2], ISR: [1], leader: "1" });
    expect(p.fields).toMatchObject({ partitionId: 3, topicUUID: "n1-id-4", addingReplicas: [], removingReplicas: [] });
    expect((await service.getTopic("orders", "stale")).partitions).toHaveLength(4);
    expect((await service.createTopic({ name: "solo", partitions: 1 })).partitions[0].fields.replicas).toHaveLength(1);
    expect((await service.listTopics()).map((t) => t.fields.name)).toEqual(["orders", "solo"]);
    expect(await rejection(service.getTopic("nope"))).toMatchObject({ code: "not_found" });
    expect(await rejection(service.createTopic({ name: "bad name" }))).toMatchObject({ code: "invalid", status: 422 });
    expect(await rejection(service.createTopic({ name: "x", partitions: 1, replicationFactor: 4 }))).toMatchObject({ code: "invalid" });
    expect((await service.registerProducer({ brokerId: 2 })).fields).toEqual({ brokerId: 2, brokerEpoch: 0, producerId: 0 });
    expect(await rejection(service.registerProducer({ brokerId: 2, producerId: 0 }))).toMatchObject({ code: "conflict" });
  });

  test("two concurrent creates of one name: exactly one succeeds, the other is a conflict at apply", async () => {
    const { service, handle } = single();
    const results = await Promise.allSettled([service.createTopic({ name: "dup" }), service.createTopic({ name: "dup" })]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ code: "conflict", message: 'topic "dup" already exists' });
    // Both passed the early check: the state machine's check at apply decided.
    expect(proposals(handle)).toBe(2);
    expect(await service.listTopics()).toHaveLength(1);
  });

  test("linearizable reads need a leader; stale reads answer at once", async () => {
    const { service, handle } = single();
    await service.registerBroker(broker(1));
    handle.stepDown();
    expect(await rejection(service.getBroker(1))).toBeInstanceOf(NoLeaderError);
    expect((await service.getBroker(1, "stale")).fields.brokerId).toBe(1);
    expect(await rejection(service.registerBroker(broker(2)))).toBeInstanceOf(NoLeaderError);
  });

  test("the event log pages whole offsets and reports its bounds", async () => {
    const { service } = single();
    await service.registerBroker(broker(1));
    await service.createTopic({ name: "t", partitions: 2 });
    await service.registerProducer({ brokerId: 1 });
    const page = await service.log(0, 2);
    expect(page).toMatchObject({ firstOffset: 1, lastOffset: 3 });
    expect(page.records.map((r) => r.name)).toEqual(["RegisterBrokerRecord"]);
    expect((await service.log(2, 100)).records.map((r) => `${r.offset}:${r.name}`)).toEqual(["2:TopicRecord", "2:PartitionRecord", "2:PartitionRecord", "3:ProducerIdsRecord"]);
    expect(await rejection(service.log(-1, 10))).toMatchObject({ code: "bad_request" });
    expect(await rejection(service.log(0, 0))).toMatchObject({ code: "bad_request" });
  });

  test("decodeSnapshot turns a stored snapshot into the image body, and refuses garbage", async () => {
    const { service, handle } = single();
    await service.registerBroker(broker(1));
    await service.createTopic({ name: "t", partitions: 1 });
    await handle.snapshotNow();
    const body = service.decodeSnapshot(handle.latestSnapshot()!.data);
    expect(body.brokers.map((b) => b.fields.brokerId)).toEqual([1]);
    expect(body.topics.map((t) => t.fields.name)).toEqual(["t"]);
    expect(body.partitions).toHaveLength(1);
    expect(() => service.decodeSnapshot(new TextEncoder().encode("{}"))).toThrow(MetadataError);
  });
});

describe("service on a follower", () => {
  test("writes are forwarded; the answer waits until the follower applied them (read-your-writes)", async () => {
    const { leader, follower } = pair();
    follower.handle.pauseReplication();
    let done = false;
    const write = follower.service.registerBroker(broker(1)).then((r) => {
      done = true;
      return r;
    });
    await settle();
    expect(done).toBe(false);
    expect(leader.sm.image().broker(1)?.fields.internalUUID).toBe("n1-id-1");
    follower.handle.resumeReplication();
    const rec = await write;
    expect(rec.fields.internalUUID).toBe("n1-id-1");
    expect(await follower.service.getBroker(1, "stale")).toEqual(rec);
  });

  test("the leader's refusals come back as the same MetadataError", async () => {
    const { follower } = pair();
    await follower.service.createTopic({ name: "a.b" });
    const err = await rejection(follower.service.createTopic({ name: "a_b" }));
    expect(err).toBeInstanceOf(MetadataError);
    expect(err).toMatchObject({ code: "conflict", status: 409 });
    expect(await rejection(follower.service.getTopic("zzz"))).toMatchObject({ code: "not_found" });
  });

  test("a malformed write fails on the follower without a round trip", async () => {
    const { follower } = pair();
    expect(await rejection(follower.service.registerBroker({ ...broker(1), brokerPort: 9092 as unknown as string }))).toMatchObject({ code: "bad_request" });
    expect(follower.handle.metrics().raft_forwards_total).toBe(0);
  });

  test("concurrent conflicting creates through both nodes: one wins on every node", async () => {
    const { leader, follower } = pair();
    const results = await Promise.allSettled([leader.service.createTopic({ name: "x" }), follower.service.createTopic({ name: "x" })]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({ code: "conflict" });
    expect(await leader.service.listTopics()).toEqual(await follower.service.listTopics());
  });

  test("with no leader a follower's write is NoLeaderError", async () => {
    const { leader, follower } = pair();
    leader.handle.stepDown();
    expect(await rejection(follower.service.registerBroker(broker(1)))).toBeInstanceOf(NoLeaderError);
  });
});

describe("replicas agree", () => {
  test("after writes through both nodes, heartbeats and fencing, both snapshots are byte-identical", async () => {
    const { leader, follower, clock } = pair();
    await leader.service.registerBroker(broker(1, "a"));
    await follower.service.registerBroker(broker(2, "b"));
    await follower.service.registerBroker(broker(3, "a"));
    await follower.service.brokerMetadata(1, {});
    await leader.service.createTopic({ name: "t", partitions: 4, replicationFactor: 2 });
    await follower.service.registerProducer({ brokerId: 2 });
    await clock.advanceAndSettle(9_000);
    await follower.service.brokerMetadata(2, { since: 1 });
    await follower.service.unregisterBroker(3);
    await settle();
    expect(new TextDecoder().decode(follower.sm.snapshot())).toBe(new TextDecoder().decode(leader.sm.snapshot()));
    expect(follower.sm.image().broker(2)?.fields.brokerStatus).toBe("UNFENCED");
    expect(follower.sm.history.after(0)).toEqual(leader.sm.history.after(0));
  });
});
