// Exactly-once writes through the service: the double apply (a forwarded write appended by
// the leader but answered not_leader, then retried) now answers the first result; a write whose
// leader lost leadership after appending it is handed on under the same id; Idempotency-Key rules.
import { describe, expect, test } from "bun:test";
import { NoLeaderError, NotLeaderError } from "../../src/node/contracts.ts";
import { broker, pair, rejection, single } from "./service-fixture.ts";

function topicRecords(history: { page(from: number, limit: number): { name: string }[] }): number {
  return history.page(0, 1000).filter((r) => r.name === "TopicRecord").length;
}

describe("retries under one request id", () => {
  const lostAnswers: [string, () => Error][] = [
    ["not_leader", () => new NotLeaderError(1)],
    ["no_leader (leader deposed after appending: outcome unknown)", () => new NoLeaderError("node 1 lost leadership before entry 1 was applied")],
  ];
  for (const [answer, lost] of lostAnswers) {
    test(`a forwarded write appended but answered ${answer}: the retry answers the first result, not 409`, async () => {
      const { leader, follower } = pair();
      const forward = follower.handle.forwardToLeader.bind(follower.handle);
      let calls = 0;
      follower.handle.forwardToLeader = async (payload) => {
        calls++;
        const reply = await forward(payload);
        // The first attempt was appended and applied, but its answer is lost (the case).
        if (calls === 1) throw lost();
        return reply;
      };
      const view = await follower.service.createTopic({ name: "only-mine" });
      expect(calls).toBe(2);
      expect(view.topic.fields.name).toBe("only-mine");
      expect(view.topic.offset).toBe(1);
      expect(leader.handle.metrics().raft_proposals_total).toBe(1);
      expect(topicRecords(leader.sm.history)).toBe(1);
    });
  }

  test("a leader deposed after appending hands the write on under its id: one apply, the first answer", async () => {
    const { handle, service, sm } = single();
    const propose = handle.propose.bind(handle);
    let proposals = 0;
    handle.propose = async (data) => {
      proposals++;
      await propose(data);
      if (proposals === 1) throw new NoLeaderError("node 1 lost leadership before entry 1 was applied; its outcome is unknown");
      throw new Error("the retry must not propose again");
    };
    const record = await service.registerBroker(broker(4));
    expect(proposals).toBe(1);
    expect(record).toMatchObject({ offset: 1, fields: { brokerId: 4 } });
    expect(sm.history.size).toBe(1);
  });
});

describe("Idempotency-Key", () => {
  test("the same key and request twice: the same answer, applied once, nothing proposed the second time", async () => {
    const { handle, service, sm } = single();
    const first = await service.createTopic({ name: "orders", partitions: 0 }, { idempotencyKey: "key-1" });
    const again = await service.createTopic({ name: "orders", partitions: 0 }, { idempotencyKey: "key-1" });
    expect(again).toEqual(first);
    expect(handle.metrics().raft_proposals_total).toBe(1);
    expect(topicRecords(sm.history)).toBe(1);
    // Without the key a retry is a new request: 409.
    expect((await rejection(service.createTopic({ name: "orders" }))).code).toBe("conflict");
  });

  test("a refusal under a key is answered again, even after the state would allow the request", async () => {
    const { service } = single();
    const refusal = await rejection(service.registerProducer({ brokerId: 5 }, { idempotencyKey: "p-5" }));
    expect(refusal).toMatchObject({ code: "not_found", status: 404 });
    await service.registerBroker(broker(5));
    const again = await rejection(service.registerProducer({ brokerId: 5 }, { idempotencyKey: "p-5" }));
    expect({ code: again.code, message: again.message }).toEqual({ code: refusal.code, message: refusal.message });
    expect((await service.registerProducer({ brokerId: 5 }, { idempotencyKey: "p-5b" })).fields.brokerId).toBe(5);
  });

  test("a key reused for a different request is refused (422 idempotency_key_reused) and writes nothing", async () => {
    const { service, sm } = single();
    await service.createTopic({ name: "a" }, { idempotencyKey: "shared" });
    for (const other of [service.createTopic({ name: "b" }, { idempotencyKey: "shared" }), service.registerBroker(broker(1), { idempotencyKey: "shared" })]) {
      expect(await rejection(other)).toMatchObject({ code: "idempotency_key_reused", status: 422 });
    }
    expect(sm.history.size).toBe(1);
  });

  test("a malformed key is a bad_request before anything is written", async () => {
    const { handle, service } = single();
    for (const key of ["", " ", "a b", "ключ", "x".repeat(129), "k@1"]) {
      const error = await rejection(service.createTopic({ name: "t" }, { idempotencyKey: key }));
      expect(error).toMatchObject({ code: "bad_request", status: 400 });
      expect(error.message).toContain("Idempotency-Key must be 1 to 128 characters");
    }
    expect(handle.metrics().raft_proposals_total).toBe(0);
    expect((await service.createTopic({ name: "t" }, { idempotencyKey: `${"x".repeat(120)}.:~+/=-_` })).topic.fields.name).toBe("t");
  });

  test("through a follower: the retry on another node with the same key gets the leader's first answer", async () => {
    const { leader, follower } = pair();
    const first = await leader.service.createTopic({ name: "via" }, { idempotencyKey: "k-via" });
    const viaFollower = await follower.service.createTopic({ name: "via" }, { idempotencyKey: "k-via" });
    expect(viaFollower).toEqual(first);
    expect(leader.handle.metrics().raft_proposals_total).toBe(1);
  });
});
