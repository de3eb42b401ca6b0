import { describe, expect, test } from "bun:test";
import { Feeder, changeBroker, expectUnchanged, registerBroker, registerProducer } from "./fixtures.ts";

describe("producer ids", () => {
  test("auto allocation hands out the next unused id, skipping explicit ones", () => {
    const f = new Feeder();
    f.ok(registerBroker(1));
    expect(f.ok(registerProducer(1)).records[0].fields).toEqual({ brokerId: 1, brokerEpoch: 0, producerId: 0 });
    f.ok(registerProducer(1, 1));
    f.ok(registerProducer(1, 2));
    f.ok(registerProducer(1, 10));
    expect(f.ok(registerProducer(1)).records[0].fields).toMatchObject({ producerId: 3 });
    expect(f.sm.image().nextProducerId()).toBe(4);
  });

  test("an explicit id already used is a conflict and writes nothing", () => {
    const f = new Feeder();
    f.ok(registerBroker(1));
    f.ok(registerProducer(1, 5));
    expectUnchanged(f, () => expect(f.apply(registerProducer(1, 5))).toEqual({ ok: false, error: { code: "conflict", message: "producer id 5 is already in use" } }));
  });

  test("the record carries the broker's current epoch; a stale explicit epoch is a conflict", () => {
    const f = new Feeder();
    f.ok(registerBroker(1));
    f.ok(changeBroker(1, "heartbeat"));
    expect(f.ok(registerProducer(1, undefined, 1)).records[0].fields).toMatchObject({ brokerEpoch: 1 });
    expect(f.apply(registerProducer(1, undefined, 0))).toEqual({
      ok: false,
      error: { code: "conflict", message: "broker epoch 0 is stale: broker 1 is at epoch 1" },
    });
  });

  test("the broker must be registered and active", () => {
    const f = new Feeder();
    expect(f.apply(registerProducer(4))).toMatchObject({ ok: false, error: { code: "not_found" } });
    f.ok(registerBroker(1));
    f.ok(changeBroker(1, "fence"));
    expectUnchanged(f, () => expect(f.apply(registerProducer(1))).toEqual({ ok: false, error: { code: "conflict", message: "broker 1 is FENCED, not active" } }));
    f.ok(changeBroker(1, "heartbeat"));
    expect(f.ok(registerProducer(1)).records[0].fields).toMatchObject({ brokerEpoch: 2, producerId: 0 });
  });
});
