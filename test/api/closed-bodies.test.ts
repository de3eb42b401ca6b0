// docs/api.md: "Unknown fields in a body ... are refused (422)". Every route but a GET declares a
// JSON body schema in the OpenAPI document, and every object in it is closed; sent through the
// app, each route refuses an unknown field with 422 and does nothing (a route that takes no fields
// included: a snapshot is not taken, an election not run). And a broker's port is 1..65535 in
// every form a route takes it: a string on /v1 and the seed routes, an integer on the seed routes.
import { describe, expect, test } from "bun:test";
import { fastRoutesOf } from "../../src/api/fast-route.ts";
import { makeHarness } from "./support/harness.ts";
import { type Answer, send } from "./support/request.ts";

type Harness = ReturnType<typeof makeHarness>;

const broker = (brokerId: number) => ({ brokerId, brokerHost: `b${brokerId}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `r${brokerId}` });

/** Brokers 1-4 heartbeating; topic "orders" with partition 0 on [1,2,3] led by 1. */
async function prepared(): Promise<Harness> {
  const h = makeHarness();
  for (const id of [1, 2, 3, 4]) {
    expect((await send(h.app, "POST", "/v1/brokers", broker(id))).status).toBe(201);
    expect((await send(h.app, "POST", "/v1/broker-mgmt/metadata", { brokerId: id })).status).toBe(200);
  }
  expect((await send(h.app, "POST", "/v1/topics", { name: "orders" })).status).toBe(201);
  expect((await send(h.app, "POST", "/v1/topics/orders/partitions", { partitionId: 0, replicas: [1, 2, 3], ISR: [1, 2, 3], leader: "1" })).status).toBe(201);
  return h;
}

async function openApi(): Promise<{ paths: Record<string, Record<string, any>> }> {
  return (await send(makeHarness().app, "GET", "/openapi/json")).body;
}

/** "METHOD /path/:param" of every operation that is not a GET. */
function writeOperations(doc: { paths: Record<string, Record<string, any>> }): [string, any][] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([method]) => method !== "get")
      .map(([method, op]) => [`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ":$1")}`, op] as [string, any]),
  );
}

/** Where in `schema` an object accepts properties it does not list ("" when none does). */
function openObjects(schema: any, at = "body"): string[] {
  if (typeof schema !== "object" || schema === null) return [];
  const found: string[] = [];
  if (schema.type === "object" && schema.additionalProperties !== false) found.push(at);
  for (const [name, sub] of Object.entries<any>(schema.properties ?? {})) found.push(...openObjects(sub, `${at}.${name}`));
  if (schema.items) found.push(...openObjects(schema.items, `${at}[]`));
  for (const combiner of ["anyOf", "oneOf", "allOf"]) (schema[combiner] ?? []).forEach((s: any, i: number) => found.push(...openObjects(s, `${at}|${combiner}${i}`)));
  return found;
}

test("every route but a GET has a JSON body schema, and every object in it is closed", async () => {
  const writes = writeOperations(await openApi());
  expect(writes.length).toBeGreaterThan(20);
  for (const [route, op] of writes) {
    const schema = op.requestBody?.content?.["application/json"]?.schema;
    expect({ route, hasSchema: schema !== undefined, open: openObjects(schema) }).toEqual({ route, hasSchema: true, open: [] });
  }
});

/** A body each route accepts (so only the added field can be what is refused), by "METHOD /template". */
const validBodies: Record<string, { path: string; body: Record<string, unknown> }> = {
  "POST /v1/brokers": { path: "/v1/brokers", body: broker(5) },
  "PUT /v1/brokers/:brokerId": { path: "/v1/brokers/4", body: { brokerHost: "moved.example" } },
  "DELETE /v1/brokers/:brokerId": { path: "/v1/brokers/4", body: {} },
  "POST /v1/topics": { path: "/v1/topics", body: { name: "fresh" } },
  "DELETE /v1/topics/:name": { path: "/v1/topics/orders", body: {} },
  "POST /v1/topics/:name/partitions": { path: "/v1/topics/orders/partitions", body: { count: 1 } },
  "POST /v1/topics/:name/partitions/:id/isr": { path: "/v1/topics/orders/partitions/0/isr", body: { brokerId: 1, partitionEpoch: 0, ISR: [1, 2] } },
  "PUT /v1/topics/:name/partitions/:id/replicas": { path: "/v1/topics/orders/partitions/0/replicas", body: { replicas: [2, 3, 4] } },
  "DELETE /v1/topics/:name/partitions/:id/replicas": { path: "/v1/topics/orders/partitions/0/replicas", body: {} },
  "POST /v1/topics/:name/partitions/:id/elect-leader": { path: "/v1/topics/orders/partitions/0/elect-leader", body: {} },
  "POST /v1/elect-leaders": { path: "/v1/elect-leaders", body: {} },
  "POST /v1/producers": { path: "/v1/producers", body: { brokerId: 1 } },
  "POST /v1/broker-mgmt/metadata": { path: "/v1/broker-mgmt/metadata", body: { brokerId: 1 } },
  "POST /v1/cluster/voters": { path: "/v1/cluster/voters", body: { id: 4, address: "127.0.0.1:9" } },
  "DELETE /v1/cluster/voters/:id": { path: "/v1/cluster/voters/1", body: {} },
  "POST /v1/snapshots": { path: "/v1/snapshots", body: {} },
  "POST /v1/snapshots/backup": { path: "/v1/snapshots/backup", body: {} },
  "POST /register_broker": { path: "/register_broker", body: { brokerId: 6, brokerHost: "h6", brokerPort: 9092, securityProtocol: "PLAINTEXT" } },
  "PUT /update_broker/:id": { path: "/update_broker/3", body: { brokerHost: "s3.example" } },
  "PATCH /unregister_broker/:id": { path: "/unregister_broker/4", body: { brokerId: 4 } },
  "POST /create_topic": { path: "/create_topic", body: { name: "legacy" } },
  "POST /create_partition": { path: "/create_partition", body: { partitionId: 1, topicName: "orders", replicas: [1], ISR: [1], leader: 1 } },
  "POST /create_producer/:broker_id/:broker_epoch": { path: "/create_producer/1/0", body: {} },
  "POST /BrokerMgmt": { path: "/BrokerMgmt", body: { brokerId: 1 } },
};

const writes = writeOperations(await openApi()).map(([route]) => route);

describe("an unknown field is 422 on every route but a GET, and nothing is done", () => {
  test("each such route has a body here", () => {
    expect(writes.filter((w) => !(w in validBodies)).sort()).toEqual([]);
  });

  for (const route of writes) {
    test(route, async () => {
      const h = await prepared();
      const { path, body } = validBodies[route];
      const before = { log: await h.fingerprint(), snapshots: h.handle.listSnapshots().length };
      const answer = await send(h.app, route.slice(0, route.indexOf(" ")), path, { ...body, bogus: 1 });
      expect({ status: answer.status, error: answer.body?.error, message: answer.body?.message }).toEqual({ status: 422, error: "invalid", message: "body.bogus: Unexpected property (got 1)" });
      expect({ log: await h.fingerprint(), snapshots: h.handle.listSnapshots().length }).toEqual(before);
    });
  }
});

test("a route that takes no fields still takes no body, or an empty object", async () => {
  const h = await prepared();
  expect((await send(h.app, "POST", "/v1/elect-leaders")).status).toBe(200);
  expect((await send(h.app, "POST", "/v1/elect-leaders", {})).status).toBe(200);
  expect((await send(h.app, "POST", "/v1/snapshots")).status).toBe(201);
  expect((await send(h.app, "DELETE", "/v1/topics/orders", {})).status).toBe(200);
  expect((await send(h.app, "DELETE", "/v1/brokers/4")).status).toBe(200);
  expect((await send(h.app, "PATCH", "/unregister_broker/3")).status).toBe(200);
  // The seed unregister may name the broker again, but only the path's.
  const other = await send(h.app, "PATCH", "/unregister_broker/2", { brokerId: 1 });
  expect({ status: other.status, error: other.body.error }).toEqual({ status: 422, error: "invalid" });
});

describe("a broker's port is 1..65535 in every form", () => {
  const refusedStrings = ["0", "00", "65536", "99999", "09092", "", "-1", "+80", "8080 "];
  const refusedNumbers = [0, -1, 65536, 99999, 9092.5];
  const acceptedStrings = ["1", "80", "9092", "65535"];
  const acceptedNumbers = [1, 9092, 65535];

  /** [label, send the port, the status of an accepted one]: every route and form that takes a port. */
  type Form = [string, (h: Harness, port: unknown) => Promise<Answer>, number];
  const fastPut = async (h: Harness, port: unknown): Promise<Answer> => {
    const handler = fastRoutesOf(h.app)["/v1/brokers/:brokerId"]?.PUT;
    if (!handler) throw new Error("no fast PUT /v1/brokers/:brokerId");
    const init = { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ brokerPort: port }) };
    const response = await handler(new Request("http://localhost/v1/brokers/4", init));
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
  };
  const stringForms: Form[] = [
    ["POST /v1/brokers", (h, port) => send(h.app, "POST", "/v1/brokers", { ...broker(5), brokerPort: port }), 201],
    ["PUT /v1/brokers/:brokerId", (h, port) => send(h.app, "PUT", "/v1/brokers/4", { brokerPort: port }), 200],
    ["PUT /v1/brokers/:brokerId (fast route)", fastPut, 200],
    ["POST /register_broker", (h, port) => send(h.app, "POST", "/register_broker", { brokerId: 6, brokerHost: "h6", brokerPort: port, securityProtocol: "PLAINTEXT" }), 200],
    ["PUT /update_broker/:id", (h, port) => send(h.app, "PUT", "/update_broker/3", { brokerPort: port }), 200],
  ];
  const numberForms = stringForms.filter(([label]) => !label.includes("/v1/"));

  /** The broker's port as the answer's record holds it. */
  const portOf = (answer: Answer): unknown => (answer.body.record ?? answer.body).fields.brokerPort;

  for (const [label, sendPort, okStatus] of stringForms) {
    test(`${label}: a string`, async () => {
      for (const port of refusedStrings) {
        const h = await prepared();
        const before = await h.fingerprint();
        const answer = await sendPort(h, port);
        expect({ port, status: answer.status, error: answer.body.error }).toEqual({ port, status: 422, error: "invalid" });
        expect(answer.body.message).toContain("body.brokerPort");
        expect(await h.fingerprint()).toBe(before);
      }
      for (const port of acceptedStrings) {
        const answer = await sendPort(await prepared(), port);
        expect({ port, status: answer.status, stored: portOf(answer) }).toEqual({ port, status: okStatus, stored: port });
      }
    });
  }

  for (const [label, sendPort, okStatus] of numberForms) {
    test(`${label}: an integer`, async () => {
      for (const port of refusedNumbers) {
        const h = await prepared();
        const before = await h.fingerprint();
        const answer = await sendPort(h, port);
        expect({ port, status: answer.status, error: answer.body.error }).toEqual({ port, status: 422, error: "invalid" });
        expect(await h.fingerprint()).toBe(before);
      }
      for (const port of acceptedNumbers) {
        const answer = await sendPort(await prepared(), port);
        expect({ port, status: answer.status, stored: portOf(answer) }).toEqual({ port, status: okStatus, stored: String(port) });
      }
    });
  }

  test("the /v1 routes take no integer port (the record keeps a string, as the spec has it)", async () => {
    const h = await prepared();
    expect((await send(h.app, "POST", "/v1/brokers", { ...broker(5), brokerPort: 9092 })).status).toBe(422);
    expect((await send(h.app, "PUT", "/v1/brokers/4", { brokerPort: 9092 })).status).toBe(422);
  });
});
