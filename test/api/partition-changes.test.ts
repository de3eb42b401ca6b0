// The controller's routes through app.handle: AlterPartition, reassignment and its cancel,
// preferred election of one partition and of all, more partitions with `count`, topic deletion,
// controlled shutdown through BrokerMgmt; each refusal answers the one error shape and writes nothing.
import { describe, expect, test } from "bun:test";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const broker = (brokerId: number) => ({ brokerId, brokerHost: `b${brokerId}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${brokerId}` });

/** Brokers 1-4 heartbeating; topic "orders" with partition 0 on [1,2,3] led by 1. */
async function prepared() {
  const h = makeHarness();
  for (const id of [1, 2, 3, 4]) {
    expect((await send(h.app, "POST", "/v1/brokers", broker(id))).status).toBe(201);
    expect((await send(h.app, "POST", "/v1/broker-mgmt/metadata", { brokerId: id })).status).toBe(200);
  }
  expect((await send(h.app, "POST", "/v1/topics", { name: "orders" })).status).toBe(201);
  const created = await send(h.app, "POST", "/v1/topics/orders/partitions", { partitionId: 0, replicas: [1, 2, 3], ISR: [1, 2, 3], leader: "1" });
  expect(created.status).toBe(201);
  return h;
}

const P0 = "/v1/topics/orders/partitions/0";

describe("partition change routes", () => {
  test("AlterPartition, then a reassignment that completes when the ISR catches up", async () => {
    const h = await prepared();
    const shrunk = await send(h.app, "POST", `${P0}/isr`, { brokerId: 1, partitionEpoch: 0, ISR: [1, 2] });
    expect(shrunk.status).toBe(200);
    expect(shrunk.body).toMatchObject({ name: "PartitionRecord", fields: { ISR: [1, 2], partitionEpoch: 1, leaderEpoch: 0 } });

    const started = await send(h.app, "PUT", `${P0}/replicas`, { replicas: [2, 3, 4] });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ fields: { replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1], partitionEpoch: 2 } });

    const caughtUp = await send(h.app, "POST", `${P0}/isr`, { brokerId: 1, partitionEpoch: 2, ISR: [1, 2, 3, 4] });
    expect(caughtUp.status).toBe(200);
    expect(caughtUp.body).toMatchObject({ fields: { replicas: [2, 3, 4], ISR: [2, 3, 4], addingReplicas: [], removingReplicas: [], leader: "2", leaderEpoch: 1, partitionEpoch: 3 } });
  });

  test("a reassignment in progress is cancelled with DELETE", async () => {
    const h = await prepared();
    expect((await send(h.app, "PUT", `${P0}/replicas`, { replicas: [4, 1, 2] })).status).toBe(200);
    const cancelled = await send(h.app, "DELETE", `${P0}/replicas`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ fields: { replicas: [1, 2, 3], addingReplicas: [], removingReplicas: [], partitionEpoch: 2 } });
  });

  test("preferred election of one partition and of all", async () => {
    const h = await prepared();
    expect((await send(h.app, "PUT", `${P0}/replicas`, { replicas: [3, 1, 2] })).status).toBe(200);
    const one = await send(h.app, "POST", `${P0}/elect-leader`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ fields: { leader: "3", leaderEpoch: 1 } });
    const again = await send(h.app, "POST", `${P0}/elect-leader`);
    expect(again.body).toEqual(one.body); // already the preferred leader: nothing written
    const all = await send(h.app, "POST", "/v1/elect-leaders");
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ changed: 0, batches: 0, offset: 0 });
  });

  test("count adds placed partitions; DELETE removes the topic, and the name comes back", async () => {
    const h = await prepared();
    const more = await send(h.app, "POST", "/v1/topics/orders/partitions", { count: 3 });
    expect(more.status).toBe(201);
    const added = (more.body as { partitions: { fields: { partitionId: number; replicas: number[]; leaderEpoch: number } }[] }).partitions;
    expect(added.map((p) => p.fields.partitionId)).toEqual([1, 2, 3]);
    expect(added.every((p) => p.fields.replicas.length === 3 && p.fields.leaderEpoch === 0)).toBe(true);

    const removed = await send(h.app, "DELETE", "/v1/topics/orders");
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ name: "RemoveTopicRecord", fields: { name: "orders" } });
    expect((await send(h.app, "GET", "/v1/topics/orders")).status).toBe(404);
    const diff = await send(h.app, "GET", `/v1/client-mgmt/metadata?since=${(removed.body as { offset: number }).offset - 1}`);
    expect(diff.body).toMatchObject({ mode: "diff", records: [{ name: "RemoveTopicRecord" }] });
    expect((await send(h.app, "POST", "/v1/topics", { name: "orders" })).status).toBe(201);
  });

  test("a controlled shutdown through BrokerMgmt is answered once the broker leads nothing", async () => {
    const h = await prepared();
    const answer = await send(h.app, "POST", "/v1/broker-mgmt/metadata", { brokerId: 1, wantShutdown: true, since: 0 });
    expect(answer.status).toBe(200);
    const topic = await send(h.app, "GET", "/v1/topics/orders");
    expect(topic.body).toMatchObject({ partitions: [{ fields: { leader: "2", ISR: [2, 3], leaderEpoch: 1 } }] });
  });
});

