// The original YAKt project's sample flow through its own routes: register brokers 112–114 at
// eg1.com:9092, create Topic1, create partition 1 over [112, 113, 114], then the reads.
import { expect, test } from "bun:test";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const sampleBroker = (brokerId: number) => ({
  brokerId,
  brokerHost: "eg1.com",
  brokerPort: "9092",
  securityProtocol: "PLAINTEXT",
  rackId: "rack-1",
});

test("the seed's sample requests work and answer with the original keys plus the record", async () => {
  const h = makeHarness();
  for (const id of [112, 113, 114]) {
    const registered = await send(h.app, "POST", "/register_broker", sampleBroker(id));
    expect(registered.status).toBe(200);
    expect(registered.body.message).toBe("Broker registered successfully");
    expect(registered.body.record.name).toBe("RegisterBrokerRecord");
    expect(registered.body.record.fields).toMatchObject({ ...sampleBroker(id), brokerStatus: "INIT" });
    expect(registered.body.record.timestamp).toBe("2026-11-24T00:00:00.000Z");
  }

  const active = await send(h.app, "GET", "/get_all_active_brokers");
  expect(active.status).toBe(200);
  expect([...active.body.active_brokers].sort()).toEqual([112, 113, 114]);
  expect(active.body.brokers).toHaveLength(3);

  const one = await send(h.app, "GET", "/get_broker_by_id/112");
  expect(one.status).toBe(200);
  expect(one.body).toMatchObject({ brokerId: 112, brokerHost: "eg1.com", brokerPort: "9092" });
  expect(one.body.record.fields.brokerId).toBe(112);

  const topic = await send(h.app, "POST", "/create_topic", { name: "Topic1" });
  expect(topic.status).toBe(200);
  expect(topic.body.message).toBe("Topic created successfully");
  expect(topic.body.record).toMatchObject({ name: "TopicRecord", fields: { name: "Topic1" } });
  const topicUUID = topic.body.record.fields.topicUUID;

  const partition = await send(h.app, "POST", "/create_partition", {
    partitionId: 1,
    topicUUID,
    replicas: [112, 113, 114],
    ISR: [112, 113, 114],
    leader: 112,
    removingReplicas: [],
    addingReplicas: [],
  });
  expect(partition.status).toBe(200);
  expect(partition.body.message).toBe("Partition created successfully");
  expect(partition.body.record.fields).toMatchObject({ partitionId: 1, topicUUID, replicas: [112, 113, 114], leader: "112", partitionEpoch: 0 });

  const byName = await send(h.app, "GET", "/get_topic_by_name/Topic1");
  expect(byName.status).toBe(200);
  expect(byName.body).toMatchObject({ name: "Topic1", topicUUID });
  expect(byName.body.partitions).toHaveLength(1);

  const epoch = one.body.epoch;
  const producer = await send(h.app, "POST", `/create_producer/112/${epoch}`, { producerId: 7 });
  expect(producer.status).toBe(200);
  expect(producer.body.record.fields).toEqual({ brokerId: 112, brokerEpoch: epoch, producerId: 7 });

  const updated = await send(h.app, "PUT", "/update_broker/113", { brokerHost: "eg2.com", brokerPort: 9093 });
  expect(updated.status).toBe(200);
  expect(updated.body.message).toBe("Broker with ID 113 updated successfully");
  expect(updated.body.record).toMatchObject({ name: "RegistrationChangeBrokerRecord", fields: { brokerHost: "eg2.com", brokerPort: "9093" } });

  const closed = await send(h.app, "PATCH", "/unregister_broker/114");
  expect(closed.status).toBe(200);
  expect(closed.body.record.fields.brokerStatus).toBe("CLOSED");
  expect((await send(h.app, "GET", "/get_all_active_brokers")).body.active_brokers.sort()).toEqual([112, 113]);

  const brokerMgmt = await send(h.app, "GET", "/BrokerMgmt?brokerId=112");
  expect(brokerMgmt.status).toBe(200);
  expect(brokerMgmt.body.mode).toBe("snapshot");
  expect(brokerMgmt.body.snapshot.producers).toHaveLength(1);
  const posted = await send(h.app, "POST", "/BrokerMgmt", { brokerId: 112, since: brokerMgmt.body.offset });
  expect(posted.status).toBe(200);
  expect(posted.body.message).toContain("broker 112");

  // With no parameters, as the original route answered: all the metadata, no heartbeat of anyone.
  const offsetBefore = h.handle.status().lastOffset;
  const bare = await send(h.app, "GET", "/BrokerMgmt");
  expect(bare.status).toBe(200);
  expect(bare.body.message).toBe("cluster metadata (snapshot)");
  expect(bare.body.snapshot.producers).toHaveLength(1);
  expect(h.handle.status().lastOffset).toBe(offsetBefore);
  const bareDiff = await send(h.app, "GET", `/BrokerMgmt?since=${bare.body.offset}`);
  expect(bareDiff.body).toMatchObject({ mode: "diff", records: [] });

  const clientMgmt = await send(h.app, "GET", "/ClientMgmt?since=1");
  expect(clientMgmt.status).toBe(200);
  expect(clientMgmt.body.mode).toBe("diff");
  const names = new Set(clientMgmt.body.records.map((r: { name: string }) => r.name));
  expect(names.has("ProducerIdsRecord")).toBe(false);
  expect(names.has("PartitionRecord")).toBe(true);

  const status = await send(h.app, "GET", "/status");
  expect(status.body).toEqual({ node_id: 1, state: "leader", leader: 1, term: 1 });
});

