// The twelve endpoints and the extra ones, happy paths, through the typed Eden client over the
// real metadata service on the in-process consensus double.
import { expect, test } from "bun:test";
import { treaty } from "@elysiajs/eden";
import { settle } from "../support/manual-clock.ts";
import { makeHarness } from "./support/harness.ts";

/** The metadata routes answer with a streamed Response, which Eden parses but cannot type. */
type Answer =
  | { mode: "diff"; offset: number; records: { name: string; offset: number }[] }
  | { mode: "snapshot"; offset: number; snapshot: { producers: unknown[] } };
const answerOf = (data: unknown) => data as Answer;

const broker = (brokerId: number, rackId = "r1") => ({ brokerId, brokerHost: `b${brokerId}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId });

test("brokers: register, list, read, update, unregister", async () => {
  const h = makeHarness();
  const api = treaty(h.app);
  for (const id of [1, 2, 3]) {
    const { status, data } = await api.v1.brokers.post(broker(id));
    expect(status).toBe(201);
    expect(data?.name).toBe("RegisterBrokerRecord");
    expect(data?.fields).toMatchObject({ ...broker(id), brokerStatus: "INIT" });
    expect(data?.fields.internalUUID).toBeString();
    // Eden turns ISO strings into Dates; the raw JSON is checked in seed-compat.test.ts.
    expect(new Date(data?.timestamp ?? "").toISOString()).toBe("2026-11-24T00:00:00.000Z");
  }
  const listed = await api.v1.brokers.get({ query: {} });
  expect(listed.status).toBe(200);
  expect(listed.data?.brokers.map((b) => b.fields.brokerId).sort()).toEqual([1, 2, 3]);
  const stale = await api.v1.brokers.get({ query: { consistency: "stale", status: "INIT" } });
  expect(stale.data?.brokers).toHaveLength(3);

  const one = await api.v1.brokers({ brokerId: "2" }).get({ query: {} });
  expect(one.status).toBe(200);
  expect(one.data?.fields.brokerId).toBe(2);
  const epoch = one.data?.fields.epoch ?? -1;

  const updated = await api.v1.brokers({ brokerId: "2" }).put({ brokerHost: "moved.example" });
  expect(updated.status).toBe(200);
  expect(updated.data?.name).toBe("RegistrationChangeBrokerRecord");
  expect(updated.data?.fields).toMatchObject({ brokerId: 2, brokerHost: "moved.example", epoch: epoch + 1 });

  const removed = await api.v1.brokers({ brokerId: "3" }).delete();
  expect(removed.status).toBe(200);
  expect(removed.data).toMatchObject({ brokerId: 3, brokerStatus: "CLOSED" });
  const active = await api.v1.brokers.get({ query: {} });
  expect(active.data?.brokers.map((b) => b.fields.brokerId).sort()).toEqual([1, 2]);
  const all = await api.v1.brokers.get({ query: { all: "true" } });
  expect(all.data?.brokers.map((b) => b.fields.brokerId).sort()).toEqual([1, 2, 3]);
});

test("topics and partitions: create (with placement), list, read, add a partition", async () => {
  const h = makeHarness();
  const api = treaty(h.app);
  for (const [id, rack] of [[1, "a"], [2, "b"], [3, "c"]] as const) await api.v1.brokers.post(broker(id, rack));

  const plain = await api.v1.topics.post({ name: "orders" });
  expect(plain.status).toBe(201);
  expect(plain.data?.topic).toMatchObject({ name: "TopicRecord", fields: { name: "orders" } });
  expect(plain.data?.partitions).toEqual([]);

  const placed = await api.v1.topics.post({ name: "events", partitions: 3, replicationFactor: 2 });
  expect(placed.status).toBe(201);
  expect(placed.data?.partitions).toHaveLength(3);
  for (const p of placed.data?.partitions ?? []) {
    expect(p.fields.replicas).toHaveLength(2);
    expect(p.fields.topicUUID).toBe(placed.data?.topic.fields.topicUUID ?? "");
  }

  const topics = await api.v1.topics.get({ query: {} });
  expect(topics.data?.topics.map((t) => t.fields.name).sort()).toEqual(["events", "orders"]);

  const created = await api.v1.topics({ name: "orders" }).partitions.post({ partitionId: 0, replicas: [1, 2, 3], ISR: [1, 2], leader: "1" });
  expect(created.status).toBe(201);
  const one = created.data && "fields" in created.data ? created.data.fields : null;
  expect(one).toMatchObject({ partitionId: 0, replicas: [1, 2, 3], ISR: [1, 2], leader: "1", partitionEpoch: 0, leaderEpoch: 0, removingReplicas: [], addingReplicas: [] });

  const read = await api.v1.topics({ name: "orders" }).get({ query: { consistency: "stale" } });
  expect(read.status).toBe(200);
  expect(read.data?.partitions).toHaveLength(1);
});

test("producers, BrokerMgmt and ClientMgmt: snapshot without since, diff after", async () => {
  const h = makeHarness();
  const api = treaty(h.app);
  await api.v1.brokers.post(broker(1));
  const producer = await api.v1.producers.post({ brokerId: 1 });
  expect(producer.status).toBe(201);
  expect(producer.data?.fields).toMatchObject({ brokerId: 1 });
  expect(producer.data?.fields.producerId).toBeNumber();

  const first = await api.v1["broker-mgmt"].metadata.post({ brokerId: 1 });
  expect(first.status).toBe(200);
  expect(answerOf(first.data).mode).toBe("snapshot");
  const offset = answerOf(first.data).offset;
  await api.v1.topics.post({ name: "later" });

  const diff = answerOf((await api.v1["broker-mgmt"].metadata.post({ brokerId: 1, since: offset })).data);
  expect(diff.mode).toBe("diff");
  if (diff.mode === "diff") {
    expect(diff.records.map((r) => r.name)).toContain("TopicRecord");
    expect(diff.records.every((r) => r.offset > offset)).toBe(true);
  }

  const clientReply = await api.v1["client-mgmt"].metadata.get({ query: { since: "1" } });
  expect(clientReply.status).toBe(200);
  const client = answerOf(clientReply.data);
  expect(client.mode).toBe("diff");
  if (client.mode === "diff") expect(client.records.some((r) => r.name === "ProducerIdsRecord")).toBe(false);
  const snapshot = answerOf((await api.v1["client-mgmt"].metadata.get({ query: {} })).data);
  expect(snapshot.mode).toBe("snapshot");
  if (snapshot.mode === "snapshot") expect(snapshot.snapshot.producers).toEqual([]);
});

test("ClientMgmt long poll: with nothing new it is answered by the next commit", async () => {
  const h = makeHarness();
  const api = treaty(h.app);
  await api.v1.brokers.post(broker(1));
  const now = (await api.v1.cluster.get()).data?.commitOffset ?? -1;
  let answered = false;
  const polling = api.v1["client-mgmt"].metadata.get({ query: { since: String(now), wait_ms: "30000" } }).finally(() => {
    answered = true;
  });
  await settle(20);
  expect(answered).toBe(false); // parked: nothing new yet, and the manual clock has not moved
  await api.v1.topics.post({ name: "wake-up" });
  const reply = await polling;
  expect(reply.status).toBe(200);
  const answer = answerOf(reply.data);
  expect(answer.mode).toBe("diff");
  if (answer.mode === "diff") expect(answer.records.map((r) => r.name)).toEqual(["TopicRecord"]);
});

test("ClientMgmt long poll: with nothing committed it ends at wait_ms with an empty diff", async () => {
  const h = makeHarness();
  const api = treaty(h.app);
  await api.v1.brokers.post(broker(1));
  const now = (await api.v1.cluster.get()).data?.commitOffset ?? -1;
  const polling = api.v1["client-mgmt"].metadata.get({ query: { since: String(now), wait_ms: "5000" } });
  await settle(20);
  await h.clock.advanceAndSettle(5000);
  const answer = await polling;
  expect(answer.status).toBe(200);
  expect(answer.data).toMatchObject({ mode: "diff", offset: now, records: [] });
});

test("cluster, log, snapshots, health", async () => {
  const h = makeHarness();
  const api = treaty(h.app);
  for (const id of [1, 2]) await api.v1.brokers.post(broker(id));
  await api.v1.topics.post({ name: "t" });

  const cluster = await api.v1.cluster.get();
  expect(cluster.data).toMatchObject({ nodeId: 1, role: "leader", leader: 1, term: 1 });
  expect(cluster.data?.members[0]).toMatchObject({ id: 1, lag: 0 });

  const log = await api.v1.log.get({ query: { from: "0", limit: "2" } });
  expect(log.status).toBe(200);
  expect(log.data?.records.map((r) => r.name)).toEqual(["RegisterBrokerRecord", "RegisterBrokerRecord"]);
  const rest = await api.v1.log.get({ query: { from: String((log.data?.records[1].offset ?? 0) + 1) } });
  expect(rest.data?.records.map((r) => r.name)).toEqual(["TopicRecord"]);

  const taken = await api.v1.snapshots.post();
  expect(taken.status).toBe(201);
  expect(taken.data?.index).toBe(cluster.data?.appliedOffset ?? -1);
  const list = await api.v1.snapshots.get();
  expect(list.data?.snapshots).toHaveLength(1);
  const latest = await api.v1.snapshots.latest.get();
  expect(latest.status).toBe(200);
  expect(latest.data?.image.brokers.map((b) => b.fields.brokerId).sort()).toEqual([1, 2]);
  expect(latest.data?.image.topics.map((t) => t.fields.name)).toEqual(["t"]);

  const health = await api.healthz.get();
  expect(health.data).toMatchObject({ status: "ok", nodeId: 1, hasLeader: true });
});