/** [what, method, path, body, status, code] */
const refused: [string, string, string, unknown, number, string][] = [
  ["an ISR change at a stale partition epoch", "POST", `${P0}/isr`, { brokerId: 1, partitionEpoch: 7, ISR: [1] }, 409, "stale_partition_epoch"],
  ["an ISR change from a broker that does not lead", "POST", `${P0}/isr`, { brokerId: 2, partitionEpoch: 0, ISR: [2] }, 409, "not_partition_leader"],
  ["an ISR outside the replicas", "POST", `${P0}/isr`, { brokerId: 1, partitionEpoch: 0, ISR: [1, 4] }, 422, "invalid"],
  ["an ISR without the leader", "POST", `${P0}/isr`, { brokerId: 1, partitionEpoch: 0, ISR: [2] }, 422, "invalid"],
  ["an ISR change with a missing field", "POST", `${P0}/isr`, { brokerId: 1, ISR: [1] }, 422, "invalid"],
  ["an ISR change of an unknown partition", "POST", "/v1/topics/orders/partitions/9/isr", { brokerId: 1, partitionEpoch: 0, ISR: [1] }, 404, "not_found"],
  ["a partition id that is not a number", "POST", "/v1/topics/orders/partitions/x/elect-leader", undefined, 422, "invalid"],
  ["a reassignment to no replicas", "PUT", `${P0}/replicas`, { replicas: [] }, 422, "invalid"],
  ["a reassignment to an unknown broker", "PUT", `${P0}/replicas`, { replicas: [1, 99] }, 422, "invalid"],
  ["a cancel with no reassignment", "DELETE", `${P0}/replicas`, undefined, 409, "conflict"],
  ["a preferred election of an unknown topic", "POST", "/v1/topics/nope/partitions/0/elect-leader", undefined, 404, "not_found"],
  ["more partitions of an unknown topic", "POST", "/v1/topics/nope/partitions", { count: 1 }, 404, "not_found"],
  ["a count of zero", "POST", "/v1/topics/orders/partitions", { count: 0 }, 422, "invalid"],
  ["count and partitionId together", "POST", "/v1/topics/orders/partitions", { count: 1, partitionId: 4 }, 422, "invalid"],
  ["deleting an unknown topic", "DELETE", "/v1/topics/nope", undefined, 404, "not_found"],
  ["elect-leaders with a query", "POST", "/v1/elect-leaders?x=1", undefined, 422, "invalid"],
];

describe("partition change routes: refusals write nothing", () => {
  for (const [what, method, path, body, status, code] of refused) {
    test(`${what}: ${status} ${code}`, async () => {
      const h = await prepared();
      const before = await h.fingerprint();
      const answer = await send(h.app, method, path, body);
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ error: code });
      expect((answer.body as { message: string }).message.length).toBeGreaterThan(10);
      expect(await h.fingerprint()).toBe(before);
    });
  }
});