test("create_partition names its topic by name too, and the two must agree", async () => {
  const h = makeHarness();
  await h.seed();
  const topicUUID = (await send(h.app, "GET", "/get_topic_by_name/t1")).body.topicUUID;
  const base = { partitionId: 5, replicas: [1, 2], ISR: [1], leader: "1" };
  const before = await h.fingerprint();
  const mismatch = await send(h.app, "POST", "/create_partition", { ...base, topicName: "other", topicUUID });
  expect(mismatch.status).toBe(422);
  const unknown = await send(h.app, "POST", "/create_partition", { ...base, topicUUID: "no-such-uuid" });
  expect(unknown.status).toBe(404);
  expect(unknown.body.message).toContain("no-such-uuid");
  expect(await h.fingerprint()).toEqual(before);
  const byName = await send(h.app, "POST", "/create_partition", { ...base, topicName: "t1" });
  expect(byName.status).toBe(200);
  expect(byName.body.record.fields.topicUUID).toBe(topicUUID);
});

test("seed routes refuse what /v1 refuses, and write nothing", async () => {
  const h = makeHarness();
  await h.seed();
  const before = await h.fingerprint();
  expect((await send(h.app, "POST", "/register_broker", { ...sampleBroker(1) })).status).toBe(409);
  expect((await send(h.app, "POST", "/create_topic", { name: "t1" })).status).toBe(409);
  expect((await send(h.app, "GET", "/get_broker_by_id/99")).status).toBe(404);
  expect((await send(h.app, "GET", "/get_topic_by_name/nope")).status).toBe(404);
  expect((await send(h.app, "PATCH", "/unregister_broker/99")).status).toBe(404);
  expect((await send(h.app, "POST", "/create_producer/1/99", {})).status).toBe(409);
  expect(await h.fingerprint()).toEqual(before);
});

test("register_broker takes the original clients' looser bodies: numeric port, no rack, server fields ignored", async () => {
  const h = makeHarness();
  const answer = await send(h.app, "POST", "/register_broker", {
    brokerId: 200,
    brokerHost: "eg1.com",
    brokerPort: 9092,
    securityProtocol: "PLAINTEXT",
    internalUUID: "client-made-up",
    brokerStatus: "ALIVE",
    epoch: 41,
  });
  expect(answer.status).toBe(200);
  expect(answer.body.record.fields).toMatchObject({ brokerId: 200, brokerPort: "9092", rackId: "", brokerStatus: "INIT" });
  expect(answer.body.record.fields.internalUUID).not.toBe("client-made-up");
  expect(answer.body.record.fields.epoch).not.toBe(41);
});

test("the seed routes follow the controller: leader epochs in records, controlled shutdown through POST /BrokerMgmt", async () => {
  const h = makeHarness();
  await h.seed();
  for (const id of [1, 2, 3]) expect((await send(h.app, "POST", "/BrokerMgmt", { brokerId: id })).status).toBe(200);
  // A seed client may echo the server's fields back; leaderEpoch is ignored like partitionEpoch.
  const body = { topicName: "t1", partitionId: 0, replicas: [1, 2], ISR: [1, 2], leader: 1, partitionEpoch: 9, leaderEpoch: 9 };
  const created = await send(h.app, "POST", "/create_partition", body);
  expect(created.status).toBe(200);
  expect(created.body.record.fields).toMatchObject({ leader: "1", partitionEpoch: 0, leaderEpoch: 0 });

  const shutdown = await send(h.app, "POST", "/BrokerMgmt", { brokerId: 1, wantShutdown: true, since: created.body.record.offset });
  expect(shutdown.status).toBe(200);
  expect(shutdown.body.records).toContainEqual(expect.objectContaining({ name: "PartitionRecord", fields: expect.objectContaining({ leader: "2", ISR: [2], leaderEpoch: 1 }) }));
  const topic = await send(h.app, "GET", "/get_topic_by_name/t1");
  expect(topic.body.partitions[0].fields).toMatchObject({ leader: "2", leaderEpoch: 1, partitionEpoch: 1 });
});
