// A broker's answer encoded once per record (record-bodies.ts): the same bytes while the broker is
// unchanged, a fresh answer after every kind of write that changes it, and no kept body for a
// record that could still change.
import { describe, expect, test } from "bun:test";
import { JSON_TYPE, recordAnswer, recordBody, recordResponse } from "../../src/api/record-bodies.ts";
import type { MetadataRecord } from "../../src/metadata/records.ts";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

type Harness = ReturnType<typeof makeHarness>;

const brokerBody = (id: number) => ({ brokerId: id, brokerHost: `b${id}.example`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: "r1" });

/** GET /v1/brokers/:id must answer exactly what the service holds now. */
async function expectCurrent(h: Harness, id: number, consistency = "linearizable"): Promise<Record<string, unknown>> {
  const answer = await h.app.handle(new Request(`http://localhost/v1/brokers/${id}?consistency=${consistency}`));
  expect(answer.status).toBe(200);
  // Read after the body, as a client does: a type carried only by the Blob is gone by then.
  const text = await answer.text();
  expect(answer.headers.get("content-type")).toBe(JSON_TYPE);
  expect(text).toBe(JSON.stringify(await h.service.getBroker(id, "stale")));
  return JSON.parse(text);
}

describe("a broker's answer, encoded once per record", () => {
  test("an unchanged broker is answered from the same kept bytes", async () => {
    const h = makeHarness();
    expect((await send(h.app, "POST", "/v1/brokers", brokerBody(1))).status).toBe(201);
    const record = await h.service.getBroker(1, "stale");
    const body = recordBody(record);
    await expectCurrent(h, 1);
    await expectCurrent(h, 1, "stale");
    expect(recordBody(await h.service.getBroker(1, "stale"))).toBe(body);
  });

  test("every write that changes the broker changes its answer", async () => {
    const h = makeHarness();
    expect((await send(h.app, "POST", "/v1/brokers", brokerBody(1))).status).toBe(201);
    expect((await send(h.app, "POST", "/v1/brokers", brokerBody(2))).status).toBe(201);
    const first = await expectCurrent(h, 1);
    const untouched = recordBody(await h.service.getBroker(2, "stale"));

    expect((await send(h.app, "PUT", "/v1/brokers/1", { brokerHost: "moved.example" })).status).toBe(200);
    const moved = (await expectCurrent(h, 1)) as { fields: { brokerHost: string; epoch: number } };
    expect(moved.fields.brokerHost).toBe("moved.example");
    expect(moved).not.toEqual(first);

    // A heartbeat moves the broker from INIT to ALIVE: a server-made change, also a new record.
    expect((await send(h.app, "POST", "/v1/broker-mgmt/metadata", { brokerId: 1 })).status).toBe(200);
    expect(((await expectCurrent(h, 1)) as { fields: { brokerStatus: string } }).fields.brokerStatus).toBe("ALIVE");

    expect((await send(h.app, "DELETE", "/v1/brokers/1")).status).toBe(200);
    expect(((await expectCurrent(h, 1)) as { fields: { brokerStatus: string } }).fields.brokerStatus).toBe("CLOSED");

    // Broker 2 was never changed: its kept bytes are still the ones answered.
    expect(recordBody(await h.service.getBroker(2, "stale"))).toBe(untouched);
    await expectCurrent(h, 2);
  });

  test("an unknown broker is still a JSON 404, not a kept body", async () => {
    const h = makeHarness();
    const answer = await send(h.app, "GET", "/v1/brokers/9");
    expect(answer.status).toBe(404);
    expect(answer.text).toContain("not registered");
  });

  test("a record that is not frozen is refused: a kept body would go stale when it changed", () => {
    const record = { type: "metadata", name: "RegisterBrokerRecord", offset: 1, timestamp: "2026-12-07T00:00:00.000Z", fields: { brokerId: 1 } } as unknown as MetadataRecord;
    expect(() => recordBody(record)).toThrow(/not frozen/);
    Object.freeze(record);
    expect(() => recordBody(record)).toThrow(/not frozen/);
    Object.freeze(record.fields);
    expect(recordBody(record)).toBe(recordBody(record));
  });

  test("a fast route's answer carries its type in the kept Blob, through Bun's own server", async () => {
    const h = makeHarness();
    expect((await send(h.app, "POST", "/v1/brokers", brokerBody(4))).status).toBe(201);
    const record = await h.service.getBroker(4, "stale");
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", routes: { "/b": () => recordAnswer(record) } });
    try {
      const answer = await fetch(`http://127.0.0.1:${server.port}/b`);
      const text = await answer.text();
      expect(answer.headers.get("content-type")).toBe(JSON_TYPE);
      expect(text).toBe(JSON.stringify(record));
    } finally {
      server.stop(true);
    }
  });

  test("answers that are not records are left to Elysia", () => {
    expect(recordResponse({ responseValue: { brokers: [] } })).toBeUndefined();
    expect(recordResponse({ responseValue: "text" })).toBeUndefined();
    expect(recordResponse({ responseValue: null })).toBeUndefined();
  });
});
