// The Idempotency-Key header through app.handle: the same key and body answer the same status and
// body and write once (v1 and seed routes, successes and refusals); another body under the key is
// 422 idempotency_key_reused; a malformed key is 400; neither writes anything.
import { describe, expect, test } from "bun:test";
import { makeHarness } from "./support/harness.ts";
import { send } from "./support/request.ts";

const key = (k: string) => ({ "Idempotency-Key": k });

type Harness = ReturnType<typeof makeHarness>;

/** Sends the request twice under `k`; the second answer must equal the first and write nothing. */
async function sameAnswerTwice(h: Harness, method: string, path: string, body: unknown, k: string, status: number) {
  const first = await send(h.app, method, path, body, key(k));
  expect(first.status).toBe(status);
  const written = await h.fingerprint();
  const again = await send(h.app, method, path, body, key(k));
  expect({ status: again.status, text: again.text }).toEqual({ status: first.status, text: first.text });
  expect(await h.fingerprint()).toBe(written);
}

describe("Idempotency-Key on writes", () => {
  test("the same key and body twice: the same status and body, one record", async () => {
    const h = makeHarness();
    await sameAnswerTwice(h, "POST", "/v1/topics", { name: "orders" }, "create-orders", 201);
    // The same request without the key is a new one: 409.
    expect((await send(h.app, "POST", "/v1/topics", { name: "orders" })).status).toBe(409);
  });

  test("keys in another order of the same body still match; a different body is 422 and writes nothing", async () => {
    const { app, seed, fingerprint } = makeHarness();
    await seed();
    const body = { name: "p", partitions: 2, replicationFactor: 1 };
    expect((await send(app, "POST", "/v1/topics", body, key("k1"))).status).toBe(201);
    const reordered = await send(app, "POST", "/v1/topics", { replicationFactor: 1, partitions: 2, name: "p" }, key("k1"));
    expect(reordered.status).toBe(201);
    const before = await fingerprint();
    const different = await send(app, "POST", "/v1/topics", { name: "q" }, key("k1"));
    expect(different.status).toBe(422);
    expect(different.body).toEqual({ error: "idempotency_key_reused", message: expect.stringContaining('Idempotency-Key "k1" was already used') });
    const otherRoute = await send(app, "POST", "/v1/brokers", { brokerId: 9, brokerHost: "h", brokerPort: "1", securityProtocol: "PLAINTEXT", rackId: "r" }, key("k1"));
    expect(otherRoute.status).toBe(422);
    expect(await fingerprint()).toBe(before);
  });

  test("a refusal is answered again the same way, though the write would now succeed", async () => {
    const { app, seed } = makeHarness();
    const refused = await send(app, "POST", "/v1/producers", { brokerId: 1 }, key("producer-of-1"));
    expect(refused.status).toBe(404);
    await seed(); // registers broker 1
    const again = await send(app, "POST", "/v1/producers", { brokerId: 1 }, key("producer-of-1"));
    expect({ status: again.status, text: again.text }).toEqual({ status: refused.status, text: refused.text });
  });

  test("unregistering twice under one key answers 200 twice (not 409 for a CLOSED broker)", async () => {
    const h = makeHarness();
    await h.seed();
    await sameAnswerTwice(h, "DELETE", "/v1/brokers/2", undefined, "close-2", 200);
    expect((await send(h.app, "DELETE", "/v1/brokers/2")).status).toBe(409);
  });

  test("seed routes honour the key too", async () => {
    await sameAnswerTwice(makeHarness(), "POST", "/create_topic", { name: "legacy" }, "legacy-1", 200);
  });

  test("a malformed key is 400 with a message naming the rule, and nothing is written", async () => {
    const { app, fingerprint } = makeHarness();
    const before = await fingerprint();
    for (const bad of ["", "has space", "x".repeat(129), "semi;colon", "é"]) {
      const answer = await send(app, "POST", "/v1/topics", { name: "t" }, key(bad));
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: "bad_request", message: expect.stringContaining("Idempotency-Key must be 1 to 128 characters") });
    }
    expect(await fingerprint()).toBe(before);
  });
});
