// The topic routes write their answers with record-json.ts: the bytes, status and content type
// must be what Elysia's own JSON of the same object gave (JSON.stringify), on every path.
import { expect, test } from "bun:test";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const JSON_TYPE = "application/json;charset=utf-8";

test("create, read and grow a topic: the answers are JSON.stringify's text of the records", async () => {
  const h = makeHarness();
  for (const id of [1, 2, 3, 4]) {
    const body = { brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${id % 2}` };
    expect((await send(h.app, "POST", "/v1/brokers", body)).status).toBe(201);
  }
  const created = await send(h.app, "POST", "/v1/topics", { name: "orders", partitions: 12, replicationFactor: 3 });
  expect(created.status).toBe(201);
  expect(created.headers.get("content-type")).toBe(JSON_TYPE);
  const view = await h.service.getTopic("orders", "stale");
  expect(created.text).toBe(JSON.stringify(view));
  expect(created.body.partitions).toHaveLength(12);

  for (const path of ["/v1/topics/orders", "/v1/topics/orders?consistency=stale"]) {
    const read = await send(h.app, "GET", path);
    expect(read.status).toBe(200);
    expect(read.headers.get("content-type")).toBe(JSON_TYPE);
    expect(read.text).toBe(JSON.stringify(view));
  }

  const grown = await send(h.app, "POST", "/v1/topics/orders/partitions", { count: 3 });
  expect(grown.status).toBe(201);
  expect(grown.headers.get("content-type")).toBe(JSON_TYPE);
  const after = await h.service.getTopic("orders", "stale");
  expect(grown.text).toBe(JSON.stringify({ partitions: after.partitions.slice(12) }));

  const bare = await send(h.app, "POST", "/v1/topics", { name: "bare" });
  expect(bare.status).toBe(201);
  expect(bare.text).toBe(JSON.stringify(await h.service.getTopic("bare", "stale")));
  expect(JSON.parse(bare.text).partitions).toEqual([]);
});

test("errors of the topic routes stay JSON errors with their status", async () => {
  const h = makeHarness();
  await h.seed();
  const missing = await send(h.app, "GET", "/v1/topics/nope");
  expect(missing.status).toBe(404);
  expect(missing.body).toMatchObject({ error: "not_found" });
  const taken = await send(h.app, "POST", "/v1/topics", { name: "t1" });
  expect(taken.status).toBe(409);
  expect(taken.body).toMatchObject({ error: "conflict" });
  const wide = await send(h.app, "POST", "/v1/topics", { name: "wide", partitions: 2, replicationFactor: 9 });
  expect(wide.status).toBe(422);
  expect(await h.service.listTopics("stale")).toHaveLength(1);
});
