// The service's rules seen through the API: each refused write answers the right 4xx with the
// one error shape and leaves both the metadata log and the Raft log exactly as they were.
import { expect, test } from "bun:test";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const broker = (brokerId: number) => ({ brokerId, brokerHost: "h.example", brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: "r" });
const partition = { partitionId: 0, replicas: [1, 2], ISR: [1, 2], leader: "1" };

/** [what, method, path, body, status, code] */
const refused: [string, string, string, unknown, number, string][] = [
  ["a broker registered twice while active", "POST", "/v1/brokers", broker(1), 409, "conflict"],
  ["an unknown broker read", "GET", "/v1/brokers/42", undefined, 404, "not_found"],
  ["an update of an unknown broker", "PUT", "/v1/brokers/42", { brokerHost: "x" }, 404, "not_found"],
  ["an update of a CLOSED broker", "PUT", "/v1/brokers/3", { brokerHost: "x" }, 409, "conflict"],
  ["unregistering an unknown broker", "DELETE", "/v1/brokers/42", undefined, 404, "not_found"],
  ["unregistering a CLOSED broker", "DELETE", "/v1/brokers/3", undefined, 409, "conflict"],
  ["a topic name taken", "POST", "/v1/topics", { name: "t1" }, 409, "conflict"],
  ["a topic name colliding by . and _", "POST", "/v1/topics", { name: "t.x" }, 409, "conflict"],
  ["the topic name .", "POST", "/v1/topics", { name: "." }, 422, "invalid"],
  ["the topic name ..", "POST", "/v1/topics", { name: ".." }, 422, "invalid"],
  ["an unknown topic read", "GET", "/v1/topics/nope", undefined, 404, "not_found"],
  ["a partition of an unknown topic", "POST", "/v1/topics/nope/partitions", partition, 404, "not_found"],
  ["a partition id already used", "POST", "/v1/topics/t1/partitions", { ...partition, partitionId: 7 }, 409, "conflict"],
  ["replicas that are not registered", "POST", "/v1/topics/t1/partitions", { ...partition, replicas: [1, 99], ISR: [1] }, 422, "invalid"],
  ["a CLOSED broker as replica", "POST", "/v1/topics/t1/partitions", { ...partition, replicas: [1, 3], ISR: [1] }, 422, "invalid"],
  ["duplicate replicas", "POST", "/v1/topics/t1/partitions", { ...partition, replicas: [1, 1], ISR: [1] }, 422, "invalid"],
  ["an ISR not within replicas", "POST", "/v1/topics/t1/partitions", { ...partition, ISR: [1, 2, 4] }, 422, "invalid"],
  ["a leader not in the ISR", "POST", "/v1/topics/t1/partitions", { ...partition, ISR: [2], leader: "1" }, 422, "invalid"],
  ["a producer on an unknown broker", "POST", "/v1/producers", { brokerId: 42 }, 404, "not_found"],
  ["a producer on a CLOSED broker", "POST", "/v1/producers", { brokerId: 3 }, 409, "conflict"],
  ["a producer id already used", "POST", "/v1/producers", { brokerId: 1, producerId: 5 }, 409, "conflict"],
  ["a placement needing more brokers than are active", "POST", "/v1/topics", { name: "wide", partitions: 2, replicationFactor: 3 }, 422, "invalid"],
];

async function prepared() {
  const h = makeHarness();
  for (const id of [1, 2, 3, 4]) expect((await send(h.app, "POST", "/v1/brokers", broker(id))).status).toBe(201);
  expect((await send(h.app, "DELETE", "/v1/brokers/3")).status).toBe(200);
  expect((await send(h.app, "POST", "/v1/topics", { name: "t_x" })).status).toBe(201);
  expect((await send(h.app, "POST", "/v1/topics", { name: "t1" })).status).toBe(201);
  expect((await send(h.app, "POST", "/v1/topics/t1/partitions", { ...partition, partitionId: 7 })).status).toBe(201);
  expect((await send(h.app, "POST", "/v1/producers", { brokerId: 1, producerId: 5 })).status).toBe(201);
  // Broker 4 leaves too, so only 1 and 2 are active for placement.
  expect((await send(h.app, "DELETE", "/v1/brokers/4")).status).toBe(200);
  return h;
}

for (const [what, method, path, body, status, code] of refused) {
  test(`refused: ${what} → ${status} ${code}, nothing written`, async () => {
    const h = await prepared();
    const before = await h.fingerprint();
    const answer = await send(h.app, method, path, body);
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status, error: code });
    expect(Object.keys(answer.body).sort()).toEqual(["error", "message"]);
    expect(answer.body.message.length).toBeGreaterThan(10);
    expect(await h.fingerprint()).toEqual(before);
  });
}

test("an ISR partly outside the replicas is named in the message", async () => {
  const h = await prepared();
  const answer = await send(h.app, "POST", "/v1/topics/t1/partitions", { ...partition, ISR: [1, 4] });
  expect(answer.status).toBe(422);
  expect(answer.body.message).toContain("4");
});
